"""The JSON of `status --format json`, shared by the command and the web page's `GET /api/status`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from bot.services.publishing import LIVE_WITHIN, LeaseStore
from bot.services.status import AccountStatus, PostStatus
from bot.store.leases import DaemonInfo, LeaseInfo

STATUS_FORMAT = 1


def render_json(
    schedule_name: str, state_dir: Path | str, accounts: list[AccountStatus], rows: list[PostStatus], now: datetime
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


@dataclass(frozen=True)
class Sharing:
    leases: list[LeaseInfo]
    daemons: list[DaemonInfo]


def sharing(store: LeaseStore) -> Sharing:
    return Sharing(store.leases(), store.daemons(LIVE_WITHIN))


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
