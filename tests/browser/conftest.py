"""Fixtures for real-browser tests: Debian's Chromium driven by Playwright, against the real app
served on a free loopback port from a thread in the test process."""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.search.conftest import publish  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
SAVED_SCREENSHOTS: list[Path] = []

# Reports Content-Security-Policy violations to the test through a binding Playwright adds; the
# init script runs before the page's own scripts, on every page the context opens.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
      `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


def missing_browser_reason() -> str | None:
    """Why a real-browser test cannot run here, or None when it can."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (bash scripts/system_packages.sh installs Debian's chromium)"
    return None


@pytest.fixture(scope="session")
def browser_required() -> None:
    """Fail in CI (skip elsewhere) when Playwright or Chromium is missing."""
    reason = missing_browser_reason()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs the real-browser tests, but {reason}", pytrace=False)
    pytest.skip(f"real-browser test: {reason}")


@pytest.fixture(scope="module")
def chromium(browser_required: None) -> Iterator[Browser]:
    """One headless Chromium per module, each test in its own context; Playwright's event loop
    is gone before other modules' tests run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield browser
        browser.close()


@dataclass
class LiveServer:
    """The app serving real HTTP on a loopback port."""

    app: Flask
    url: str


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """Serve the test app from a thread, as `storybank serve` would, until the test ends."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="storybank-live", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """List the screenshots the browser tests saved, so that a person can look at them."""
    if not SAVED_SCREENSHOTS:
        return
    terminalreporter.section("browser screenshots")
    for path in SAVED_SCREENSHOTS:
        terminalreporter.write_line(str(path))
