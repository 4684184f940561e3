"""Headless Chromium for the browser test and the README screenshot, driven by Selenium.

Uses the Debian packages `chromium` and `chromium-driver` (or the binaries named by $CHROMIUM and
$CHROMEDRIVER). Selenium Manager is never involved: the driver and browser paths are always given, so
nothing is downloaded. The browser starts with a fresh profile and with its own background traffic
(updates, sync, safe browsing lists, QUIC probes) switched off, so the only requests it makes are the
page's own — which is what `page_requests` reports.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    "--lang=es-PE",
)

# Chromium cannot paint one screenshot taller than about 16k pixels.
MAX_SCREENSHOT_HEIGHT = 16_000


@dataclass(frozen=True)
class Binaries:
    chromium: str
    chromedriver: str


def find_binaries() -> Binaries | None:
    """The Chromium and ChromeDriver executables, or None when either is not installed."""
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    if not chromium or not driver:
        return None
    return Binaries(chromium=chromium, chromedriver=driver)


def missing_reason() -> str:
    return (
        "headless Chromium is not installed: needs `chromium` and `chromedriver` on PATH "
        "(Debian: apt-get install chromium chromium-driver), or $CHROMIUM and $CHROMEDRIVER"
    )


@contextmanager
def chromium(binaries: Binaries | None = None, *, record_network: bool = False) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a throw-away profile; quits and removes the profile on exit.

    With `record_network`, the DevTools network events are kept in the performance log (see `page_requests`).
    """
    found = binaries or find_binaries()
    if found is None:
        raise RuntimeError(missing_reason())
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = found.chromium
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        if record_network:
            options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        service = Service(executable_path=found.chromedriver)
        driver = webdriver.Chrome(service=service, options=options)
        try:
            yield driver
        finally:
            driver.quit()


def set_viewport(driver: webdriver.Chrome, width: int, height: int, *, mobile: bool = False) -> None:
    """Make the page's viewport exactly width x height CSS pixels (scale 1), like a window of that size."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def document_size(driver: webdriver.Chrome) -> tuple[int, int]:
    """The laid-out document's (scrollWidth, scrollHeight) in CSS pixels."""
    size = cast(
        "list[int]",
        driver.execute_script(
            "const e = document.documentElement;"
            " return [e.scrollWidth, Math.max(e.scrollHeight, document.body ? document.body.scrollHeight : 0)];"
        ),
    )
    return int(size[0]), int(size[1])


def screenshot(
    driver: webdriver.Chrome,
    *,
    height: int | None = None,
    left: int = 0,
    width: int | None = None,
    fast: bool = False,
) -> bytes:
    """A PNG of the page from its top: `width` (default: the viewport's) by `height` (default: the full page)
    CSS pixels, starting `left` pixels from the left edge. `fast`: a larger file, quicker to make and to decode
    (simpler PNG filters), for tests."""
    if width is None:
        width = int(cast("int", driver.execute_script("return window.innerWidth;"))) - left
    if height is None:
        height = document_size(driver)[1]
    height = max(1, min(height, MAX_SCREENSHOT_HEIGHT))
    result = cast(
        "dict[str, Any]",
        driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "optimizeForSpeed": fast,
                "clip": {"x": left, "y": 0, "width": width, "height": height, "scale": 1},
            },
        ),
    )
    return base64.b64decode(result["data"])


@dataclass(frozen=True)
class Painted:
    """How much of a picture is more than its background (the colour of its top-left pixel)."""

    width: int
    height: int
    distinct_colours: int
    non_background: float  # fraction of pixels that differ from the background


def painted(png: bytes) -> Painted:
    """Tell a blank screenshot from a painted one (colours are counted with their alpha, if any)."""
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
        counts: dict[object, int] = {c: n for n, c in image.getcolors(maxcolors=width * height) or []}
        background = image.getpixel((0, 0))
    total = width * height or 1
    return Painted(width, height, len(counts), 1 - counts.get(background, 0) / total)


def open_page(driver: webdriver.Chrome, url: str) -> None:
    """Load `url` after a blank page, so that `page_requests` then reports only what this page asked for."""
    driver.get("about:blank")
    with suppress(WebDriverException):  # raised when the browser does not record the network
        page_requests(driver)
    driver.get(url)


def page_requests(driver: webdriver.Chrome) -> list[str]:
    """The URLs the page asked for since the last call (needs `record_network`), in order.

    Reads DevTools `Network.requestWillBeSent` events; a request blocked by the page's own Content Security
    Policy or by the browser is reported too (it still shows the page tried to reach it).
    """
    urls: list[str] = []
    entries = cast("list[dict[str, Any]]", driver.get_log("performance"))  # type: ignore[no-untyped-call]
    for entry in entries:
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(str(message["params"]["request"]["url"]))
    return urls


def file_url(path: Path) -> str:
    return path.resolve().as_uri()
