"""`status` and `resume`: what went out, what is scheduled, what failed and why; and letting a post go on.

Both read the schedule (the same loader as `validate`) and the outbox. `status` only reads and works while
the daemon runs (the outbox is SQLite in WAL mode). `resume` changes the outbox through its API, then
touches the resume marker in the state folder: a running daemon notices within a second, re-reads `.env`
and the outbox and re-decides every post.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot import campaign, cli, config
from bot.model import Plan, Post
from bot.outbox import Outbox, OutboxError, PostSummary

RESUME_MARKER = "resume-requested"  # `resume` touches it; the daemon watches it
STATUS_FORMAT = 1


@dataclass(frozen=True)
class PostStatus:
    """One post as `status` shows it."""

    id: str
    account: str
    platform: str
    state: str  # scheduled, publishing, sent, failed, unknown, missed, conflict, held, removed
    at: datetime  # the scheduled time (a retry time when one is planned)
    sent: int
    total: int
    urls: tuple[str, ...]
    detail: str  # why, in words
    action: str  # what a person should do; empty when nothing


@dataclass(frozen=True)
class AccountStatus:
    name: str
    platform: str
    hold: str | None


def _resume_command(post_id: str, account: str, extra: str = "") -> str:
    return f"python main.py resume {post_id} --account {account}{extra}"


def _from_summary(post_id: str, account: str, platform: str, at: datetime, s: PostSummary) -> PostStatus:
    state = s.state
    urls: tuple[str, ...] = ()
    action = ""
    detail = s.last_message or ""
    if state == "done":
        state, detail = "sent", f"all {s.total} fragments sent"
    elif state == "conflict":
        detail = s.conflict or ""
        action = f"`{_resume_command(post_id, account, ' --accept-edit')}` continues with the new text, "
        action += "or restore the message file"
    elif state == "held":
        detail = s.hold or ""
        action = f"fix the variable in .env, then restart the daemon or run `{_resume_command(post_id, account)}`"
    elif state in ("failed", "missed"):
        detail = s.last_error or detail
        action = f"`{_resume_command(post_id, account)}` tries it again"
        if state == "failed":
            action = "fix the cause, then " + action
    elif state == "unknown":
        detail = s.last_error or detail
        action = (
            "the running daemon looks the fragment up again by itself, with backoff; to do it at once, "
            f"`{_resume_command(post_id, account)}`; if it stays unknown, check the account on the platform"
        )
    elif state in ("sending", "started"):
        state = "publishing"
        if s.next_at is not None:
            at = s.next_at
    else:  # pending: frozen, nothing sent yet
        state = "scheduled"
        if s.last_outcome in ("retry", "resumed", "waiting") and s.next_at is not None:
            at = s.next_at
    # Notes say how the post went out when it differs from the plan (X refused replies: the rest standalone).
    detail = "; ".join(part for part in (detail, *s.notes) if part)
    return PostStatus(post_id, account, platform, state, at, s.sent, s.total, urls, detail, action)


def collect(plan: Plan, outbox: Outbox | None, now: datetime) -> tuple[list[AccountStatus], list[PostStatus]]:
    """Every account and post of the plan with its state, then the outbox's posts no longer planned."""
    holds = outbox.holds() if outbox is not None else {}
    summaries = {(s.post_id, s.account): s for s in outbox.posts()} if outbox is not None else {}
    accounts: dict[str, AccountStatus] = {}
    rows: list[PostStatus] = []
    for post in plan.posts:
        name = post.account.name
        accounts.setdefault(name, AccountStatus(name, post.account.platform, holds.get(name)))
        rows.append(_row(post, summaries.pop(post.key, None), holds.get(name), outbox, now))
    for (post_id, name), summary in summaries.items():
        was = _from_summary(post_id, name, "", summary.scheduled_at, summary)
        rows.append(
            PostStatus(
                post_id,
                name,
                "",
                "removed",
                summary.scheduled_at,
                summary.sent,
                summary.total,
                _urls(outbox, post_id, name),
                f"no longer in the schedule; was {was.state} ({summary.sent}/{summary.total} sent)",
                "",
            )
        )
    return list(accounts.values()), rows


def _urls(outbox: Outbox | None, post_id: str, account: str) -> tuple[str, ...]:
    if outbox is None:
        return ()
    return tuple(f.url for f in outbox.fragments_of(post_id, account) if f.state == "sent" and f.url)


def _row(post: Post, summary: PostSummary | None, hold: str | None, outbox: Outbox | None, now: datetime) -> PostStatus:
    name, platform = post.account.name, post.account.platform
    total = len(post.fragments)
    if summary is None:
        if hold is not None:
            action = f"fix the variable in .env, then restart the daemon or run `{_resume_command(post.id, name)}`"
            return PostStatus(post.id, name, platform, "held", post.at, 0, total, (), hold, action)
        detail = ""
        if post.at < now:
            detail = "its time has passed: the daemon publishes it if started within --catch-up (default 6h)"
        return PostStatus(post.id, name, platform, "scheduled", post.at, 0, total, (), detail, "")
    row = _from_summary(post.id, name, platform, post.at, summary)
    urls = _urls(outbox, post.id, name)
    return PostStatus(row.id, name, platform, row.state, row.at, row.sent, row.total, urls, row.detail, row.action)


def _open(state_dir: Path) -> Outbox | None:
    """The outbox, or None when nothing has been published from this state folder yet."""
    try:
        return Outbox.open(state_dir, create=False)
    except FileNotFoundError:
        return None


