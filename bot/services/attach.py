"""A post's images at publishing time: read, uploaded (again when needed) and attached to its first fragment.

An upload is not a publication: nothing is visible until a post names the ids, so uploading again is always
safe. Ids are uploaded when the first fragment is sent, never when the daemon starts (X's expire after 24 h),
and recorded in the outbox with their expiry: a retry reuses them while they are usable, and uploads again
when one has expired, the images or their alt texts changed, or the platform answers MediaExpired (nothing was posted
then). The alt text is set at upload, so an id is reused only for the same bytes *and* the same alt text: a corrected
and re-approved alt text is uploaded again, never sent as the old one (the record keeps upload_key, not the bare hash).
The runner brackets this call like any publish(): a crash during the upload leaves the fragment `sending`,
looked up before anything is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.i18n import _
from bot.model import Post
from bot.publishers.base import MediaExpired, MediaUpload, Published, Publisher, Rejected, UploadedMedia
from bot.store import MediaRecord, Outbox

logger = logging.getLogger("bot.runner")  # one log stream with the runner's lines about the same post


def publish(
    post: Post,
    index: int,
    text: str,
    reply_to: str | None,
    publisher: Publisher,
    outbox: Outbox,
    now: Callable[[], datetime],
) -> Published:
    """publisher.publish() of one fragment, with the post's images when it is the first one."""
    if index != 1 or not post.media:
        return publisher.publish(text, reply_to, (), ())
    uploads = _read(post)
    ids = _stored_ids(post, uploads, outbox, now())
    if ids is None:
        ids = _upload(post, uploads, publisher, outbox, now)
    try:
        outbox.assert_may_send()  # again after an upload, which may have taken a while (a shared store's lease)
        return publisher.publish(text, reply_to, uploads, ids)
    except MediaExpired as error:  # nothing was posted: upload again and post once more
        logger.warning(
            _("post {id} account {name}: {error}; uploading the images again").format(
                id=post.id, name=post.account.name, error=error
            )
        )
        ids = _upload(post, uploads, publisher, outbox, now)
        outbox.assert_may_send()
        return publisher.publish(text, reply_to, uploads, ids)


def _read(post: Post) -> tuple[MediaUpload, ...]:
    from bot.media import MediaChanged, read_media

    try:
        return tuple(MediaUpload(read_media(m), m.mime, m.alt, m.path.name) for m in post.media)
    except MediaChanged as error:  # not what was checked and previewed: a person decides
        raise Rejected(f"{error}; then `python main.py resume {post.id}`") from None
    except OSError as error:
        raise Rejected(f"an image of the post cannot be read ({error.strerror}); restore it, then resume") from None


def upload_key(upload: MediaUpload) -> str:
    """What an uploaded id stands for: the image's bytes and the alt text set on it at upload. SHA-256 of the bytes'
    hex SHA-256 (64 characters, so the boundary is fixed), a newline and the alt text in UTF-8."""
    import hashlib

    return hashlib.sha256(f"{upload.sha256}\n{upload.alt}".encode()).hexdigest()


def _stored_ids(post: Post, uploads: Sequence[MediaUpload], outbox: Outbox, now: datetime) -> tuple[str, ...] | None:
    """The recorded ids when they are for these exact images with these alt texts and still usable; None: upload."""
    stored = outbox.media_of(post.id, post.account.name)
    if [m.sha256 for m in stored] != [upload_key(u) for u in uploads]:
        if stored:
            logger.info(
                _("post {post} account {account}: the images or their alt texts changed; uploading again").format(
                    post=post.id, account=post.account.name
                )
            )
        return None
    if not all(UploadedMedia(m.media_id, m.expires_at).usable(now) for m in stored):
        logger.info(
            _("post {id} account {name}: the uploaded images expired; uploading again").format(
                id=post.id, name=post.account.name
            )
        )
        return None
    return tuple(m.media_id for m in stored)


def _upload(
    post: Post, uploads: Sequence[MediaUpload], publisher: Publisher, outbox: Outbox, now: Callable[[], datetime]
) -> tuple[str, ...]:
    uploaded = publisher.upload_media(uploads, now())
    stamp = now()
    outbox.record_media(
        post.id,
        post.account.name,
        [
            MediaRecord(position, upload_key(item), media.id, media.expires_at, stamp)
            for position, (item, media) in enumerate(zip(uploads, uploaded, strict=False), start=1)
        ],
        stamp,
    )
    return tuple(media.id for media in uploaded)
