"""The `media:` list of a post in schedule.yaml (bot/schedulemedia.py): its YAML shape, with positions.

The checks of the files themselves are pinned in tests/test_media.py and, through every command, in
tests/test_bad_input.py; here the schedule is read with config.load and the images land on the plan's posts.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import config
from bot.services.campaign import load_campaign
from tests.mediafiles import EXAMPLE

HEAD = """accounts:
  cx: {platform: x, handle: CancilleriaPeru, credentials: CX}
  cf: {platform: facebook, page_id: "104", credentials: CF, mode: series, limit: 200}
posts:
  - id: saludo
    message: messages/m.txt
    at: 2027-07-28 08:00
    to: [cx, cf]
"""


def write(folder: Path, media: str) -> Path:
    (folder / "messages").mkdir(exist_ok=True)
    (folder / "messages" / "m.txt").write_text("¡Felices Fiestas Patrias! " * 20, encoding="utf-8")
    (folder / "media").mkdir(exist_ok=True)
    shutil.copy(EXAMPLE, folder / "media" / "escarapela.png")
    path = folder / "schedule.yaml"
    path.write_text(HEAD + media, encoding="utf-8")
    return path


def errors(path: Path) -> list[str]:
    schedule, problems = config.load(path)
    assert schedule is None
    return [f"{p.position.line}:{p.position.col}: {p.message}" for p in problems if p.severity == "error"]


def test_the_images_reach_every_post_of_the_entry_with_their_facts(tmp_path: Path) -> None:
    path = write(tmp_path, '    media:\n      - file: media/escarapela.png\n        alt: "  Escarapela peruana  "\n')
    _, plan, problems = load_campaign(path, datetime(2027, 7, 1, tzinfo=UTC))
    assert problems == [] and plan is not None
    for post in plan.posts:
        (image,) = post.media
        assert (image.file, image.format, image.mime, image.width, image.height) == (
            "media/escarapela.png", "PNG", "image/png", 1200, 675
        )  # fmt: skip
        assert image.alt == "Escarapela peruana"  # stripped
        assert image.sha256 == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
        assert (image.position.line, image.position.col) == (10, 15)
    assert len(plan.posts) == 2 and len(plan.posts[1].fragments) > 1  # a Facebook series too


def test_a_post_without_media_has_none(tmp_path: Path) -> None:
    _, plan, _ = load_campaign(write(tmp_path, ""), datetime(2027, 7, 1, tzinfo=UTC))
    assert plan is not None and all(post.media == () for post in plan.posts)


@pytest.mark.parametrize(
    ("media", "expected"),
    [
        ("    media: media/escarapela.png\n", "9:12: post 'saludo': 'media' must be a list of images"),
        ("    media:\n", "9:5: post 'saludo': 'media' must be a list of images"),
        ("    media: [media/escarapela.png]\n", "9:13: post 'saludo': each media item must be a 'file' and its"),
        ("    media:\n      - alt: Escarapela\n", "10:9: post 'saludo': a media item has no 'file'"),
        (
            "    media:\n      - {file: media/escarapela.png, alt_text: Escarapela}\n",
            "10:38: post 'saludo': media: unknown key 'alt_text'",
        ),
        ("    media:\n      - {file: media/escarapela.png}\n", "10:16: image media/escarapela.png has no alt text"),
        (
            "    media:\n      - {file: media/escarapela.png, alt: [Escarapela]}\n",
            "10:43: post 'saludo': the alt text of media/escarapela.png must be text, not a list",
        ),
        (
            "    media:\n      - {file: media/escarapela.png, alt: }\n",
            "10:38: the alt text of media/escarapela.png is empty",
        ),
        (
            f"    media:\n      - {{file: media/escarapela.png, alt: {'x' * 1001}}}\n",
            "10:43: the alt text of media/escarapela.png is 1001 characters; at most 1000",
        ),
    ],
)
def test_a_badly_written_media_list_is_reported_where_it_is(tmp_path: Path, media: str, expected: str) -> None:
    found = errors(write(tmp_path, media))
    assert len(found) == 1 and found[0].startswith(expected), found
