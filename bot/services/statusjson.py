"""The JSON of `status --format json`, shared by the command and the web page's `GET /api/status`."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from bot.services.status import AccountStatus, PostStatus

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
