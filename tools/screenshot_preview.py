"""Regenerate docs/preview.png, the README's picture of the HTML preview.

    .venv/bin/python tools/screenshot_preview.py [--output PATH] [--width PX] [--max-height PX]

Renders the committed campaign (schedule.yaml) with the real CLI at a fixed `--now`, so the picture only
changes when the page or the campaign does, opens it in headless Chromium (Debian packages `chromium` and
`chromium-driver`) at a desktop width and captures the top of the page: the summary, the first post and the
start of the X thread, cropped to the page's column (the empty margins left and right are left out).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `tools` importable
    sys.path.insert(0, str(ROOT))

from tools import browser  # noqa: E402

NOW = "2027-07-01T12:00-05:00"
WIDTH = 1280
MAX_HEIGHT = 2800
MAX_BYTES = 400_000  # a README picture should stay light
MARGIN = 16

# The page's column (left, right) and where the picture ends: below the first card of the first X thread,
# or at MAX_HEIGHT when the page has none.
LAYOUT_JS = """
const column = (document.querySelector('main') || document.body).getBoundingClientRect();
const card = document.querySelector('article.post-x li.fragment');
return [column.left, column.right, card ? card.getBoundingClientRect().bottom + window.scrollY : 0];
"""


def render_page(folder: Path) -> Path:
    page = folder / "preview.html"
    command = [sys.executable, str(ROOT / "main.py"), "preview", "--schedule", str(ROOT / "schedule.yaml")]
    done = subprocess.run(
        [*command, "--format", "html", "--output", str(page), "--now", NOW], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"screenshot_preview: main.py preview failed (exit {done.returncode}):\n{done.stderr}")
    return page


def capture(page: Path, width: int, max_height: int) -> bytes:
    binaries = browser.find_binaries()
    if binaries is None:
        raise SystemExit(f"screenshot_preview: {browser.missing_reason()}")
    with browser.chromium(binaries) as driver:
        browser.set_viewport(driver, width, 900)
        browser.open_page(driver, browser.file_url(page))
        left, right, end = (float(v) for v in driver.execute_script(LAYOUT_JS))
        left, right = max(0, int(left) - MARGIN), min(width, int(right) + MARGIN)
        height = min(int(end) + MARGIN if end else max_height, max_height, browser.document_size(driver)[1])
        return browser.screenshot(driver, height=height, left=left, width=right - left)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "preview.png")
    parser.add_argument("--width", type=int, default=WIDTH, help=f"window width in CSS pixels (default {WIDTH})")
    parser.add_argument("--max-height", type=int, default=MAX_HEIGHT, help=f"default {MAX_HEIGHT}")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="preview-") as folder:
        shot = capture(render_page(Path(folder)), args.width, args.max_height)
    painted = browser.painted(shot)
    if painted.non_background < 0.01:
        print(f"screenshot_preview: the picture is blank ({painted}); {args.output} not written", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(shot)
    print(f"{args.output}: {painted.width}x{painted.height} px, {len(shot) / 1000:.0f} kB")
    if len(shot) > MAX_BYTES:
        print(f"screenshot_preview: warning: over {MAX_BYTES // 1000} kB; try a smaller --max-height", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
