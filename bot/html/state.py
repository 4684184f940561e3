"""What the outbox says about the plan, read once, so that rendering the page stays a pure function.

The post-level states are the ones `status` shows (bot.services.status.collect): the page and `status` agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.model import Plan
from bot.services.status import PostStatus, collect
from bot.store import FragmentRecord, Outbox


@dataclass(frozen=True)
class OutboxView:
    """The outbox of a state folder as the page shows it. `found` False: nothing recorded there yet."""

    state_dir: str
    found: bool
    posts: Mapping[tuple[str, str], PostStatus] = field(default_factory=dict)  # (post id, account) -> state
    fragments: Mapping[tuple[str, str], Sequence[FragmentRecord]] = field(default_factory=dict)
    removed: Sequence[PostStatus] = ()  # recorded, but no longer in the schedule
    holds: Mapping[str, str] = field(default_factory=dict)  # account -> why it is held


def read_outbox(plan: Plan, outbox: Outbox | None, state_dir: str, now: datetime) -> OutboxView:
    if outbox is None:
        return OutboxView(state_dir, found=False)
    _summary, rows = collect(plan, outbox, now)
    planned = {post.key for post in plan.posts}
    return OutboxView(
        state_dir,
        found=True,
        posts={(row.id, row.account): row for row in rows if (row.id, row.account) in planned},
        fragments={post.key: outbox.fragments_of(*post.key) for post in plan.posts},
        removed=[row for row in rows if (row.id, row.account) not in planned],
        holds=outbox.holds(),
    )
