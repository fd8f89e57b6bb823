"""Fixtures for the console: a console on the session's sandbox, and a headless Chromium.

``console``: when the sandbox server already serves ``/_console/`` (it writes ``<state>/admin-token``
and dispatches the path to :func:`emulators.console.wsgi_app`), the tests use it; until then they
serve the same WSGI app on a loopback port of their own, for a cloud object that points at the
session's sandbox (its endpoint, its state folder, a token of the test's own).
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cloud import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1366,900"]


@dataclass
class ConsoleCloud:
    """What the console app needs of the running cloud."""

    endpoint_url: str
    admin_token: str
    state_dir: Path


@dataclass
class Console:
    base: str            # http://127.0.0.1:<port>/_console/
    token: str
    served_by_sandbox: bool

    def url(self, path: str = "") -> str:
        return self.base + path.lstrip("/")

    def sign_in_url(self) -> str:
        return f"{self.base}?token={self.token}"


def _sandbox_serves_console(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(f"{endpoint}/_console/", timeout=5)
    except urllib.error.HTTPError as exc:
        return exc.code == 403 and b"sandbox console" in exc.read()
    except OSError:
        return False
    return False


def free_port_url() -> str:
    """An endpoint on which nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


def serve_console(cloud_object: Any) -> tuple[str, Any]:
    """Serve the console app for ``cloud_object`` on a loopback port; returns (base URL, server)."""
    from werkzeug.serving import make_server

    import emulators.console

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        return emulators.console.wsgi_app(cloud_object, environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="test-console", daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/_console/", server


@pytest.fixture(scope="session")
def console(cloud) -> Any:
    token_file = Path(cloud.state_dir) / "admin-token"
    if token_file.exists() and _sandbox_serves_console(cloud.endpoint):
        yield Console(f"{cloud.endpoint}/_console/", token_file.read_text().strip(), True)
        return
    fake = ConsoleCloud(cloud.endpoint, secrets.token_urlsafe(24), Path(cloud.state_dir))
    base, server = serve_console(fake)
    try:
        yield Console(base, fake.admin_token, False)
    finally:
        server.shutdown()


@pytest.fixture
def signed_in(console):
    """A requests session holding a console session cookie."""
    import requests

    session = requests.Session()
    response = session.get(console.sign_in_url(), timeout=30)
    assert response.status_code == 200
    return session


def csrf_of(html: str) -> str:
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@pytest.fixture(scope="session")
def browser(console, tmp_path_factory):
    """A headless Chromium (Debian's chromium + chromium-driver) signed in to the console."""
    if not CHROMIUM or not CHROMEDRIVER:
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in BROWSER_FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        driver.get(console.sign_in_url())
        yield driver
    finally:
        driver.quit()


def screenshot(driver: Any, name: str, tmp_path: Path) -> Path:
    """Save a screenshot under tmp_path, and under $CONSOLE_SCREENSHOTS (docs/console) when set."""
    target = tmp_path / f"{name}.png"
    width, height = driver.get_window_size()["width"], driver.get_window_size()["height"]
    full = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(int(full) + 100, height), 2200))  # the whole page, up to a limit
    try:
        driver.save_screenshot(str(target))
    finally:
        driver.set_window_size(width, height)
    folder = os.environ.get("CONSOLE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, Path(folder) / f"{name}.png")
    return target
