"""What differs per platform, in one table: limits, length measure, credential variables, display, billing,
threads, identity and the adapter. The core asks this table instead of branching on the platform's name.

`spec()` matches every member of model.Platform with `assert_never`, so mypy refuses a new platform until it
has its row; tests/test_platforms.py checks every row has every entry and its adapter class exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, assert_never, get_args

from bot.i18n import N_
from bot.measure import Measure, plain_length, x_weighted_length
from bot.model import FACEBOOK_LIMIT, X_DEFAULT_LIMIT, X_LONG_POST_LIMIT, Platform


@dataclass(frozen=True)
class PlatformSpec:
    """What the bot knows of one platform: its names, limits, credentials and how it counts and posts."""

    name: Platform
    display: str  # as people write it
    post_kind: str  # what the HTML page calls one post of one fragment
    series_kind: str  # ... and a post of several fragments ("of N posts" follows)
    default_limit: int  # characters per post when the schedule sets no `limit`
    max_limit: int  # the largest `limit` the schedule may set
    measure: Measure  # a text's length as the platform counts it
    credential_suffixes: tuple[str, ...]  # PREFIX_<suffix> variables, in the order .env.example lists them
    billed_per_post: bool  # preview estimates a cost (X plans, bot/xplans.py)
    threads: bool  # a post of several fragments is a chain of replies (a thread)
    posting_limits: bool  # per-user posting windows to warn about (X plans)
    single_mode: bool  # `mode: single` publishes the whole message as one post, never split
    identity: Literal["handle", "page_id"]  # what `check` compares with what the credentials post as
    adapter: tuple[str, str]  # (module, class) of the publisher, imported only when publishing


def spec(platform: Platform) -> PlatformSpec:
    match platform:
        case "x":
            return PlatformSpec(
                name="x",
                display="X",
                post_kind=N_("X post"),
                series_kind=N_("X thread"),
                default_limit=X_DEFAULT_LIMIT,
                max_limit=X_LONG_POST_LIMIT,
                measure=x_weighted_length,
                credential_suffixes=("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"),
                billed_per_post=True,
                threads=True,
                posting_limits=True,
                single_mode=False,
                identity="handle",
                adapter=("bot.publishers.x", "XPublisher"),
            )
        case "facebook":
            return PlatformSpec(
                name="facebook",
                display="Facebook",
                post_kind=N_("Facebook Page post"),
                series_kind=N_("Facebook Page series"),
                default_limit=FACEBOOK_LIMIT,
                max_limit=FACEBOOK_LIMIT,
                measure=plain_length,
                credential_suffixes=("PAGE_TOKEN",),
                billed_per_post=False,
                threads=False,
                posting_limits=False,
                single_mode=True,
                identity="page_id",
                adapter=("bot.publishers.facebook", "FacebookPublisher"),
            )
        case _:
            assert_never(platform)


PLATFORMS: dict[str, PlatformSpec] = {name: spec(name) for name in get_args(Platform)}
WIDEST_LIMIT = max(row.max_limit for row in PLATFORMS.values())


def display_name(platform: str) -> str:
    """'X', 'Facebook'; an unknown name as it is."""
    found = PLATFORMS.get(platform)
    return found.display if found is not None else platform
