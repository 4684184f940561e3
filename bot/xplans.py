"""X API plans: posting limits and prices (PLATFORMS.md, late 2026). Settings, not buried constants.

Per-user limits on POST /2/tweets, checked by preview. The per-app cap (APP_LIMIT) is shared by every account
using the same app, which only the credentials tell (the same `*_API_KEY`): `validate` checks it
(bot/services/applimit.py), and the daemon holds every account of an app whose cap is used up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.i18n import _


@dataclass(frozen=True)
class PostingLimit:
    """At most `posts` posts in any `window`."""

    posts: int
    window: timedelta

    def describe(self) -> str:
        if self.window == timedelta(minutes=15):
            return _("{posts} posts per 15 minutes").format(posts=self.posts)
        return _("{posts} posts per 24 hours").format(posts=self.posts)


@dataclass(frozen=True)
class XPlanFacts:
    """One X plan: its per-user posting limits and its price per post (None: not billed per post)."""

    name: str
    user_limits: tuple[PostingLimit, ...]
    price_per_post: float | None  # USD; None: a subscription, not billed per post
    price_per_post_with_url: float | None


FIFTEEN_MINUTES = timedelta(minutes=15)
DAY = timedelta(hours=24)

# X's rate-limit table: POST /2/tweets, 10,000 per 24 hours per app, whatever the plan.
APP_LIMIT = PostingLimit(10_000, DAY)

X_PLANS = {
    "pay-per-use": XPlanFacts("pay-per-use", (PostingLimit(100, FIFTEEN_MINUTES),), 0.015, 0.20),
    "free": XPlanFacts("free", (PostingLimit(17, DAY),), None, None),
    "basic": XPlanFacts("basic", (PostingLimit(100, DAY),), None, None),
    "pro": XPlanFacts("pro", (PostingLimit(100, FIFTEEN_MINUTES),), None, None),
}


def post_price(plan: str, has_url: bool) -> float | None:
    """What one post costs on this plan, or None when the plan is not billed per post."""
    facts = X_PLANS[plan]
    return facts.price_per_post_with_url if has_url else facts.price_per_post
