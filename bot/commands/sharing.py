"""`status` with a shared database: which daemon holds which post, since when, and which daemons are live."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from bot.services.publishing import LIVE_WITHIN, LeaseStore
from bot.store.leases import DaemonInfo, LeaseInfo


@dataclass(frozen=True)
class Sharing:
    leases: list[LeaseInfo]
    daemons: list[DaemonInfo]


def sharing(store: LeaseStore) -> Sharing:
    return Sharing(store.leases(), store.daemons(LIVE_WITHIN))


def _at(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S %Z}"


def sharing_text(shared: Sharing, zone: tzinfo) -> str:
    lines = ["", "Publishing now (leases)"]
    if not shared.leases:
        lines.append("  nobody: no post is being published")
    for lease in shared.leases:
        state = "expired (its holder stopped renewing)" if lease.expired else f"until {_at(lease.expires_at, zone)}"
        lines.append(
            f"  {lease.post_id:<28} {lease.account:<20} held by {lease.owner} since {_at(lease.acquired_at, zone)}, "
            f"{state}"
        )
    lines += ["", "Daemons"]
    if not shared.daemons:
        lines.append("  none registered")
    for daemon in shared.daemons:
        alive = "live" if daemon.live else "not seen lately"
        lines.append(
            f"  {daemon.owner:<40} {alive}, started {_at(daemon.started_at, zone)}, last seen "
            f"{_at(daemon.seen_at, zone)}, plan {daemon.plan_digest[:12]}"
        )
    return "\n".join(lines) + "\n"


def with_sharing_json(document: str, shared: Sharing, where: Path | str) -> str:
    data = json.loads(document)
    data["database"] = str(where)
    data["leases"] = [
        {
            "id": lease.post_id,
            "account": lease.account,
            "owner": lease.owner,
            "since": lease.acquired_at.isoformat(),
            "renewed_at": lease.renewed_at.isoformat(),
            "expires_at": lease.expires_at.isoformat(),
            "expired": lease.expired,
        }
        for lease in shared.leases
    ]
    data["daemons"] = [
        {
            "owner": d.owner,
            "plan_digest": d.plan_digest,
            "started_at": d.started_at.isoformat(),
            "seen_at": d.seen_at.isoformat(),
            "live": d.live,
        }
        for d in shared.daemons
    ]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
