"""The images of a post in the HTML preview: scaled-down copies embedded as data: URIs, with their alt text.

The page stays one self-contained file (its CSP allows images from data: only); a 5 MB photo becomes a
thumbnail of a few tens of kilobytes. The same image on several posts is scaled once, and each post shows it with its
own alt text and file name (the figure is made per post; only the scaled bytes are shared).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from markupsafe import Markup

from bot.i18n import N_, _
from bot.model import Media
from bot.problems import shown

_FIGURE = N_(
    '<figure class="media-item"><img src="data:{mime};base64,{data}" alt="{alt}" width="{width}" height="{height}">'
    '<figcaption><span class="media-file">{file} · {format} {full_width}×{full_height}</span> '
    '<span class="media-alt"><abbr title="alternative text, read out by screen readers">ALT</abbr> {alt}</span>'
    "</figcaption></figure>"
)
_CHANGED = Markup('<p class="media-item media-changed">{file}: {reason}</p>')


class Thumbnails:
    """Thumbnails by content digest, for one page; each figure with its own post's alt text."""

    def __init__(self) -> None:
        self._scaled: dict[str, tuple[str, bytes] | str] = {}  # sha256 -> (mime, data), or why it cannot be shown

    def block(self, media: Sequence[Media]) -> Markup:
        """The images of one post, laid out as the platforms lay out several images; empty without media."""
        if not media:
            return Markup("")
        figures = Markup("").join(self._figure(m) for m in media)
        return Markup('<div class="media media-{}">{}</div>').format(len(media), figures)

    def _figure(self, media: Media) -> Markup:
        if media.sha256 not in self._scaled:
            self._scaled[media.sha256] = _scale(media)
        return _render(media, self._scaled[media.sha256])


def _scale(media: Media) -> tuple[str, bytes] | str:
    from bot.media import THUMBNAIL_SIDE, MediaChanged, thumbnail

    try:
        return thumbnail(media, THUMBNAIL_SIDE)
    except (MediaChanged, OSError) as error:  # edited or removed since it was checked: say so, do not fail
        return str(error)


def _render(media: Media, scaled: tuple[str, bytes] | str) -> Markup:
    from bot.media import THUMBNAIL_SIDE

    if isinstance(scaled, str):
        return _CHANGED.format(file=media.file, reason=scaled)
    mime, data = scaled
    scale = min(1.0, THUMBNAIL_SIDE / max(media.width, media.height))  # layout hints; CSS keeps the ratio
    width, height = max(1, round(media.width * scale)), max(1, round(media.height * scale))
    return Markup(_(_FIGURE)).format(
        mime=mime,
        data=base64.b64encode(data).decode("ascii"),
        alt=shown(media.alt),
        width=width,
        height=height,
        file=media.file,
        format=media.format,
        full_width=media.width,
        full_height=media.height,
    )
