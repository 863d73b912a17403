"""``oncotrial serve``: run the web application with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["register", "serve"]


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="Worker processes (PostgreSQL for more than "
                                              "one: SQLite allows one writer).")] = 1,
) -> None:
    """Serve the web application for ONCOTRIAL_DATABASE_URL (what `make run` ends with).

    The database must exist: run `oncotrial db upgrade` (or `make run`) first. The JSON API
    is under /api/v1, its OpenAPI description at /api/v1/openapi.json.
    """
    import uvicorn

    typer.echo(f"oncotrial: serving http://{host}:{port} ({workers} worker"
               f"{'s' if workers != 1 else ''}); press Ctrl+C to stop.")
    uvicorn.run("oncotrial.web.app:app_from_settings", factory=True, host=host, port=port,
                workers=workers, proxy_headers=False, server_header=False, log_level="info")


def register(app: typer.Typer) -> None:
    """Add ``oncotrial serve``."""
    app.command("serve")(serve)
