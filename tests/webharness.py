"""The web page's tests share this: a campaign folder under `approval: required`, its outbox (SQLite or
PostgreSQL), users, and the real Flask app with a clock the test moves (tests/test_web.py), or the real
`serve` command as a subprocess (tests/test_web_browser.py)."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from bot import passwords
from bot.services import stores, webusers
from bot.services.webapprove import WebApprovalStore
from bot.services.webusers import WebSettings
from bot.web.app import WebConfig, create_app
from bot.web.views import Campaign
from tests import secretscan
from tests.helpers import ROOT

APPROVER, VIEWER = "maria", "jorge"
PASSWORDS = {APPROVER: "clave-de-maria-2027", VIEWER: "clave-de-jorge-2027"}
TEXT = "¡Felices Fiestas Patrias! Un saludo a todos los peruanos.\n"
NOW = datetime(2027, 7, 1, 17, 0, tzinfo=UTC)
AT = datetime(2027, 7, 28, 13, 0, tzinfo=UTC)


def write_campaign(folder: Path, text: str = TEXT, at: datetime = AT, accounts: tuple[str, ...] = ("cx", "cf")) -> None:
    (folder / "messages").mkdir(parents=True, exist_ok=True)
    (folder / "messages" / "saludo.txt").write_text(text, encoding="utf-8")
    (folder / "schedule.yaml").write_text(
        "timezone: America/Lima\n"
        "approval: required\n"
        "accounts:\n"
        "  cx: {platform: x, handle: CancilleriaPeru, credentials: CX}\n"
        '  cf: {platform: facebook, page_id: "104", credentials: CF}\n'
        "posts:\n"
        "  - id: saludo\n"
        "    message: messages/saludo.txt\n"
        f"    at: {at.strftime('%Y-%m-%d %H:%M:%S+00:00')}\n"
        f"    to: [{', '.join(accounts)}]\n",
        encoding="utf-8",
    )


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Site:
    folder: Path
    store: WebApprovalStore
    client: FlaskClient
    clock: Clock
    url: str | None  # the PostgreSQL URL, None for SQLite under folder/state
    trusted: frozenset[str] = field(default_factory=frozenset)

    def csrf(self, path: str = "/") -> str:
        page = self.client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found, page[:500]
        return found.group(1)

    def sign_in(self, name: str, password: str | None = None, **headers: str) -> Any:
        self.client.delete_cookie("fpb_session")
        token = self.csrf("/login")
        form = {"name": name, "password": PASSWORDS.get(name, "") if password is None else password, "csrf": token}
        return self.client.post("/login", data=form, headers=headers)

    def approvals(self) -> int:
        return self.store.approval_count()


@functools.cache
def password_hash(name: str) -> str:
    """The argon2id hash of a test user's password, made once per process (bot/passwords.py, the product's
    parameters): each hash costs about 0.2 s of processor time, and every site of tests/test_web.py adds two
    users. The users commands (`users add`, `users passwd`) hash their own (test_users_commands_...)."""
    return passwords.hash_password(PASSWORDS[name])


def open_site(folder: Path, url: str | None, trusted: frozenset[str] = frozenset()) -> Site:
    write_campaign(folder)
    opened = stores.open_store(url, folder / "state", create=True)
    assert opened is not None
    store: WebApprovalStore = opened.outbox  # type: ignore[assignment]
    for name, role in ((APPROVER, "approver"), (VIEWER, "viewer")):
        secretscan.register(PASSWORDS[name], f"the web password of {name}")
        # What webusers.add_user does, with the hash made once (password_hash): the user and its audit line.
        assert store.add_user(name, role, password_hash(name), NOW)
        webusers.audit(store, "user-added", NOW, name, None, role)
    clock = Clock(NOW)
    campaign = Campaign(folder / "schedule.yaml", folder / "state", opened.outbox, opened.where, opened.leases)
    config = WebConfig(campaign, store, WebSettings(), trusted, clock, failure_delay=0)
    app = create_app(config)
    return Site(folder, store, app.test_client(), clock, url, trusted)


@pytest.fixture(name="site", params=["sqlite", "postgres"])
def site_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    opened = open_site(tmp_path / "campaign", url)
    try:
        yield opened
    finally:
        opened.store.close()


def cli(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python main.py ARGS` with `stdin` (for --password-stdin); its output is scanned for secrets."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=60
    )
    secretscan.assert_clean_text(result.stdout + result.stderr, "main.py " + " ".join(args[:2]))
    return result
