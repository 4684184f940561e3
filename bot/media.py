"""Image files attached to a post: checked once, at load time, so that publishing never meets a bad file.

The only module that imports Pillow, and only inside its functions: a campaign without media never loads it.
The extension of a file is not trusted; its content says what it is. Every problem found is returned at once,
each with the position of the YAML value it is about.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import unicodedata
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.i18n import N_, _
from bot.model import Media, MediaFormat, MediaItem
from bot.problems import Problem, describe_character, hidden_characters
from bot.schema import MAX_ALT_LENGTH, MAX_MEDIA_ITEMS

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["Media", "MediaChanged", "MediaItem", "inspect_media", "read_media", "thumbnail"]


MAX_IMAGES = MAX_MEDIA_ITEMS  # X and Facebook: up to 4 images on one post, or one GIF alone
MAX_ALT = MAX_ALT_LENGTH  # X's alt text limit (characters)
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # X: images up to 5 MB
MAX_GIF_BYTES = 15 * 1024 * 1024  # X: GIFs up to 15 MB
MIN_SIDE = 4
MAX_SIDE = 8192

MIME: dict[MediaFormat, str] = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
EXTENSIONS: dict[MediaFormat, tuple[str, ...]] = {
    "JPEG": (".jpg", ".jpeg"),
    "PNG": (".png",),
    "WEBP": (".webp",),
    "GIF": (".gif",),
}
# Pillow's name for a camera JPEG that carries extra preview frames (MPO) is still a JPEG to the platforms.
_PILLOW_FORMATS: dict[str, MediaFormat] = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "GIF"}


def read_media(media: Media) -> bytes:
    """The file's bytes, refused if they are no longer the ones checked (changed since loading)."""
    data = media.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != media.sha256:
        raise MediaChanged(
            _("{file} changed after the schedule was checked; run validate again (nothing was sent)").format(
                file=media.file
            )
        )
    return data


class MediaChanged(Exception):
    """The file on disk is no longer the one checked and previewed."""


def inspect_media(
    items: Sequence[MediaItem], schedule_dir: Path, project_dir: Path
) -> tuple[tuple[Media, ...], list[Problem]]:
    """Check every item of one post's `media:` list; returns the images that passed and every problem found."""
    problems: list[Problem] = []
    media: list[Media] = []
    for item in items:
        checked = _inspect_one(item, schedule_dir, project_dir, problems)
        if checked is not None:
            media.append(checked)
    if len(items) > MAX_IMAGES:
        problems.append(
            Problem(
                items[MAX_IMAGES].position,
                _("this post has {items} images; X and Facebook take at most {MAX_IMAGES} per post").format(
                    items=len(items), MAX_IMAGES=MAX_IMAGES
                ),
                _("remove {items} of them, or give them to another post").format(items=len(items) - MAX_IMAGES),
            )
        )
    gifs = [m for m in media if m.format == "GIF"]
    if gifs and len(items) > 1:
        problems.append(
            Problem(
                gifs[0].position,
                _(
                    "{file} is a GIF, and a GIF must be the only image of its post (this post has {items} media items)"
                ).format(file=gifs[0].file, items=len(items)),
                _("keep the GIF alone, or replace it by a still image (PNG or JPEG)"),
            )
        )
    return tuple(media), problems