def render_text(
    schedule_name: str,
    state_dir: Path,
    accounts: list[AccountStatus],
    rows: list[PostStatus],
    now: datetime,
    plan: Plan,
) -> str:
    zone = plan.timezone
    lines = [
        f"{schedule_name} — state {state_dir} — {now.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}",
        "",
        "Accounts",
    ]
    for account in accounts:
        lines.append(f"  {account.name:<24} {account.platform:<9} {'held: ' + account.hold if account.hold else 'ok'}")
    lines += ["", "Posts"]
    for row in rows:
        progress = f"{row.sent}/{row.total}"
        word = {"publishing": f"publishing {progress}", "sent": f"sent {progress}"}.get(row.state, row.state)
        lines.append(f"  {row.id:<28} {row.account:<20} {word:<18} {row.at.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}")
        if row.detail:
            lines.append(f"      {row.detail}")
        if row.action:
            lines.append(f"      what to do: {row.action}")
        lines.extend(f"      {url}" for url in row.urls)
    return "\n".join(lines) + "\n"


def render_json(
    schedule_name: str, state_dir: Path, accounts: list[AccountStatus], rows: list[PostStatus], now: datetime
) -> str:
    def post(row: PostStatus) -> dict[str, object]:
        data = asdict(row)
        data["at"] = row.at.isoformat()
        data["urls"] = list(row.urls)
        return data

    document = {
        "format": STATUS_FORMAT,
        "schedule": schedule_name,
        "state_dir": str(state_dir),
        "now": now.isoformat(),
        "accounts": [asdict(a) for a in accounts],
        "posts": [post(r) for r in rows],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _plan_and_outbox(args: argparse.Namespace, now: datetime) -> tuple[Plan | None, Outbox | None, int]:
    """The plan and the outbox (None: nothing published yet), or the exit status after reporting why not."""
    _, plan, problems = campaign.load_campaign(args.schedule, now)
    if plan is None:
        cli.report(problems, sys.stderr)
        return None, None, cli.EXIT_INVALID
    try:
        return plan, _open(args.state_dir), cli.EXIT_OK
    except OutboxError as error:  # not a database, or written by a newer version of the bot
        print(f"error: {error}", file=sys.stderr)
        return None, None, cli.EXIT_FAILURE


def main_status(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    plan, outbox, code = _plan_and_outbox(args, now)
    if plan is None:
        return code
    try:
        accounts, rows = collect(plan, outbox, now)
    finally:
        if outbox is not None:
            outbox.close()
    name = config.display_path(args.schedule)
    if args.format == "json":
        sys.stdout.write(render_json(name, args.state_dir, accounts, rows, now))
    else:
        sys.stdout.write(render_text(name, args.state_dir, accounts, rows, now, plan))
    return cli.EXIT_OK


def main_resume(args: argparse.Namespace) -> int:
    """Release a hold, retry failed/missed fragments, accept an edited message; then wake the daemon."""
    now = datetime.now(UTC)
    plan, outbox, code = _plan_and_outbox(args, now)
    if plan is None:
        return code
    planned = {p.account.name: p for p in plan.posts if p.id == args.post_id}
    recorded = {s.account: s for s in outbox.posts() if s.post_id == args.post_id} if outbox else {}
    names = sorted(set(planned) | set(recorded))
    if args.account is not None:
        names = [n for n in names if n == args.account]
    if not names:
        print(
            f"error: no post '{args.post_id}'{' for account ' + args.account if args.account else ''} "
            "in the schedule or the state folder",
            file=sys.stderr,
        )
        return cli.EXIT_INVALID
    if outbox is None:
        print(f"nothing has been published from {args.state_dir} yet: nothing to resume")
        return cli.EXIT_OK
    status = cli.EXIT_OK
    try:
        for name in names:
            status = max(status, _resume_one(outbox, args, planned.get(name), recorded.get(name), name, now))
    finally:
        outbox.close()
    marker = args.state_dir / RESUME_MARKER
    marker.write_text(f"{now.isoformat()}\n", encoding="utf-8")
    return status


def _resume_one(
    outbox: Outbox,
    args: argparse.Namespace,
    post: Post | None,
    summary: PostSummary | None,
    name: str,
    now: datetime,
) -> int:
    where = f"post {args.post_id} account {name}"
    done: list[str] = []
    hold = outbox.hold_reason(name)
    if hold is not None:
        outbox.release(name)
        done.append(f"account hold released (was: {hold}); make sure the variable is fixed in .env")
    if summary is not None and summary.conflict and not args.accept_edit:
        print(
            f"{where}: {summary.conflict}\n    hint: add --accept-edit to continue with the new text, "
            "or restore the message file",
            file=sys.stderr,
        )
        return cli.EXIT_FAILURE
    if args.accept_edit:
        if post is None:
            print(f"{where}: not in the schedule any more: there is no new text to accept", file=sys.stderr)
            return cli.EXIT_FAILURE
        if summary is not None:
            replaced = outbox.accept_edit(post, now)
            done.append(f"new text accepted for {replaced} unsent fragments")
    if summary is not None:
        if outbox.resume(args.post_id, name, now):
            done.append("failed or missed fragments will be tried again")
        # next_at = now: the daemon measures lateness from this moment, so a resumed post is not missed again
        outbox.record_outcome(args.post_id, name, "resumed", "resumed by a person", now, now)
    print(f"{where}: " + ("; ".join(done) if done else "nothing was held, failed or conflicting; re-checked"))
    return cli.EXIT_OK
