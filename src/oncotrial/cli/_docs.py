"""Generate ``docs/cli.md`` from the commands' own help, so the reference never drifts.

Regenerate with ``python -m oncotrial.cli._docs > docs/cli.md``; a test fails when the file is
out of date.
"""

from __future__ import annotations

from typing import Any

import typer

from oncotrial.cli import build_app

__all__ = ["render_cli_reference"]

WIDTH = 100


def render_cli_reference() -> str:
    """The CLI reference as Markdown: every command's ``--help``, in the order ``--help`` lists."""
    root = typer.main.get_command(build_app())
    lines = [
        "# Command-line reference",
        "",
        "Generated from each command's `--help` by `python -m oncotrial.cli._docs > docs/cli.md`;",
        "a test fails when this file is out of date.",
        "Exit codes: 0 success; 1 a negative result the command documents (for example not",
        "eligible); 2 a usage error or a problem the user can fix, explained in one message.",
        "",
    ]
    for path, command in _walk(root, ["oncotrial"]):
        ctx = typer.Context(command, info_name=" ".join(path), terminal_width=WIDTH,
                            max_content_width=WIDTH)
        lines += [f"## `{' '.join(path)}`", "", "```text", str(command.get_help(ctx)).rstrip(),
                  "```", ""]
    return "\n".join(lines)


def _walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    # Typer ships its own copy of click, so commands are duck-typed here.
    found = [(path, command)]
    if hasattr(command, "list_commands"):
        ctx = typer.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                found += _walk(sub, [*path, name])
    return found


if __name__ == "__main__":  # pragma: no cover - the documented regeneration command
    print(render_cli_reference())