def _inspect_one(item: MediaItem, schedule_dir: Path, project_dir: Path, problems: list[Problem]) -> Media | None:
    alt = _check_alt(item, problems)
    path = _check_path(item, schedule_dir, project_dir, problems)
    if path is None:
        return None
    kind = _read_image(item, path, problems)
    if kind is None:
        return None
    image_format, width, height = kind
    problems_before = len(problems)
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS[image_format]:
        named = (
            _("its name ends in {suffix}").format(suffix=path.suffix) if path.suffix else _("its name has no extension")
        )
        problems.append(
            Problem(
                item.position,
                _("{file} is a {image_format} image but {named}").format(
                    file=item.file, image_format=image_format, named=named
                ),
                _("rename it to {EXTENSIONS} (the platforms and browsers go by the extension too)").format(
                    EXTENSIONS=Path(item.file).with_suffix(EXTENSIONS[image_format][0]).as_posix()
                ),
            )
        )
    limit = MAX_GIF_BYTES if image_format == "GIF" else MAX_IMAGE_BYTES
    size = path.stat().st_size
    data = b""
    if size > limit:
        problems.append(_too_big(item, size, limit, "a GIF" if image_format == "GIF" else "an image"))
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        problems.append(
            Problem(
                item.position,
                _(
                    "{file} is {width}×{height} pixels; images must be between {MIN_SIDE}×{MIN_SIDE} and "
                    "{MAX_SIDE}×{MAX_SIDE}"
                ).format(file=item.file, width=width, height=height, MIN_SIDE=MIN_SIDE, MAX_SIDE=MAX_SIDE),
                _("resize it (for example to 2048 pixels on its longest side)"),
            )
        )
    elif size <= limit:
        try:
            data = path.read_bytes()  # these exact bytes are decoded and hashed
        except OSError as error:
            problems.append(
                Problem(
                    item.position,
                    _("{file} cannot be read ({strerror})").format(file=item.file, strerror=error.strerror),
                    _FIX_PERMISSIONS,
                )
            )
            return None
        size = len(data)
        _check_decodes(item, data, image_format, problems)
    if alt is None or len(problems) > problems_before:
        return None
    return Media(
        file=item.file,
        path=path,
        format=image_format,
        mime=MIME[image_format],
        width=width,
        height=height,
        size=size,
        sha256=hashlib.sha256(data).hexdigest(),
        alt=alt,
        position=item.position,
    )


def _check_alt(item: MediaItem, problems: list[Problem]) -> str | None:
    where = item.alt_position or item.position
    hint = _('describe the image in a sentence, e.g. alt: "Escarapela peruana roja y blanca" (screen readers read it)')
    if item.alt is None:
        problems.append(Problem(item.position, _("image {file} has no alt text").format(file=item.file), "add " + hint))
        return None
    alt = unicodedata.normalize("NFC", item.alt).strip()
    if not alt:
        problems.append(Problem(where, _("the alt text of {file} is empty").format(file=item.file), hint))
        return None
    hidden = hidden_characters(alt)
    for offset in hidden:
        message = _(
            "the alt text of {file} contains the invisible character {character} (character {n}): whoever approves "
            "it cannot see it"
        ).format(file=item.file, character=describe_character(alt[offset]), n=offset + 1)
        problems.append(Problem(where, message, _("remove it; the alt text is read out as written")))
    if hidden:
        return None
    if len(alt) > MAX_ALT:
        problems.append(
            Problem(
                where,
                _("the alt text of {file} is {alt} characters; at most {MAX_ALT}").format(
                    file=item.file, alt=len(alt), MAX_ALT=MAX_ALT
                ),
                _("shorten it: the alt text describes the image; put the rest in the post's text"),
            )
        )
        return None
    return alt


_FIX_PERMISSIONS = N_("check the file's permissions")
_PATH_HINT = N_("the path is relative to the folder of schedule.yaml; check its spelling")


def _check_path(item: MediaItem, schedule_dir: Path, project_dir: Path, problems: list[Problem]) -> Path | None:
    if not item.file.strip():
        problems.append(
            Problem(item.position, _("the media file name is empty"), _("write the image's path, e.g. media/x.png"))
        )
        return None
    written = schedule_dir / item.file
    if not os.path.lexists(written):
        problems.append(Problem(item.position, _("image file {file} not found").format(file=item.file), _PATH_HINT))
        return None
    project = project_dir.resolve()
    resolved = written.resolve()
    if not resolved.is_relative_to(project):
        via = _(" (it is a symbolic link pointing there)") if _has_link(written, schedule_dir) else ""
        problems.append(
            Problem(
                item.position,
                _("image file {file} is outside the project folder {project}{via}").format(
                    file=item.file, project=project, via=via
                ),
                _("copy the image into the project (e.g. into media/) and refer to that copy"),
            )
        )
        return None
    try:
        mode = resolved.stat().st_mode
    except OSError:  # a dangling link inside the project
        problems.append(
            Problem(item.position, _("image file {file} not found (a broken link)").format(file=item.file), _PATH_HINT)
        )
        return None
    if stat.S_ISDIR(mode):
        problems.append(
            Problem(
                item.position,
                _("{file} is a folder, not an image file").format(file=item.file),
                _("name an image file inside it"),
            )
        )
        return None
    if not stat.S_ISREG(mode):
        problems.append(
            Problem(item.position, _("{file} is not a regular file").format(file=item.file), _("name an image file"))
        )
        return None
    return resolved


