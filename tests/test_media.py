"""bot.media: every bad-media case gives its pinned message at the position of the YAML value it is about."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.media import MediaChanged, MediaItem, inspect_media, read_media, thumbnail
from bot.model import Position
from tests.mediafiles import BAD_MEDIA, EXAMPLE, big_jpeg

ALT = "Bandera del Perú: rojo, blanco, rojo"


def item(file: str, alt: str | None = ALT, line: int = 10) -> MediaItem:
    return MediaItem(file, alt, Position("schedule.yaml", line, 11), Position("schedule.yaml", line + 1, 14))


def check(*items: MediaItem, folder: Path = BAD_MEDIA) -> tuple[list[str], int]:
    """The formatted problems and how many images passed."""
    media, problems = inspect_media(list(items), folder, folder)
    return [p.format() for p in problems], len(media)


def test_a_good_png_is_described_exactly() -> None:
    media, problems = inspect_media([item("media/bandera.png")], BAD_MEDIA, BAD_MEDIA)
    assert problems == []
    (png,) = media
    data = (BAD_MEDIA / "media" / "bandera.png").read_bytes()
    assert (png.format, png.mime, png.width, png.height, png.size) == ("PNG", "image/png", 64, 48, len(data))
    assert png.sha256 == hashlib.sha256(data).hexdigest()
    assert png.alt == ALT and png.file == "media/bandera.png"
    assert read_media(png) == data


def test_the_committed_example_is_valid_and_small() -> None:
    root = EXAMPLE.parent.parent
    media, problems = inspect_media([item("media/escarapela.png")], root, root)
    assert problems == []
    assert media[0].format == "PNG" and (media[0].width, media[0].height) == (1200, 675)
    assert media[0].size < 50_000


def test_the_example_generator_is_deterministic_and_matches_the_committed_file(tmp_path: Path) -> None:
    tool = EXAMPLE.parent.parent / "tools" / "make_example_media.py"
    for name in ("a.png", "b.png"):
        subprocess.run([sys.executable, str(tool), str(tmp_path / name)], check=True, capture_output=True)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    assert (tmp_path / "a.png").read_bytes() == EXAMPLE.read_bytes()


def test_missing_file() -> None:
    assert check(item("media/no-existe.png")) == (
        [
            "schedule.yaml:10:11: error: image file media/no-existe.png not found\n"
            "    hint: the path is relative to the folder of schedule.yaml; check its spelling"
        ],
        0,
    )


def test_a_png_named_jpg_names_both() -> None:
    assert check(item("media/bandera-png.jpg")) == (
        [
            "schedule.yaml:10:11: error: media/bandera-png.jpg is a PNG image but its name ends in .jpg\n"
            "    hint: rename it to media/bandera-png.png (the platforms and browsers go by the extension too)"
        ],
        0,
    )


def test_truncated_png() -> None:
    (message,), passed = check(item("media/truncada.png"))
    assert passed == 0
    assert message.startswith("schedule.yaml:10:11: error: media/truncada.png is a damaged or incomplete PNG image (")
    assert message.endswith("    hint: export or download the image again from its original")


def test_six_megabyte_jpeg(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir()
    big_jpeg(tmp_path / "media" / "foto.jpg")
    (message,), passed = check(item("media/foto.jpg"), folder=tmp_path)
    size = (tmp_path / "media" / "foto.jpg").stat().st_size / (1024 * 1024)
    assert passed == 0
    assert message == (
        f"schedule.yaml:10:11: error: media/foto.jpg is {size:.1f} MB; X accepts an image of at most 5.0 MB\n"
        "    hint: make it smaller: export it as JPEG at quality 85, or reduce its pixels"
    )


def test_five_images_points_at_the_fifth() -> None:
    items = [item("media/bandera.png", line=10 + 2 * n) for n in range(5)]
    assert check(*items) == (
        [
            "schedule.yaml:18:11: error: this post has 5 images; X and Facebook take at most 4 per post\n"
            "    hint: remove 1 of them, or give them to another post"
        ],
        5,
    )


def test_a_gif_with_another_image() -> None:
    problems, _ = check(item("media/bandera.png"), item("media/animada.gif", line=12))
    assert problems == [
        "schedule.yaml:12:11: error: media/animada.gif is a GIF, and a GIF must be the only image of its post "
        "(this post has 2 media items)\n"
        "    hint: keep the GIF alone, or replace it by a still image (PNG or JPEG)"
    ]


def test_a_gif_alone_is_fine() -> None:
    media, problems = inspect_media([item("media/animada.gif")], BAD_MEDIA, BAD_MEDIA)
    assert problems == [] and media[0].format == "GIF" and media[0].mime == "image/gif"


def test_empty_alt_points_at_the_alt_value() -> None:
    assert check(item("media/bandera.png", alt="   ")) == (
        [
            "schedule.yaml:11:14: error: the alt text of media/bandera.png is empty\n"
            '    hint: describe the image in a sentence, e.g. alt: "Escarapela peruana roja y blanca" '
            "(screen readers read it)"
        ],
        0,
    )


def test_missing_alt_names_the_file() -> None:
    (message,), _ = check(item("media/bandera.png", alt=None))
    assert message.startswith("schedule.yaml:10:11: error: image media/bandera.png has no alt text\n    hint: add ")


def test_alt_over_1000_characters() -> None:
    (message,), _ = check(item("media/bandera.png", alt="á" * 1001))
    assert message.startswith(
        "schedule.yaml:11:14: error: the alt text of media/bandera.png is 1001 characters; at most 1000"
    )


def test_a_directory() -> None:
    assert check(item("media/carpeta.png")) == (
        [
            "schedule.yaml:10:11: error: media/carpeta.png is a folder, not an image file\n"
            "    hint: name an image file inside it"
        ],
        0,
    )


def test_a_symlink_out_of_the_project() -> None:
    assert os.path.islink(BAD_MEDIA / "media" / "fuera.png")
    (message,), passed = check(item("media/fuera.png"))
    assert passed == 0
    assert message == (
        f"schedule.yaml:10:11: error: image file media/fuera.png is outside the project folder {BAD_MEDIA.resolve()} "
        "(it is a symbolic link pointing there)\n"
        "    hint: copy the image into the project (e.g. into media/) and refer to that copy"
    )


def test_a_path_climbing_out_of_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(BAD_MEDIA / "media" / "bandera.png", tmp_path / "outside.png")
    (message,), _ = check(item("../outside.png"), folder=project)
    assert "image file ../outside.png is outside the project folder" in message
    assert "symbolic link" not in message


def test_not_an_image_and_tiny_and_huge_dimensions(tmp_path: Path) -> None:
    from PIL import Image

    (tmp_path / "notas.png").write_text("no soy una imagen")
    Image.new("RGB", (3, 40)).save(tmp_path / "fina.png")
    Image.new("1", (8200, 10)).save(tmp_path / "ancha.png")
    Image.new("RGB", (20, 20)).save(tmp_path / "mapa.bmp")
    problems, passed = check(item("notas.png"), item("fina.png"), item("ancha.png"), item("mapa.bmp"), folder=tmp_path)
    assert passed == 0
    assert [p.split("\n")[0] for p in problems] == [
        "schedule.yaml:10:11: error: notas.png is not an image Pillow can read (JPEG, PNG, WEBP or GIF)",
        "schedule.yaml:10:11: error: fina.png is 3×40 pixels; images must be between 4×4 and 8192×8192",
        "schedule.yaml:10:11: error: ancha.png is 8200×10 pixels; images must be between 4×4 and 8192×8192",
        "schedule.yaml:10:11: error: mapa.bmp is a BMP image; X and Facebook take JPEG, PNG, WEBP or GIF",
    ]


def test_every_problem_of_a_post_is_listed_at_once() -> None:
    problems, passed = check(item("media/no-existe.png"), item("media/carpeta.png", alt=""))
    assert passed == 0 and len(problems) == 3


def test_a_changed_file_is_refused_at_read(tmp_path: Path) -> None:
    target = tmp_path / "a.png"
    shutil.copy(BAD_MEDIA / "media" / "bandera.png", target)
    media, _ = inspect_media([item("a.png")], tmp_path, tmp_path)
    from PIL import Image

    Image.new("RGB", (64, 48), (255, 255, 255)).save(target)

    with pytest.raises(MediaChanged, match=r"a\.png changed after the schedule was checked"):
        read_media(media[0])


def test_thumbnail_of_a_big_photo_is_small(tmp_path: Path) -> None:
    from PIL import Image

    path = big_jpeg(tmp_path / "foto.jpg", megabytes=4.5)
    media, problems = inspect_media([item("foto.jpg")], tmp_path, tmp_path)
    assert problems == []
    mime, data = thumbnail(media[0])
    assert mime == "image/jpeg" and len(data) < path.stat().st_size / 10
    with Image.open(io.BytesIO(data)) as image:
        assert max(image.size) == 640


def test_thumbnail_keeps_png_for_a_palette_image() -> None:
    root = EXAMPLE.parent.parent
    media, _ = inspect_media([item("media/escarapela.png")], root, root)
    mime, data = thumbnail(media[0])
    assert mime == "image/png" and data.startswith(b"\x89PNG") and len(data) < 50_000


def test_importing_bot_media_does_not_load_pillow() -> None:
    code = "import sys, bot.media\nprint('PIL' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert result.stdout.strip() == "False"


def test_a_decompression_bomb_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("1", (20_000, 20_000)).save(tmp_path / "bomba.png")  # 400 Mpx: more than Pillow will open
    (message,), passed = check(item("bomba.png"), folder=tmp_path)
    assert passed == 0
    assert message.startswith("schedule.yaml:10:11: error: bomba.png has far too many pixels (more than 8192×8192)")
