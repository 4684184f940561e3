"""The approval digest of what goes out, matching a typed digest, and the fragment diff (pure core)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.approval import (
    Candidate,
    MalformedDigest,
    entry_digest,
    fragment_diff,
    parse_hex,
    post_digest,
    resolve,
)
from bot.model import Account, Media, Position, Post
from tests.approvalfake import fb_post, with_texts, x_post

# The version-1 encoding written out by hand (see bot/approval.py), hashed here with hashlib alone.
X_BYTES = (
    b"fiestas-patrias-bot approval digest v1\n"
    b"platform 1:x\n"
    b"target 15:cancilleriaperu\n"
    b"fragments 1:2\n"
    b"fragment 30:\xc2\xa1Felices Fiestas Patrias! 1/2\n"
    b"fragment 17:Viva el Per\xc3\xba 2/2\n"
    b"media 1:0\n"
)
X_PINNED = "43fbed43cfc000f0de2ecd7d20c6851652e5bd581c4c263f894dd0bc2fe3e294"
IMAGE_SHA = hashlib.sha256(b"\x89PNG escarapela").hexdigest()
FB_BYTES = (
    b"fiestas-patrias-bot approval digest v1\n"
    b"platform 8:facebook\n"
    b"target 10:1234567890\n"
    b"fragments 1:1\n"
    b"fragment 17:Viva el Per\xc3\xba 1/1\n"
    b"media 1:1\n"
    b"sha256 64:" + IMAGE_SHA.encode() + b"\n"
    b"alt 10:Escarapela\n"
)
FB_PINNED = "c1f2f14487c24052ecdb5705655f8b6d03ce233a6987eaebb8fd05caa64ef6b4"
MEDIA = [(IMAGE_SHA, "Escarapela")]


# -- the digest ---------------------------------------------------------------------------------------------


def test_digest_is_pinned_and_follows_the_documented_encoding() -> None:
    assert hashlib.sha256(X_BYTES).hexdigest() == X_PINNED
    assert post_digest(x_post()) == X_PINNED
    assert hashlib.sha256(FB_BYTES).hexdigest() == FB_PINNED
    assert post_digest(fb_post(), MEDIA) == FB_PINNED


def test_digest_ignores_time_account_name_display_name_and_handle_case() -> None:
    post = x_post()
    account: Account = replace(
        post.account, name="otro_nombre", display_name="Cancillería", credentials="OTRO", handle="CANCILLERIAPERU"
    )
    moved = replace(post, at=post.at + timedelta(days=3), account=account)
    moved = replace(moved, fragments=tuple(replace(f, at=f.at + timedelta(days=3)) for f in post.fragments))
    assert post_digest(moved) == X_PINNED


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: with_texts(p, "¡Felices Fiestas Patrias! 1/2", "Viva el Perú! 2/2"), id="a-fragment"),
        pytest.param(lambda p: with_texts(p, "¡Felices Fiestas Patrias! (1/2)", "Viva el Perú (2/2)"), id="numbering"),
        pytest.param(lambda p: with_texts(p, "¡Felices Fiestas Patrias! 1/2"), id="a-fragment-less"),
        pytest.param(lambda p: with_texts(p, "Viva el Perú 2/2", "¡Felices Fiestas Patrias! 1/2"), id="order"),
        pytest.param(lambda p: replace(p, account=replace(p.account, handle="RREE_Peru")), id="handle"),
        pytest.param(
            lambda p: replace(p, account=replace(p.account, platform="facebook", page_id="cancilleriaperu")),
            id="platform",
        ),
    ],
)
def test_digest_changes_with_what_goes_out(change: Callable[[Post], Post]) -> None:
    assert post_digest(change(x_post())) != X_PINNED


def test_digest_changes_with_the_page_and_the_media() -> None:
    post = fb_post()
    other_page = replace(post, account=replace(post.account, page_id="1234567891"))
    other_bytes = hashlib.sha256(b"\x89PNG escarapela!").hexdigest()
    variants = [
        post_digest(other_page, MEDIA),
        post_digest(post, [(other_bytes, "Escarapela")]),
        post_digest(post, [(IMAGE_SHA, "Escarapela peruana")]),
        post_digest(post, [*MEDIA, *MEDIA]),
        post_digest(post),
    ]
    assert FB_PINNED not in variants
    assert len(set(variants)) == len(variants)
    assert post_digest(_with_media(post, MEDIA)) == FB_PINNED  # the post's own images, read from post.media
    assert post_digest(_with_media(post, [(IMAGE_SHA, "Escarapela peruana")])) != FB_PINNED
    assert post_digest(post, [(IMAGE_SHA.upper(), "Escarapela")]) == FB_PINNED
    with pytest.raises(ValueError, match="not a sha256"):
        post_digest(post, [("abc", "Escarapela")])


def test_fragment_boundaries_cannot_be_imitated() -> None:
    post = x_post()
    assert post_digest(with_texts(post, "ab", "c")) != post_digest(with_texts(post, "a", "bc"))
    forged = "a\nfragment 1:b"
    assert post_digest(with_texts(post, forged)) != post_digest(with_texts(post, "a", "b"))


def test_entry_digest_covers_every_account_in_name_order() -> None:
    by_hand = hashlib.sha256(
        b"fiestas-patrias-bot approval entry digest v1\n"
        b"accounts 1:2\n"
        b"account 13:facebook_page\n"
        b"digest 64:" + FB_PINNED.encode() + b"\n"
        b"account 13:x_cancilleria\n"
        b"digest 64:" + X_PINNED.encode() + b"\n"
    ).hexdigest()
    assert entry_digest({"x_cancilleria": X_PINNED, "facebook_page": FB_PINNED}) == by_hand
    assert entry_digest({"facebook_page": FB_PINNED, "x_cancilleria": X_PINNED}) == by_hand
    assert entry_digest({"x_cancilleria": X_PINNED}) != by_hand


# -- what people type ---------------------------------------------------------------------------------------


def test_parse_hex_accepts_only_the_whole_digest_as_copied() -> None:
    assert parse_hex("  " + X_PINNED.upper() + " ") == X_PINNED
    assert parse_hex(X_PINNED) == X_PINNED


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("", "the digest is empty"),
        ("43fbed43cfcz", "the digest '43fbed43cfcz' is not hexadecimal: 'z' at character 12"),
        (
            "43fbed43cfc0",
            "the digest has 12 hex digits; a SHA-256 digest has 64, and only the whole digest is accepted",
        ),
        (X_PINNED[:63], "the digest has 63 hex digits; a SHA-256 digest has 64, and only the whole digest is accepted"),
        (
            X_PINNED + "0",
            "the digest has 65 hex digits; a SHA-256 digest has 64, and only the whole digest is accepted",
        ),
    ],
)
def test_malformed_digest_is_a_clear_exit_2(given: str, message: str) -> None:
    with pytest.raises(MalformedDigest) as caught:
        parse_hex(given)
    assert caught.value.message == message
    assert caught.value.exit_code == 2
    assert "all 64 hex digits" in caught.value.hint


def test_resolve_needs_the_exact_digest() -> None:
    a = Candidate("aaaaaaaaaaaa" + "1" * 52, "account x")
    b = Candidate("aaaaaaaaaaaa" + "2" * 52, "account facebook")
    same = Candidate(a.digest, "account x2")
    assert resolve(a.digest, [a, b]) == a
    assert resolve(a.digest, [a, same]) == a
    assert resolve("aaaaaaaaaaaa", [a, b]) is None  # a prefix matches nothing
    assert resolve("b" * 64, [a, b]) is None


# -- the diff -----------------------------------------------------------------------------------------------


def test_fragment_diff_shows_only_what_changed() -> None:
    old = ["Hola 1/2", "Primera línea\n" + "x" * 100 + " fin", "resto"]
    new = ["Hola 1/2", "Primera línea\n" + "x" * 100 + " final"]
    lines = fragment_diff(old, new, width=30)
    assert lines == [
        "fragment 2: changed",
        "  - …" + "x" * 6 + " fin",
        "  + …" + "x" * 6 + " final",
        "fragment 3: removed",
        "  - resto",
    ]
    assert fragment_diff(old, old) == []
    assert fragment_diff(["a"], ["a", "b"]) == ["fragment 2: added", "  + b"]


def test_fragment_diff_is_capped() -> None:
    lines = fragment_diff([f"t{i}" for i in range(20)], [f"u{i}" for i in range(20)], max_lines=5)
    assert lines == ["fragment 1: changed", "  - t0", "  + u0", "fragment 2: changed", "... (56 more lines)"]


def test_the_approval_modules_stay_light() -> None:
    """preview and status will import them: no network, scheduler or database library may come along."""
    code = (
        "import sys, bot.approval, bot.approvals\n"
        "heavy = {'tweepy', 'facebook', 'apscheduler', 'requests', 'psycopg', 'sqlite3', 'PIL', 'yaml'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def _with_media(post: Post, media: list[tuple[str, str]]) -> Post:
    """`post` carrying images with these digests and alt texts (the files themselves are not read)."""
    images = tuple(
        Media(f"media/{n}.png", Path(f"media/{n}.png"), "PNG", "image/png", 4, 4, 1, sha, alt, Position("s.yaml"))
        for n, (sha, alt) in enumerate(media)
    )
    return replace(post, media=images)
