"""A post's `media:` list in schedule.yaml -> checked images, or problems with their file:line:col.

The YAML side (a list of `file` + `alt` mappings) is read here; the files themselves are checked by
bot/media.py, imported only when a schedule has media, so a text-only campaign never loads Pillow.
"""

from __future__ import annotations

from pathlib import Path

from bot import schema
from bot.i18n import N_, _
from bot.model import Media, MediaItem
from bot.yamlfile import Node
from bot.yamlreader import Entry, PositionedReader, show

_HINT = N_('write each image as "- file: media/escarapela.png" with an "alt:" line describing it')


def read_media(reader: PositionedReader, entry: Entry, where: str, folder: Path) -> tuple[Media, ...] | None:
    """The checked images of one post entry; None when any problem was reported (on `reader`)."""
    node = entry.value
    if node.kind != "sequence" or not node.items:
        at = node.position if node.kind != "scalar" or node.text else entry.key.position
        reader.error(
            at,
            _("{where}: 'media' must be a list of images, each with its 'file' and 'alt'").format(where=where),
            _HINT,
        )
        return None
    before = len(reader.problems)
    items = [item for item in (_item(reader, node, where) for node in node.items) if item is not None]
    if len(reader.problems) > before:
        return None
    from bot.media import inspect_media  # Pillow and hashlib: only for a schedule that has images

    media, problems = inspect_media(items, folder, folder)
    reader.problems.extend(problems)
    return None if problems else media


def _item(reader: PositionedReader, node: Node, where: str) -> MediaItem | None:
    if node.kind != "mapping":
        reader.error(
            node.position, _("{where}: each media item must be a 'file' and its 'alt'").format(where=where), _HINT
        )
        return None
    found = reader.mapping(node, schema.MEDIA_FIELDS, f"{where}: media")
    if "file" not in found:
        if "file" not in reader.misspelt:
            reader.error(node.position, _("{where}: a media item has no 'file'").format(where=where), _HINT)
        return None
    file = reader.scalar(found["file"], where)
    if file is None:
        return None
    alt_entry = found.get("alt")
    if alt_entry is None:
        return MediaItem(file, None, found["file"].value.position)
    alt_node = alt_entry.value
    if alt_node.kind != "scalar":
        message = _("{where}: the alt text of {file} must be text, not {alt_node}").format(
            where=where, file=show(file), alt_node=alt_node.describe()
        )
        reader.error(alt_node.position, message, _('write it on one line after "alt:", in quotes'))
        return None
    alt = "" if alt_node.is_null else alt_node.text  # an empty alt is reported by bot/media.py, naming the file
    at = alt_entry.key.position if alt_node.is_null else alt_node.position
    return MediaItem(file, alt, found["file"].value.position, at)
