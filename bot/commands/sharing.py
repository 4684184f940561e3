"""`status` with a shared database: which daemon holds which post, since when, and which daemons are live."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot.i18n import _
from bot.services.statusjson import Sharing


def _at(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}"


def sharing_text(shared: Sharing, zone: tzinfo) -> str:
    lines = ["", _("Publishing now (leases)")]
    if not shared.leases:
        lines.append(_("  nobody: no post is being published"))
    for lease in shared.leases:
        state = _("expired (its holder stopped renewing)") if lease.expired else f"until {_at(lease.expires_at, zone)}"
        lines.append(
            _("  {post_id:<28} {account:<20} held by {owner} since {acquired_at}, {state}").format(
                post_id=lease.post_id,
                account=lease.account,
                owner=lease.owner,
                acquired_at=_at(lease.acquired_at, zone),
                state=state,
            )
        )
    lines += ["", "Daemons"]
    if not shared.daemons:
        lines.append("  none registered")
    for daemon in shared.daemons:
        alive = "live" if daemon.live else _("not seen lately")
        lines.append(
            _("  {owner:<40} {alive}, started {started_at}, last seen {seen_at}, plan {plan_digest}").format(
                owner=daemon.owner,
                alive=alive,
                started_at=_at(daemon.started_at, zone),
                seen_at=_at(daemon.seen_at, zone),
                plan_digest=daemon.plan_digest[:12],
            )
        )
    return "\n".join(lines) + "\n"
