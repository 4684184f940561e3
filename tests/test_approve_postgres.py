"""approve and revoke write to the outbox the daemons read: with several daemons that is the shared PostgreSQL
database (--database-url, or DATABASE_URL in .env), never a local SQLite file that no daemon reads."""

from __future__ import annotations

import json
from pathlib import Path

from bot.store.postgres import PostgresOutbox
from tests.helpers import run_cli, text_only_campaign


def _entry_digest(folder: Path) -> str:
    preview = run_cli("preview", "--format", "json", "--lang", "en", cwd=folder)
    assert preview.returncode == 0, preview.stderr
    (entry,) = json.loads(preview.stdout)["approval"]["entries"]
    return str(entry["digest"])


def test_approve_and_revoke_reach_the_shared_postgresql_outbox(pg_url: str, tmp_path: Path) -> None:
    text_only_campaign(tmp_path)
    digest = _entry_digest(tmp_path)
    (tmp_path / ".env").write_text(f"DATABASE_URL={pg_url}\n", encoding="utf-8")

    approved = run_cli("approve", "mensaje-fiestas-patrias", "--digest", digest, "--by", "Despacho", cwd=tmp_path)
    assert approved.returncode == 0, approved.stderr
    assert not (tmp_path / "state").exists()  # nothing written where no daemon of a shared database looks

    outbox = PostgresOutbox.open(pg_url)
    try:
        found = [outbox.latest_approval("mensaje-fiestas-patrias", a) for a in ("cancilleria_x", "cancilleria_fb")]
        assert all(a is not None and a.by.startswith("Despacho (via command line, ") for a in found), found
        # --database-url wins over .env: revoking on it withdraws what the daemons would publish
        (tmp_path / ".env").write_text("DATABASE_URL=postgresql://nobody@127.0.0.1:9/none\n", encoding="utf-8")
        revoked = run_cli(
            "revoke", "mensaje-fiestas-patrias", "--account", "cancilleria_x", "--database-url", pg_url, cwd=tmp_path
        )
        assert revoked.returncode == 0, revoked.stderr
        assert outbox.latest_approval("mensaje-fiestas-patrias", "cancilleria_x") is None
        assert outbox.latest_approval("mensaje-fiestas-patrias", "cancilleria_fb") is not None
    finally:
        outbox.close()
