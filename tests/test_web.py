"""The approvers' web page over HTTP (the real Flask app, its test client), on both stores: sign-in, sessions,
CSRF, roles, lockout, approvals bound to the digest shown, escaping, and bad input that never gives a 500."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from bot.services import webusers
from bot.store.sqlite import SqliteOutbox
from tests.webharness import APPROVER, PASSWORDS, TEXT, VIEWER, Site, cli, site_fixture, write_campaign  # noqa: F401

DIGEST = re.compile(r'<input type="hidden" name="digest" value="([0-9a-f]+)">')
WRONG = "The name or the password is wrong"


def _forms(page: str) -> list[dict[str, str]]:
    forms = []
    for body in re.findall(r'<form class="act act-(?:approve|revoke)".*?</form>', page, re.S):
        action = re.search(r'action="([^"]+)"', body)
        assert action is not None
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body))
        forms.append({"action": action.group(1), **fields})
    return forms


def test_without_a_session_every_page_redirects_to_login_and_the_api_says_401(site: Site) -> None:
    for path in ("/", "/anything", "/static/live.js"):
        response = site.client.get(path)
        assert (response.status_code, response.headers["Location"]) == (303, "/login"), path
    assert site.client.post("/approve", data={"post": "saludo"}).headers["Location"] == "/login"
    api = site.client.get("/api/status")
    assert api.status_code == 401 and api.is_json
    site.client.set_cookie("fpb_session", "garbage\x7f" * 20)
    assert site.client.get("/").status_code == 303
    assert site.client.get("/api/status").status_code == 401
    assert site.client.get("/login").status_code == 200


def test_an_approver_signs_in_sees_the_full_digest_and_approves(site: Site) -> None:
    response = site.sign_in(APPROVER)
    assert (response.status_code, response.headers["Location"]) == (303, "/")
    cookie = response.headers.getlist("Set-Cookie")[0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # plain HTTP here
    page = site.client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Awaiting approval" in text and "Signed in as" in text and APPROVER in text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    scripts = re.findall(r"<script[^>]*>", text)  # one script, from the site; the state words ride as data
    assert len(scripts) == 1 and re.fullmatch(r'<script src="/static/live\.js" data-words="[^"<>]*" defer>', scripts[0])
    forms = _forms(text)
    assert {f.get("account") for f in forms} == {"cx", "cf", None}  # each account, and the whole entry
    assert all(len(f["digest"]) == 64 for f in forms)
    entry = next(f for f in forms if "account" not in f)
    before = site.approvals()
    done = site.client.post("/approve", data={"post": "saludo", "digest": entry["digest"], "csrf": entry["csrf"]})
    assert done.status_code == 303
    assert site.approvals() == before + 2
    latest = site.store.latest_approval("saludo", "cx")
    assert latest is not None and latest.by == f"{APPROVER} (via web, 127.0.0.1)"
    after = site.client.get("/").get_data(as_text=True)
    assert f"Approved by {APPROVER} (via web, 127.0.0.1)" in after
    kinds = [(r.kind, r.name) for r in site.store.audit_log()]
    assert ("sign-in", APPROVER) in kinds and kinds.count(("approve", APPROVER)) == 2
    revoke = next(f for f in _forms(after) if f["action"] == "/revoke" and f["account"] == "cx")
    gone = site.client.post("/revoke", data={**revoke, "note": "otra versión"})
    assert gone.status_code == 303 and site.store.latest_approval("saludo", "cx") is None
    assert ("revoke", APPROVER) in [(r.kind, r.name) for r in site.store.audit_log()]


def test_an_edit_while_the_page_is_open_is_refused_with_the_diff_and_nothing_recorded(site: Site) -> None:
    site.sign_in(APPROVER)
    form = next(f for f in _forms(site.client.get("/").get_data(as_text=True)) if f.get("account") == "cx")
    write_campaign(site.folder, TEXT.replace("todos los peruanos", "todas y todos"))
    before = site.approvals()
    refused = site.client.post("/approve", data=form)
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert "approve refused" in body and "current digests" in body and "nothing was recorded" in body
    assert site.approvals() == before
    # once its text was shown and approved, an edit shows what changed
    fresh = next(f for f in _forms(site.client.get("/").get_data(as_text=True)) if f.get("account") == "cx")
    assert site.client.post("/approve", data=fresh).status_code == 303
    write_campaign(site.folder)
    again = site.client.post("/approve", data=fresh)
    assert again.status_code == 409
    assert "todas y todos" in again.get_data(as_text=True) and "what changed for cx" in again.get_data(as_text=True)


def test_a_viewer_reads_without_buttons_and_a_forged_approval_is_403(site: Site) -> None:
    site.sign_in(APPROVER)
    forms = _forms(site.client.get("/").get_data(as_text=True))
    site.sign_in(VIEWER)
    page = site.client.get("/").get_data(as_text=True)
    assert "Awaiting approval" in page and _forms(page) == [] and "act-approve" not in page
    csrf = site.csrf()
    for form in forms:
        assert site.client.post(form["action"], data={**form, "csrf": csrf}).status_code == 403
    assert site.approvals() == 0
    assert site.client.get("/api/status").status_code == 200  # a viewer reads the live state


def test_missing_or_wrong_csrf_is_403(site: Site) -> None:
    site.sign_in(APPROVER)
    form = _forms(site.client.get("/").get_data(as_text=True))[0]
    assert site.client.post("/approve", data={k: v for k, v in form.items() if k != "csrf"}).status_code == 403
    assert site.client.post("/approve", data={**form, "csrf": "x" + form["csrf"]}).status_code == 403
    assert site.client.post("/logout", data={}).status_code == 403
    assert site.approvals() == 0
    site.client.get("/login")
    no_token = site.client.post("/login", data={"name": APPROVER, "password": PASSWORDS[APPROVER]})
    assert no_token.status_code == 403


def test_the_same_refusal_for_an_unknown_name_and_a_wrong_password(site: Site) -> None:
    unknown = site.sign_in("nadie", "clave-de-maria-2027")
    wrong = site.sign_in(APPROVER, "no-es-la-clave")
    assert unknown.status_code == wrong.status_code == 401
    assert WRONG in unknown.get_data(as_text=True) and WRONG in wrong.get_data(as_text=True)
    audit = [(r.kind, r.name) for r in site.store.audit_log()]
    assert ("sign-in-failed", None) in audit and ("sign-in-failed", APPROVER) in audit
    assert all("no-es-la-clave" not in str(r) for r in site.store.audit_log())


def test_six_wrong_passwords_lock_the_user_until_the_lock_ends(site: Site) -> None:
    for _attempt in range(6):
        assert site.sign_in(APPROVER, "no-es-la-clave").status_code == 401
    user = site.store.user(APPROVER)
    assert user is not None and user.locked_until is not None
    assert site.sign_in(APPROVER).status_code == 401  # the right password, refused while locked
    assert WRONG in site.sign_in(APPROVER).get_data(as_text=True)
    assert site.sign_in(VIEWER).status_code == 303  # another user is not locked
    kinds = [r.kind for r in site.store.audit_log()]
    assert "locked" in kinds and "sign-in-locked" in kinds
    site.clock.advance(timedelta(minutes=15, seconds=1))
    assert site.sign_in(APPROVER).status_code == 303


def test_sessions_expire_idle_after_30_minutes_and_after_12_hours(site: Site) -> None:
    site.sign_in(APPROVER)
    site.clock.advance(timedelta(minutes=29))
    assert site.client.get("/").status_code == 200
    site.clock.advance(timedelta(minutes=29))
    assert site.client.get("/").status_code == 200  # active: the idle time starts again
    for _hour in range(23):
        site.clock.advance(timedelta(minutes=29))
        site.client.get("/")
    assert site.client.get("/").status_code == 303  # over 12 hours in all
    site.sign_in(APPROVER)
    site.clock.advance(timedelta(minutes=31))
    assert site.client.get("/").status_code == 303  # idle
    assert site.client.get("/api/status").status_code == 401
    abandoned = site.sign_in(APPROVER).headers.getlist("Set-Cookie")[0].split(";")[0].split("=", 1)[1]
    site.clock.advance(timedelta(minutes=31))
    site.sign_in(VIEWER)  # a sign-in deletes the sessions nobody came back to
    assert site.store.session(webusers.token_hash(abandoned)) is None


def test_polling_does_not_keep_an_idle_session_alive(site: Site) -> None:
    site.sign_in(APPROVER)
    for _tick in range(4):
        site.clock.advance(timedelta(minutes=10))
        assert site.client.get("/api/status").status_code == (200 if _tick < 3 else 401)


def test_logout_ends_the_session(site: Site) -> None:
    site.sign_in(APPROVER)
    out = site.client.post("/logout", data={"csrf": site.csrf()})
    assert (out.status_code, out.headers["Location"]) == (303, "/login")
    assert site.client.get("/").status_code == 303
    assert ("sign-out", APPROVER) in [(r.kind, r.name) for r in site.store.audit_log()]


def test_a_message_with_markup_renders_as_text(site: Site) -> None:
    write_campaign(site.folder, 'Hola <script>alert(1)</script> y "><img src=x onerror=alert(2)> fin\n')
    site.sign_in(APPROVER)
    page = site.client.get("/").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"post": "nada", "digest": "a" * 64}, 404),
        ({"post": "saludo", "account": "nadie", "digest": "a" * 64}, 404),
        ({"post": "saludo", "digest": "zz" * 32}, 400),
        ({"post": "saludo", "digest": "SHORT"}, 400),
        ({"post": "saludo", "digest": ""}, 400),
        ({"post": "saludo"}, 400),
        ({"post": "saludo", "account": "", "digest": "a" * 64}, 400),
        ({"post": "x" * 300, "digest": "a" * 64}, 400),
        ({"post": "sal\x00udo", "digest": "a" * 64}, 404),
    ],
)
def test_bad_input_is_a_clear_4xx_and_records_nothing(site: Site, form: dict[str, str], status: int) -> None:
    site.sign_in(APPROVER)
    page = site.client.get("/").get_data(as_text=True)
    digests = DIGEST.findall(page)
    if form.get("digest") == "SHORT":
        form = {**form, "digest": digests[0][:12]}  # a prefix is not enough on the web: all 64 digits
    response = site.client.post("/approve", data={**form, "csrf": site.csrf()})
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    assert site.approvals() == 0


def test_an_oversized_body_is_413_and_garbage_is_never_a_500(site: Site) -> None:
    site.sign_in(APPROVER)
    csrf = site.csrf()
    big = site.client.post("/approve", data={"post": "saludo", "digest": "a" * 64, "csrf": csrf, "pad": "x" * 70_000})
    assert big.status_code == 413
    assert site.client.post("/login", data=b"\xff\xfe" * 10, content_type="multipart/form-data").status_code < 500
    assert site.client.post("/approve", data="%%%", content_type="application/x-www-form-urlencoded").status_code == 403
    assert site.client.get("/%ff%fe").status_code == 404
    assert site.client.put("/approve").status_code == 405
    assert site.approvals() == 0


def test_x_forwarded_proto_is_believed_only_from_the_trusted_proxy(tmp_path: Path) -> None:
    from tests.webharness import open_site

    proxied = open_site(tmp_path / "a", None, frozenset({"127.0.0.1"}))
    response = proxied.sign_in(APPROVER, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    assert "Secure" in response.headers.getlist("Set-Cookie")[0]
    assert proxied.store.audit_log()[-1].address == "203.0.113.7"
    proxied.store.close()
    direct = open_site(tmp_path / "b", None)
    response = direct.sign_in(APPROVER, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    assert "Secure" not in response.headers.getlist("Set-Cookie")[0]
    assert direct.store.audit_log()[-1].address == "127.0.0.1"
    direct.store.close()


def test_api_status_is_the_status_command_s_json(site: Site) -> None:
    """On both stores; with PostgreSQL both also say who holds what (`database`, `leases`, `daemons`)."""
    site.sign_in(APPROVER)
    served = site.client.get("/api/status").get_json()
    database = () if site.url is None else ("--database-url", site.url)
    result = cli("status", "--format", "json", "--state-dir", "state", *database, cwd=site.folder)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    for document in (served, printed):
        document.pop("now")
        document["state_dir"] = Path(document["state_dir"]).name
        document["schedule"] = Path(document["schedule"]).name
    assert served == printed and served["posts"][0]["state"] == "awaiting approval"
    assert ("leases" in served and "daemons" in served) == (site.url is not None)


def test_users_commands_and_the_audit_trail(tmp_path: Path) -> None:
    write_campaign(tmp_path)
    password = "una-clave-larga-2027"
    add = cli("users", "add", "ana", "--role", "approver", "--password-stdin", cwd=tmp_path, stdin=password + "\n")
    assert add.returncode == 0, add.stderr
    assert cli("users", "add", "ana", "--role", "viewer", "--password-stdin", cwd=tmp_path, stdin=password).returncode
    short = cli("users", "add", "luis", "--role", "viewer", "--password-stdin", cwd=tmp_path, stdin="corta\n")
    assert short.returncode == 2 and "password" in short.stderr
    assert cli("users", "add", "bad name", "--role", "viewer", cwd=tmp_path).returncode == 2
    outbox = SqliteOutbox.open(tmp_path / "state", create=False)
    try:
        user = outbox.user("ana")
        assert user is not None and user.password_hash.startswith("$argon2id$") and password not in repr(user)
    finally:
        outbox.close()
    listing = cli("users", "list", cwd=tmp_path)
    assert re.search(r"ana\s+approver\s+never signed in\s+not locked", listing.stdout), listing.stdout
    assert cli("users", "passwd", "ana", "--password-stdin", cwd=tmp_path, stdin="otra-clave-larga\n").returncode == 0
    assert cli("users", "remove", "ana", cwd=tmp_path).returncode == 0
    assert cli("users", "remove", "ana", cwd=tmp_path).returncode == 1
    audit = cli("status", "--audit", cwd=tmp_path)
    assert audit.returncode == 0
    assert [line.split()[1] for line in audit.stdout.splitlines()] == ["user-added", "password-changed", "user-removed"]
    assert password not in audit.stdout + listing.stdout


def test_a_lock_shows_in_users_list(tmp_path: Path) -> None:
    from tests.webharness import open_site

    opened = open_site(tmp_path / "c", None)
    for _attempt in range(5):
        opened.sign_in(VIEWER, "no-es-la-clave")
    opened.store.close()
    listing = cli("users", "list", cwd=tmp_path / "c")
    assert re.search(rf"{VIEWER}\s+viewer\s+never signed in\s+locked until 2027-07-01T17:15:00", listing.stdout)


def test_passwd_and_remove_end_the_user_s_sessions(site: Site) -> None:
    from tests.webharness import NOW

    site.sign_in(APPROVER)
    assert site.client.get("/").status_code == 200
    webusers.change_password(site.store, APPROVER, "una-clave-nueva-2027", NOW)
    assert site.client.get("/").status_code == 303
    site.sign_in(APPROVER, "una-clave-nueva-2027")
    assert site.client.get("/").status_code == 200
    webusers.remove_user(site.store, APPROVER, NOW)
    assert site.client.get("/").status_code == 303


def test_preview_and_validate_import_no_web_framework_nor_argon2(tmp_path: Path) -> None:
    write_campaign(tmp_path)
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['main.py'] + sys.argv[1:]\n"
        "try:\n    runpy.run_path(MAIN, run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'werkzeug', 'waitress', 'argon2'})\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    from tests.helpers import ROOT

    script = probe.replace("MAIN", repr(str(ROOT / "main.py")))
    for command in (["preview"], ["preview", "--format", "html"], ["validate"]):
        result = cli_python(script, tmp_path, *command)
        assert "HEAVY []" in result, result


def cli_python(script: str, cwd: Path, *args: str) -> str:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    return done.stderr


@pytest.mark.parametrize(
    "args", [["--bind", "8080"], ["--bind", "example.org:80"], ["--bind", "127.0.0.1:99999"], ["--trusted-proxy", "x"]]
)
def test_serve_refuses_a_bad_bind_or_proxy_with_exit_2(tmp_path: Path, args: list[str]) -> None:
    write_campaign(tmp_path)
    result = cli("serve", *args, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert not (tmp_path / "state").exists()  # nothing created
