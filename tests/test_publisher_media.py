"""Images through the real tweepy and facebook-sdk against the fake API (issue 14).

X: one-shot POST /2/media/upload, alt text with POST /2/media/metadata, ids on the first post. Facebook: a
photo post for one image, unpublished photos attached to a feed post for several.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest

from bot.credentials import ConnectionSettings
from bot.media import MediaItem, inspect_media, read_media
from bot.model import Position
from bot.publishers.base import (
    CredentialsError,
    MediaExpired,
    MediaUpload,
    Publisher,
    Rejected,
    RetryLater,
    UploadedMedia,
)
from bot.publishers.facebook import FacebookPublisher
from bot.publishers.factory import make_publisher
from bot.publishers.x import XPublisher, _tweet_matches
from tests.fakeapi import (  # noqa: F401
    FakeAPI,
    ServerEvent,
    XUser,
    environment,
    facebook_account,
    fake_api_fixture,
    x_account,
)
from tests.mediafiles import BAD_MEDIA, EXAMPLE

NOW = datetime(2027, 7, 28, 13, 0, tzinfo=UTC)
ALT = "Escarapela peruana roja y blanca sobre fondo blanco"
TEXT = "1/2 Compatriotas: ¡Felices Fiestas Patrias!"


def upload_of(path: str = "media/escarapela.png", alt: str = ALT) -> MediaUpload:
    """A checked image as the runner will hand it over: bot.media's Media read back from disk."""
    root = EXAMPLE.parent.parent if path.startswith("media/escarapela") else BAD_MEDIA
    (media,), problems = inspect_media([MediaItem(path, alt, Position("schedule.yaml", 1, 1))], root, root)
    assert problems == []
    return MediaUpload(read_media(media), media.mime, media.alt, media.path.name)


def x_publisher(api: FakeAPI, username: str = "CancilleriaPeru", timeout: float = 0.5) -> tuple[XPublisher, XUser]:
    user, env = api.add_x_user(username, "Cancillería del Perú", "CANCILLERIA_X")
    return XPublisher(x_account(handle=username), environment(env), api.settings(timeout=timeout)), user


def fb_publisher(api: FakeAPI, page_id: str = "104") -> FacebookPublisher:
    _, env = api.add_page(page_id, "Cancillería del Perú", "CANCILLERIA_FB")
    return FacebookPublisher(facebook_account(page_id=page_id), environment(env), api.settings())


# --- X ------------------------------------------------------------------------------------------------------


def test_x_first_post_carries_the_image_with_its_alt_text_and_the_same_bytes(fake_api: FakeAPI) -> None:
    publisher, user = x_publisher(fake_api)
    image = upload_of()
    (uploaded,) = publisher.upload_media([image], NOW)
    assert uploaded.expires_at == NOW + timedelta(seconds=86_400)
    first = publisher.publish(TEXT, media=[image], media_ids=[uploaded.id])
    publisher.publish("2/2 ¡Viva el Perú!", reply_to=first.remote_id)

    posts = fake_api.posts("x", user.user_id)
    assert [len(p.media) for p in posts] == [1, 0]
    (stored,) = posts[0].media
    assert stored.sha256 == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert (stored.alt, stored.mime, stored.width, stored.height) == (ALT, "image/png", 1200, 675)
    paths = [r.path for r in fake_api.requests("x")]
    assert paths == ["/2/media/upload", "/2/media/metadata", "/2/tweets", "/2/tweets"]


def test_x_four_images_in_order_and_a_gif_alone(fake_api: FakeAPI) -> None:
    publisher, user = x_publisher(fake_api)
    images = [upload_of("media/bandera.png", f"Bandera {n}") for n in range(4)]
    ids = publisher.upload_media(images, NOW)
    publisher.publish("Cuatro banderas", media_ids=[m.id for m in ids])
    gif = upload_of("media/animada.gif", "Bandera animada")
    (gif_id,) = publisher.upload_media([gif], NOW)
    publisher.publish("Una bandera animada", media_ids=[gif_id.id])
    four, alone = fake_api.posts("x", user.user_id)
    assert [m.alt for m in four.media] == [f"Bandera {n}" for n in range(4)]
    assert [m.mime for m in alone.media] == ["image/gif"]


def test_x_upload_is_signed_with_oauth1_like_a_post(fake_api: FakeAPI) -> None:
    _, env = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    env["CANCILLERIA_X_ACCESS_TOKEN_SECRET"] = "a-wrong-secret-value"
    publisher = XPublisher(x_account(), environment(env), fake_api.settings())
    with pytest.raises(CredentialsError, match="401"):
        publisher.upload_media([upload_of()], NOW)
    assert fake_api.posts() == []