def _has_link(path: Path, stop: Path) -> bool:
    """Is `path`, or one of its folders below `stop`, a symbolic link?"""
    current = path
    while current != stop and current != current.parent:
        if current.is_symlink():
            return True
        current = current.parent
    return False


def _too_big(item: MediaItem, size: int, limit: int, what: str) -> Problem:
    return Problem(
        item.position,
        _("{file} is {size}; X accepts {what} of at most {limit}").format(
            file=item.file, size=_megabytes(size), what=what, limit=_megabytes(limit)
        ),
        _("make it smaller: export it as JPEG at quality 85, or reduce its pixels"),
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _read_image(item: MediaItem, path: Path, problems: list[Problem]) -> tuple[MediaFormat, int, int] | None:
    """The format and size from the file's header (Pillow reads no pixels yet, however big the file)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # a huge image warns of a decompression bomb: the size check says more
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                found, width, height = image.format or "", image.width, image.height
    except PermissionError as error:
        problems.append(
            Problem(
                item.position,
                _("{file} cannot be read ({strerror})").format(file=item.file, strerror=error.strerror),
                _FIX_PERMISSIONS,
            )
        )
        return None
    except Image.DecompressionBombError:
        problems.append(
            Problem(
                item.position,
                _("{file} has far too many pixels (more than {MAX_SIDE}×{MAX_SIDE})").format(
                    file=item.file, MAX_SIDE=MAX_SIDE
                ),
                _("resize it (for example to 2048 pixels on its longest side)"),
            )
        )
        return None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        problems.append(
            Problem(
                item.position,
                _("{file} is not an image Pillow can read (JPEG, PNG, WEBP or GIF)").format(file=item.file),
                _("export it again as PNG or JPEG"),
            )
        )
        return None
    image_format = _PILLOW_FORMATS.get(found)
    if image_format is None:
        problems.append(
            Problem(
                item.position,
                _("{file} is a {found} image; X and Facebook take JPEG, PNG, WEBP or GIF").format(
                    file=item.file, found=found
                ),
                _("convert it to PNG or JPEG"),
            )
        )
        return None
    return image_format, width, height


def _check_decodes(item: MediaItem, data: bytes, image_format: MediaFormat, problems: list[Problem]) -> None:
    """verify() checks the structure (PNG CRCs...); a full load() of every frame finds truncated pixel data."""
    from PIL import Image, ImageSequence

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            for frame in ImageSequence.Iterator(image):
                frame.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        problems.append(
            Problem(
                item.position,
                _("{file} is a damaged or incomplete {image_format} image ({error})").format(
                    file=item.file, image_format=image_format, error=error
                ),
                _("export or download the image again from its original"),
            )
        )


# --- the preview's thumbnails ----------------------------------------------------------------------------

THUMBNAIL_SIDE = 640  # pixels on the longest side: sharp on a page, a few tens of kilobytes


def thumbnail(media: Media, side: int = THUMBNAIL_SIDE) -> tuple[str, bytes]:
    """A scaled-down copy for the HTML preview: (mime type, bytes), JPEG for photos, PNG for transparency."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(read_media(media))) as original:
        image: Image.Image = ImageOps.exif_transpose(original) or original  # as phones and the platforms show it
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        if image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info:
            image.save(buffer, format="PNG", optimize=True)
            return "image/png", buffer.getvalue()
        image.convert("RGB").save(buffer, format="JPEG", quality=82, optimize=True)
        return "image/jpeg", buffer.getvalue()
