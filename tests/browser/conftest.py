"""Browser tests: Debian's Chromium driven by Playwright for Python, against the application
served by uvicorn in a thread on a free port, over a fresh SQLite database with one account
per role (``storekit.STAFF``).

Chromium is launched by executable path (``shutil.which("chromium")``; ``.ci/run`` installs
Debian's package); nothing is downloaded by Playwright. axe-core, for the accessibility checks,
comes from the npm registry: the first run installs the pinned version into ``.cache/npm`` with
``npm install`` (the project's own set-up; no network at run time of the application). Without
Chromium or npm the tests are skipped with the reason. A failing test saves a screenshot under
``.cache/screenshots/``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from storekit import make_staff

from oncotrial.services import Database, load_trial
from oncotrial.store.migrate import upgrade
from oncotrial.web import create_app

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"
AXE_VERSION = "4.10.2"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Browser tests need Debian's chromium (apt-get install chromium; "
                    ".ci/run installs it)")
    return path


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe.min.js of the pinned axe-core, installed from the npm registry on first use."""
    target = CACHE / "npm" / "node_modules" / "axe-core" / "axe.min.js"
    if not target.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("Accessibility tests need npm to install axe-core")
        (CACHE / "npm").mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--no-save", "--no-audit", "--no-fund",
                        "--prefix", str(CACHE / "npm"), f"axe-core@{AXE_VERSION}"],
                       check=True, capture_output=True, timeout=300)
    return target


class LiveServer:
    """The application served on 127.0.0.1 in a thread."""

    def __init__(self, db: Database) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(db, load_trial()), host="127.0.0.1",
                                port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database]]:
    """A served application over a fresh database with the storekit staff."""
    folder = tmp_path_factory.mktemp("browser")
    db = Database.from_url(f"sqlite:///{folder / 'browser.db'}")
    upgrade(db.engine)
    make_staff(db)
    with LiveServer(db) as server:
        yield server, db
    db.dispose()


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path,
                                             args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page (1280x900) with the application's own Content-Security-Policy in
    force; ``page.console_errors`` collects console errors (a CSP violation is one). Saves a
    screenshot when the test fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        shots = CACHE / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def axe(axe_script: Path) -> Callable[[Any], list[dict[str, Any]]]:
    """``axe(page)``: the serious and critical axe-core violations of the page as shown now
    (axe runs inside the page through the DevTools protocol, so the page's CSP stays on)."""
    source = axe_script.read_text(encoding="utf-8")

    def run(page: Any) -> list[dict[str, Any]]:
        page.evaluate(source)
        result: dict[str, Any] = page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})")
        return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                 "nodes": [n["target"] for n in v["nodes"]][:5]}
                for v in result["violations"] if v["impact"] in ("serious", "critical")]

    return run


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