def test_x_refuses_bytes_that_are_not_the_image_they_claim(fake_api: FakeAPI) -> None:
    publisher, _ = x_publisher(fake_api)
    with pytest.raises(Rejected, match=r"POST /2/media/upload \(400\)"):
        publisher.upload_media([MediaUpload(b"GIF89a but not really", "image/gif", ALT, "x.gif")], NOW)
    png = upload_of()
    with pytest.raises(Rejected):
        publisher.upload_media([MediaUpload(png.data, "image/jpeg", ALT, "x.jpg")], NOW)


def test_x_expired_id_is_refused_then_a_new_upload_posts(fake_api: FakeAPI) -> None:
    publisher, user = x_publisher(fake_api)
    image = upload_of()
    (old,) = publisher.upload_media([image], NOW)
    fake_api.expire_media()
    with pytest.raises(MediaExpired, match="upload the images again"):
        publisher.publish(TEXT, media_ids=[old.id])
    assert fake_api.posts("x") == []
    (new,) = publisher.upload_media([image], NOW)
    assert new.id != old.id
    publisher.publish(TEXT, media_ids=[new.id])
    (post,) = fake_api.posts("x", user.user_id)
    assert post.media[0].id == new.id and post.media[0].alt == ALT


def test_x_media_of_another_account_or_unknown_cannot_be_attached(fake_api: FakeAPI) -> None:
    other, _ = x_publisher(fake_api, "OtraCuenta")
    publisher, _ = x_publisher(fake_api)
    (theirs,) = other.upload_media([upload_of()], NOW)
    for media_id in (theirs.id, "1234567890"):
        with pytest.raises(MediaExpired):
            publisher.publish(TEXT, media_ids=[media_id])
    assert fake_api.posts("x") == []


def test_x_upload_timeout_is_retry_later_not_outcome_unknown(fake_api: FakeAPI) -> None:
    publisher, _ = x_publisher(fake_api, timeout=0.3)
    fake_api.commit_then_slow("x", delay=1.0)
    with pytest.raises(RetryLater, match="POST /2/media/upload failed"):
        publisher.upload_media([upload_of()], NOW)


def test_x_upload_rate_limited_carries_the_reset(fake_api: FakeAPI) -> None:
    publisher, _ = x_publisher(fake_api)
    fake_api.x_rate_limited(1_900_000_000)
    with pytest.raises(RetryLater) as caught:
        publisher.upload_media([upload_of()], NOW)
    assert caught.value.retry_at == datetime.fromtimestamp(1_900_000_000, UTC)


def test_x_lookup_recognises_a_post_whose_text_ends_with_the_media_link(fake_api: FakeAPI) -> None:
    publisher, _ = x_publisher(fake_api)
    (uploaded,) = publisher.upload_media([upload_of()], NOW)
    text = "Compatriotas: más en https://www.rree.gob.pe ¡Viva el Perú!"
    posted = publisher.publish(text, media_ids=[uploaded.id])
    found = publisher.find_recent(text)
    assert found is not None and found.remote_id == posted.remote_id
    assert publisher.find_recent("Compatriotas") is None


def test_x_match_strips_only_links_that_stand_for_media() -> None:
    # The shape X returns (GET /2/users/:id/tweets with tweet.fields=entities) for a post with two images.
    tweet = {
        "id": "1815",
        "text": "¡Felices Fiestas Patrias! https://t.co/AbCdEf1234",
        "entities": {
            "urls": [
                {
                    "start": 26,
                    "end": 49,
                    "url": "https://t.co/AbCdEf1234",
                    "expanded_url": "https://x.com/CancilleriaPeru/status/1815/photo/1",
                    "display_url": "pic.x.com/AbCdEf1234",
                    "media_key": "3_1",
                },
                {
                    "start": 26,
                    "end": 49,
                    "url": "https://t.co/AbCdEf1234",
                    "expanded_url": "https://x.com/CancilleriaPeru/status/1815/photo/2",
                    "display_url": "pic.x.com/AbCdEf1234",
                    "media_key": "3_2",
                },
            ]
        },
    }
    assert _tweet_matches("¡Felices Fiestas Patrias!", tweet)
    assert not _tweet_matches("¡Felices Fiestas Patrias! https://t.co/AbCdEf1234 extra", tweet)
    # Without a media_key the same link is a link the author wrote: it is not dropped.
    for entity in tweet["entities"]["urls"]:  # type: ignore[index]
        del entity["media_key"]
    assert not _tweet_matches("¡Felices Fiestas Patrias!", tweet)


# --- Facebook -----------------------------------------------------------------------------------------------


def test_facebook_one_image_is_a_photo_post_whose_post_id_is_the_post(fake_api: FakeAPI) -> None:
    publisher = fb_publisher(fake_api)
    image = upload_of()
    assert publisher.upload_media([image], NOW) == ()  # a lone image goes with the post itself
    published = publisher.publish(TEXT, media=[image])
    (post,) = fake_api.posts("facebook", "104")
    assert published.remote_id == post.id and post.id.startswith("104_")
    assert published.url == f"https://www.facebook.com/{post.id}"
    assert post.text == TEXT
    assert [(m.sha256, m.alt) for m in post.media] == [(hashlib.sha256(EXAMPLE.read_bytes()).hexdigest(), ALT)]
    assert [r.path for r in fake_api.requests("facebook")] == ["/v25.0/104/photos"]
    found = publisher.find_recent(TEXT)
    assert found is not None and found.remote_id == post.id


