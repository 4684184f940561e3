"""A post's timer run, as the daemon makes it: under the post's lease with a shared store, beginning the post in
the lease's own round trip when nothing is to be decided first (issue 22: bot/store/pg_fire.py).

The run may begin early (freeze and mark the first fragment `sending` with the grant) only when run_job would
publish it without another question: no approval required, no stop asked, the account's publisher made already
(bot/services/accounts.py makes them at start), and, checked by the database in the same transaction, the post
never frozen, the account not held, its time come and --catch-up not passed. Anything else runs as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.model import Post
from bot.services.accounts import Accounts
from bot.services.job import JobResult, RunSettings, publish_begun, run_job
from bot.services.publishing import Early, Publishing
from bot.store import Begun, Outbox
from bot.store.leases import FirePlan


def run_post(
    publishing: Publishing, post: Post, accounts: Accounts, clock: Callable[[], datetime], settings: RunSettings
) -> JobResult:
    """run_job on the post, under its lease when the store has leases (the caller holds the account's lock)."""
    early = None
    required = settings.gate is not None and settings.gate.required
    if publishing.leases is not None and not required and not settings.stopping() and accounts.ready(post.account):
        now = clock()
        plan = FirePlan(now, post.at + settings.catch_up, settings.policy.max_attempts)

        def then(view: Outbox, begun: Begun) -> JobResult:
            return publish_begun(post, view, accounts, clock, settings, now, begun)

        early = Early(plan, then)
    return publishing.run(post, lambda box: run_job(post, box, accounts, clock, settings), early)
