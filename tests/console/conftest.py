"""Fixtures of the console's browser tests: the real stack (`finadvisor up`) and headless
Chromium driven by Selenium, with nothing downloaded (Debian's chromium and chromedriver)."""

from __future__ import annotations

import json
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
    # A fake microphone, so the page's MediaRecorder path can run without hardware.
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
)
INSTALL_HINT = ("apt-get update && apt-get install -y --no-install-recommends chromium "
                "chromium-driver; pip install selenium")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: headless Chromium tests of the web console "
                            "(need Debian's chromium + chromium-driver and selenium)")


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def chromium() -> None:
    """Fail (not skip) without a browser: CI installs one, so its absence is a broken setup."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"headless browser missing ({', '.join(missing)}); install it with: "
                    f"{INSTALL_HINT}", pytrace=False)
    try:
        import selenium  # noqa: F401 - only whether it is installed
    except ImportError:
        pytest.fail(f"selenium is not installed; {INSTALL_HINT}", pytrace=False)


@dataclass
class Console:
    """The console of a running stack, and a JSON client of its API (independent of the page)."""

    url: str
    #: the console user `up` made (credentials/console-password under the stack's home)
    user: str = "analyst"
    password: str = ""
    cookie: str = ""

    def sign_in(self) -> None:
        """Sign in like the page does; the login cookie then goes with every API call."""
        origin = self.url.rstrip("/")
        req = urllib.request.Request(
            origin + "/api/login", method="POST",
            data=json.dumps({"user": self.user, "password": self.password}).encode(),
            headers={"Content-Type": "application/json", "Origin": origin})
        with urllib.request.urlopen(req, timeout=60) as resp:
            self.cookie = resp.headers["Set-Cookie"].split(";", 1)[0]

    def api(self, method: str, path: str, body: dict[str, Any] | None = None,
            ) -> tuple[int, Any]:
        if not self.cookie:
            self.sign_in()
        data = json.dumps(body).encode() if body is not None else None
        origin = self.url.rstrip("/")
        req = urllib.request.Request(origin + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              "Origin": origin, "Cookie": self.cookie})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")


@pytest.fixture(scope="module")
def stack_console() -> Iterator[Console]:
    """`finadvisor up --no-train` on free loopback ports with its own home; SIGINT at the end."""
    from finadvisor.bench.stack import start_stack
    from finadvisor.shared import paths
    from finadvisor.training import missing_components

    # `up --no-train` refuses to start without models; say so at once instead of waiting.
    missing = missing_components(paths.models_dir())
    if missing:
        pytest.fail(f"default models missing ({', '.join(missing)}): run `finadvisor train` "
                    "before the console's browser tests", pytrace=False)
    problem = ""
    try:
        handle = start_stack(timeout_s=300)
    except (RuntimeError, FileNotFoundError) as exc:
        problem = str(exc)
    if problem:
        pytest.fail(f"`finadvisor up --no-train` did not come up:\n{problem}", pytrace=False)
    try:
        assert handle.home is not None
        password = (handle.home / "credentials" / "console-password").read_text().strip()
        yield Console(f"http://127.0.0.1:{handle.ports['console']}/", password=password)
    finally:
        handle.stop()  # removes the stack's temporary home


@pytest.fixture(scope="module")
def driver(chromium: None) -> Iterator[Any]:
    """One headless Chromium for a test module, with a fresh profile folder."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="finadvisor-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1280,800"):
        opts.add_argument(flag)
    # Service with an explicit path: Selenium Manager never runs, so nothing is downloaded.
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    drv.set_script_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)


def set_viewport(drv: Any, width: int, height: int) -> None:
    """Emulate an exact CSS viewport (the window size would include the browser's frame)."""
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


@pytest.fixture()
def viewport(driver: Any) -> Any:
    """``viewport(w, h)`` sets the CSS viewport; reset to 1280×800 after the test."""
    yield lambda w, h: set_viewport(driver, w, h)
    set_viewport(driver, 1280, 800)