def test_facebook_several_images_are_unpublished_photos_attached_to_one_feed_post(fake_api: FakeAPI) -> None:
    publisher = fb_publisher(fake_api)
    images = [upload_of(), upload_of("media/bandera.png", "Bandera del Perú")]
    uploaded = publisher.upload_media(images, NOW)
    assert len(uploaded) == 2 and all(u.expires_at is None for u in uploaded)
    assert fake_api.posts() == []  # unpublished photos are not posts
    published = publisher.publish(TEXT, media=images, media_ids=[u.id for u in uploaded])
    (post,) = fake_api.posts("facebook", "104")
    assert published.remote_id == post.id
    assert [m.id for m in post.media] == [u.id for u in uploaded]
    assert [m.sha256 for m in post.media] == [i.sha256 for i in images]
    assert [m.alt for m in post.media] == [ALT, "Bandera del Perú"]
    uploads = [r for r in fake_api.requests("facebook") if r.path.endswith("/photos")]
    assert len(uploads) == 2


def test_facebook_expired_or_foreign_photo_ids_are_media_expired(fake_api: FakeAPI) -> None:
    other = fb_publisher(fake_api, "205")
    publisher = fb_publisher(fake_api)
    images = [upload_of(), upload_of("media/bandera.png", "Bandera del Perú")]
    theirs = other.upload_media(images, NOW)
    with pytest.raises(MediaExpired, match="media_fbid"):
        publisher.publish(TEXT, media=images, media_ids=[u.id for u in theirs])
    mine = publisher.upload_media(images, NOW)
    fake_api.expire_media()
    with pytest.raises(MediaExpired):
        publisher.publish(TEXT, media=images, media_ids=[u.id for u in mine])
    assert fake_api.posts() == []
    again = publisher.upload_media(images, NOW)
    publisher.publish(TEXT, media=images, media_ids=[u.id for u in again])
    assert len(fake_api.posts("facebook", "104")[0].media) == 2


def test_facebook_refuses_a_file_that_is_not_an_image(fake_api: FakeAPI) -> None:
    publisher = fb_publisher(fake_api)
    with pytest.raises(Rejected, match="324"):
        publisher.publish(TEXT, media=[MediaUpload(b"not an image", "image/png", ALT, "x.png")])
    assert fake_api.posts() == []


# --- every publisher ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["x", "facebook", "console"])
def test_upload_then_publish_then_find(fake_api: FakeAPI, kind: str) -> None:
    publisher: Publisher
    if kind == "x":
        publisher, _ = x_publisher(fake_api)
    elif kind == "facebook":
        publisher = fb_publisher(fake_api)
    else:
        publisher = make_publisher(x_account(), environment({}), ConnectionSettings(), True, io.StringIO())
    images = [upload_of()]
    uploaded: tuple[UploadedMedia, ...] = publisher.upload_media(images, NOW)
    assert all(u.usable(NOW) for u in uploaded)
    first = publisher.publish(TEXT, media=images, media_ids=[u.id for u in uploaded])
    found = publisher.find_recent(TEXT)
    assert found is not None and found.remote_id == first.remote_id


def test_uploads_are_not_reported_as_created_posts(fake_api: FakeAPI) -> None:
    events: list[ServerEvent] = []

    def observer(event: ServerEvent) -> None:
        if event.phase == "handled":
            events.append(event)

    fake_api.add_observer(observer)
    publisher, _ = x_publisher(fake_api)
    (uploaded,) = publisher.upload_media([upload_of()], NOW)
    publisher.publish(TEXT, media_ids=[uploaded.id])
    assert [(e.path, e.created) for e in events] == [
        ("/2/media/upload", False),
        ("/2/media/metadata", False),
        ("/2/tweets", True),
    ]


def test_usable_leaves_a_margin_before_expiry() -> None:
    media = UploadedMedia("1", NOW + timedelta(minutes=30))
    assert media.usable(NOW) and not media.usable(NOW + timedelta(minutes=21))
    assert UploadedMedia("2").usable(NOW + timedelta(days=400))


def test_the_unit_test_fake_publisher_refuses_expired_ids_like_the_platforms() -> None:
    from tests.fakes import FakePublisher

    fake = FakePublisher()
    image = upload_of()
    (uploaded,) = fake.upload_media([image], NOW)
    assert uploaded.expires_at == NOW + timedelta(hours=24)
    fake.expire_media()
    with pytest.raises(MediaExpired):
        fake.publish(TEXT, media_ids=[uploaded.id])
    (again,) = fake.upload_media([image], NOW)
    fake.publish(TEXT, media_ids=[again.id])
    assert fake.posts[0].media == (image,)
