"""End to end with an image: the daemon as a subprocess against the fake X and Graph APIs (tests/fakeapi.py).

The thread's first post and the Facebook post carry the committed image with its alt text, byte for byte
(sha256); a SIGKILL during the upload or during the creation of the post still gives one post each, with the
image; an id the platform no longer knows is uploaded again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e import Campaign, api_fixture, campaign_fixture, finish  # noqa: F401
from tests.fakeapi import Observer, ServerEvent
from tests.mediafiles import EXAMPLE

ALT = "Escarapela peruana roja y blanca sobre fondo blanco"
SHA = hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
TEXT = (
    "¡Felices Fiestas Patrias! Hoy celebramos un aniversario más de la independencia del Perú, con todos los "
    "peruanos que viven en el extranjero y que llevan al país en el corazón.\n\n"
    "Gracias por su trabajo y su cariño: la Cancillería está con ustedes en cada consulado y en cada embajada, "
    "hoy y todos los días del año. ¡Viva el Perú!\n"
)


def media_campaign(campaign: Campaign, seconds: float = 3) -> None:
    (campaign.folder / "media").mkdir(exist_ok=True)
    shutil.copy(EXAMPLE, campaign.folder / "media" / "escarapela.png")
    at = (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)
    message = campaign.message("corto.txt", TEXT)
    campaign.schedule([{"id": "saludo", "at": at, "message": message, "media": [("media/escarapela.png", ALT)]}])


def assert_one_post_each_with_the_image(campaign: Campaign) -> None:
    expected = campaign.fragments("saludo", "cx")
    assert len(expected) >= 2
    campaign.assert_thread(expected)
    first, *rest = campaign.x_posts()
    assert [(m.sha256, m.alt, m.mime) for m in first.media] == [(SHA, ALT, "image/png")]
    assert all(post.media == () for post in rest)
    (page_post,) = campaign.api.posts("facebook", "104")
    assert page_post.text == campaign.fragments("saludo", "cf")[0]
    assert [(m.sha256, m.alt) for m in page_post.media] == [(SHA, ALT)]
    assert campaign.post_status("saludo", "cx")["state"] == "sent"
    assert campaign.post_status("saludo", "cf")["state"] == "sent"
    campaign.assert_no_secrets()


def test_the_first_post_of_the_thread_and_the_page_post_carry_the_image(campaign: Campaign) -> None:
    media_campaign(campaign)
    assert finish(campaign.start("--exit-when-done")) == 0, campaign.log()
    assert_one_post_each_with_the_image(campaign)
    assert campaign.api.count("x", "POST") == len(campaign.x_posts()) + 2  # + the upload and its alt text


def kill_at(process: subprocess.Popen[bytes], phase: str, platform: str, path_end: str) -> Observer:
    """An observer that SIGKILLs the daemon at the first `phase` of a POST whose path ends with `path_end`."""
    done: list[bool] = []

    def observer(event: ServerEvent) -> str | None:
        if done or (event.phase, event.platform, event.method) != (phase, platform, "POST"):
            return None
        if not event.path.endswith(path_end):
            return None
        done.append(True)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        return "drop"

    return observer


@pytest.mark.parametrize(
    ("phase", "platform", "path_end"),
    [
        ("received", "x", "/2/media/upload"),  # during the upload: the post was never created
        ("handled", "x", "/2/tweets"),  # the post with its image exists, the answer never leaves
        ("handled", "facebook", "/photos"),  # the photo post exists, the answer never leaves
    ],
)
def test_sigkill_during_the_upload_or_the_post_gives_one_post_with_the_image(
    campaign: Campaign, phase: str, platform: str, path_end: str
) -> None:
    media_campaign(campaign, seconds=4)
    process = campaign.start()
    observer = kill_at(process, phase, platform, path_end)
    campaign.api.add_observer(observer)
    assert finish(process) == -signal.SIGKILL, campaign.log()
    campaign.api.remove_observer(observer)

    assert finish(campaign.start("--exit-when-done")) == 0, campaign.log()

    assert_one_post_each_with_the_image(campaign)
    if phase == "handled":
        assert "found on the platform" in campaign.log(), campaign.log()


def test_an_expired_media_id_is_uploaded_again(campaign: Campaign) -> None:
    media_campaign(campaign)
    campaign.api.before_request("x", "POST", 3, campaign.api.expire_media)  # upload, alt text, then the post
    assert finish(campaign.start("--exit-when-done")) == 0, campaign.log()
    assert_one_post_each_with_the_image(campaign)
    uploads = [r for r in campaign.api.requests("x") if r.path == "/2/media/upload"]
    assert len(uploads) == 2
    assert "uploading the images again" in campaign.log()
