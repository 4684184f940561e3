"""What `preview` shows of a post's images, in text, JSON and HTML, through the real CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path

from tests.helpers import ROOT, run_cli
from tests.mediafiles import EXAMPLE, big_jpeg

NOW = "2027-07-01T12:00-05:00"
ALT = (
    "Escarapela peruana: un círculo rojo plisado con un anillo blanco y el centro rojo, dos cintas rojas abajo, "
    "sobre fondo blanco"
)


def test_text_lists_the_image_under_the_first_fragment_of_each_post() -> None:
    result = run_cli("preview", "--now", NOW)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    shown = [i for i, line in enumerate(lines) if "[image]" in line]
    assert [lines[i].strip() for i in shown] == ["[image] media/escarapela.png: PNG, 1200×675 px, 17.9 KB"] * 2
    for i in shown:
        alt = " ".join(line.strip() for line in lines[i + 1 : i + 3])
        assert alt == f"alt: {ALT}"
        before = [line for line in lines[:i] if re.match(r"  \[\d+/\d+\]", line)]
        assert before[-1].startswith("  [1/")  # under the first fragment, before the second one


def test_json_has_the_media_of_each_post() -> None:
    result = run_cli("preview", "--format", "json", "--now", NOW)
    assert result.returncode == 0, result.stderr
    posts = json.loads(result.stdout)["posts"]
    expected = {
        "file": "media/escarapela.png",
        "format": "PNG",
        "width": 1200,
        "height": 675,
        "bytes": EXAMPLE.stat().st_size,
        "alt": ALT,
        "sha256": hashlib.sha256(EXAMPLE.read_bytes()).hexdigest(),
    }
    assert [post["media"] for post in posts] == [[expected], [expected]]


def test_html_embeds_a_scaled_down_copy_with_its_alt_text(tmp_path: Path) -> None:
    """A 4.5 MB photo adds a thumbnail of tens of kilobytes to the page, not megabytes."""
    shutil.copytree(ROOT / "messages", tmp_path / "messages")
    (tmp_path / "media").mkdir()
    photo = big_jpeg(tmp_path / "media" / "foto.jpg", megabytes=4.5)
    schedule = (ROOT / "schedule.yaml").read_text(encoding="utf-8").replace("media/escarapela.png", "media/foto.jpg")
    (tmp_path / "schedule.yaml").write_text(schedule, encoding="utf-8")
    result = run_cli("preview", "--format", "html", "--now", NOW, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = result.stdout
    images = re.findall(r'<img src="data:(image/\w+);base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"', page)
    assert len(images) == 2  # the thread's first post and the Facebook post
    for mime, data, alt in images:
        thumbnail = base64.b64decode(data)
        assert mime == "image/jpeg" and thumbnail.startswith(b"\xff\xd8")
        assert alt == ALT
        assert len(thumbnail) < photo.stat().st_size / 10
    assert len(page.encode()) < 2 * 1024 * 1024
