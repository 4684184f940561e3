"""With --lang es, what people read contains no English sentence: validate (valid and every bad-input case),
preview (text, JSON messages, HTML), status (every state), approve (ok, stale digest), the alerts and the
daemon's log. tests/english.py is the oracle (the catalog's English ids, and English function words)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import catalog
from bot.alerts import texts
from bot.commands.status import render_text
from bot.model import Plan
from bot.services.status import collect
from bot.store.sqlite import SqliteOutbox
from tests.english import leaks
from tests.fakes import LIMA, T0, make_account, make_post
from tests.helpers import DATA, ROOT, run_cli, run_main

NOW = "2027-07-01T00:00-05:00"
# Python's own words for an impossible date, quoted as received like a platform's error.
AS_RECEIVED = re.compile(r"\((day is out of range for month|month must be in 1\.\.12)\)$")


def _english(outputs: dict[str, str]) -> list[str]:
    found = []
    for name, output in outputs.items():
        text = re.sub(r"<style>.*?</style>", "", output, flags=re.DOTALL)
        found += [f"{name}: {line}" for line in leaks(text) if not AS_RECEIVED.search(line)]
    return found


def _campaign(folder: Path) -> Path:
    shutil.copy(ROOT / "schedule.yaml", folder / "schedule.yaml")
    shutil.copytree(ROOT / "messages", folder / "messages")
    shutil.copytree(ROOT / "media", folder / "media")
    return folder / "schedule.yaml"


def test_the_oracle_sees_english() -> None:
    assert leaks("schedule.yaml:3:1: error: schedule: unknown key 'acounts'")
    assert leaks("the file is not what was expected here and it has no value")
    assert leaks("    hint: vuelva a leer la publicación")
    assert not leaks("schedule.yaml:3:1: error: calendario: clave desconocida 'acounts'")


def test_validate_and_preview_speak_spanish(tmp_path: Path) -> None:
    schedule = _campaign(tmp_path)
    outputs = {}
    for name, args in {
        "validate": ["validate", "--now", NOW],
        "preview": ["preview", "--now", NOW],
        "html": ["preview", "--format", "html", "--now", NOW],
        "status": ["status"],
        "help": ["preview", "--help"],
    }.items():
        result = run_cli(*args, "--lang", "es", "--schedule", str(schedule), cwd=tmp_path)
        outputs[name] = result.stdout + result.stderr
    document = json.loads(
        run_cli("preview", "--format", "json", "--lang", "es", "--now", "2027-07-29T00:00-05:00").stdout
    )
    outputs["json"] = "\n".join(w["message"] for post in document["posts"] for w in post["warnings"])
    assert outputs["json"], "the JSON has warnings to read (the time has passed)"
    assert '<html lang="es">' in outputs["html"]
    assert "miércoles, 28 de julio de 2027" in outputs["html"]
    assert _english(outputs) == []


@pytest.mark.parametrize("folder", ["bad", "bad/env"])
def test_every_bad_input_case_speaks_spanish(folder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`validate --lang es` on every bad file, in this process (tests/helpers.py: run_main; the other tests here
    run it as a subprocess): 70 Python start-ups saved."""

    def validate(path: Path) -> subprocess.CompletedProcess[str]:
        if folder == "bad":
            args = ["--schedule", str(path), "--env-file", str(DATA / "empty.env")]
        else:
            args = ["--schedule", str(DATA / "bad" / "env" / "schedule.yaml"), "--env-file", str(path)]
        return run_main("validate", "--lang", "es", "--now", NOW, *args, monkeypatch=monkeypatch)

    paths = sorted((DATA / folder).glob("*.yaml" if folder == "bad" else "*.env"))
    results = {path: validate(path) for path in paths}
    outputs = {}
    for path, result in results.items():
        assert result.returncode in (0, 2), result.stderr
        outputs[path.name] = result.stdout + result.stderr
    assert len(outputs) >= 10
    assert _english(outputs) == []


def test_status_in_every_state_speaks_spanish(tmp_path: Path) -> None:
    catalog.use("es")
    x = make_account("x_cancilleria")
    fb = make_account("fb_cancilleria", platform="facebook")
    outbox = SqliteOutbox.open(tmp_path / "state")
    names = ("publicada", "publicando", "fallida", "perdida", "dudosa", "editada", "programada")
    posts = {name: make_post(3, post_id=name, account=x, at=T0, words=f"Texto {name}") for name in names}
    for name in names[:-1]:
        outbox.freeze(posts[name], T0)
    for name, count in (("publicada", 3), ("publicando", 2), ("editada", 1)):
        for index in range(1, count + 1):
            outbox.mark_sending(name, x.name, index, T0)
            outbox.mark_sent(name, x.name, index, str(index), f"https://x.com/C/status/{index}", T0)
    outbox.mark_failed("fallida", x.name, 1, "fragmento 1/3: rechazado por x", T0)
    outbox.mark_missed("perdida", x.name, "7 h tarde", T0)
    outbox.mark_sending("dudosa", x.name, 1, T0)
    outbox.mark_unknown("dudosa", x.name, 1, "sin respuesta", T0)
    assert outbox.freeze(make_post(3, post_id="editada", account=x, at=T0, words="Otro texto"), T0).kind == "conflict"
    held = make_post(1, post_id="aviso", account=fb, at=T0 + timedelta(hours=1))
    outbox.hold(fb.name, "token vencido", T0)
    plan = Plan(LIMA, T0, (*posts.values(), held))
    accounts, rows = collect(plan, outbox, T0)
    text = render_text("schedule.yaml", Path("state"), accounts, rows, T0, plan)
    for word in ("publicada", "publicando 2/3", "fallida", "no publicada a tiempo", "sin confirmar", "retenida"):
        assert word in text
    assert _english({"status": text}) == []


def test_approve_ok_and_stale_speak_spanish(tmp_path: Path) -> None:
    schedule = _campaign(tmp_path)
    document = json.loads(run_cli("preview", "--format", "json", "--schedule", str(schedule), cwd=tmp_path).stdout)
    entry = document["approval"]["entries"][0]
    args = ["--lang", "es", "--schedule", str(schedule), "--state-dir", str(tmp_path / "state")]
    ok = run_cli("approve", entry["id"], "--digest", entry["digest"], "--by", "Oficina", *args, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "aprobada" in ok.stdout
    message = tmp_path / "messages" / "mensaje-canciller-fiestas-patrias.txt"
    message.write_text(message.read_text(encoding="utf-8").replace("Estimados", "Queridos"), encoding="utf-8")
    stale = run_cli("approve", entry["id"], "--digest", entry["digest"], "--by", "Oficina", *args, cwd=tmp_path)
    assert stale.returncode != 0
    assert _english({"approve": ok.stdout + ok.stderr, "stale": stale.stdout + stale.stderr}) == []


def test_alert_titles_and_bodies_speak_spanish() -> None:
    catalog.use("es")
    at = datetime(2027, 7, 28, 13, tzinfo=UTC)
    alerts = [
        texts.account_held("cancilleria_x", "CANCILLERIA_X_ACCESS_TOKEN", "401", "saludo"),
        texts.fragment_refused("saludo", "cancilleria_x", 2, 3, "403"),
        texts.unknown_after_lookups("saludo", "cancilleria_x", 2, 3, "tiempo agotado"),
        texts.missed("saludo", "cancilleria_x", at, "7 h tarde"),
        texts.awaiting_approval("saludo", "cancilleria_x", "huella abc"),
        texts.conflict("saludo", "cancilleria_x", "texto distinto"),
        texts.invalid_edit("schedule.yaml", ["schedule.yaml:3:1: error: calendario: clave desconocida 'x'"] * 6),
        texts.preflight_failed("saludo", "cancilleria_x", at, ["token vencido"]),
        texts.preflight_passed("saludo", "cancilleria_x", at),
        texts.daemon_started(2, "saludo", at),
        texts.daemon_stopped(2),
        texts.post_published("saludo", "cancilleria_x", ["https://x.com/C/status/1"]),
        texts.test_alert(at),
    ]
    outputs = {alert.title: alert.title + "\n" + alert.body for alert in alerts}
    assert _english(outputs) == []


def test_the_daemons_log_speaks_spanish(tmp_path: Path) -> None:
    """A dry run of a campaign whose post is long past: the daemon logs it as missed and exits."""
    schedule = _campaign(tmp_path)
    text = schedule.read_text(encoding="utf-8").replace("2027-07-28", "2020-07-28")
    schedule.write_text(text, encoding="utf-8")
    result = run_cli(
        "run", "--dry-run", "--exit-when-done", "--lang", "es", "--state-dir", str(tmp_path / "state"),
        "--env-file", str(DATA / "empty.env"), cwd=tmp_path, timeout=120,
    )  # fmt: skip
    log = result.stdout + result.stderr
    assert log.strip()
    assert _english({"run": log}) == []


def test_the_served_page_speaks_spanish(tmp_path: Path) -> None:
    """`serve`'s pages in Spanish: the sign-in page, a failed sign-in, the campaign page of an approver (session
    bar, approve forms, footer) and of a reader, a refusal and werkzeug's HTTP errors."""
    from tests.webharness import APPROVER, VIEWER, open_site

    catalog.use("es")
    site = open_site(tmp_path / "campaign", None)
    try:
        pages = {"login": site.client.get("/login").get_data(as_text=True)}
        pages["wrong password"] = site.sign_in(APPROVER, "no-es-la-clave").get_data(as_text=True)
        site.sign_in(APPROVER)
        pages["approver"] = site.client.get("/").get_data(as_text=True)
        pages["refusal"] = site.client.post("/approve", data={"csrf": site.csrf()}).get_data(as_text=True)
        pages["not found"] = site.client.get("/no-such-page").get_data(as_text=True)
        pages["wrong method"] = site.client.put("/approve").get_data(as_text=True)
        site.sign_in(VIEWER)
        pages["viewer"] = site.client.get("/").get_data(as_text=True)
    finally:
        site.store.close()
    assert all('<html lang="es">' in page for page in pages.values())
    assert "Cerrar sesión" in pages["approver"] and "Aprobar este texto para cx" in pages["approver"]
    assert "lector(a)" in pages["viewer"]
    assert "&#34;sent&#34;: &#34;publicada&#34;" in pages["approver"]  # the words live.js writes
    assert "Aprobación rechazada" in pages["refusal"]
    assert "404 No encontrado" in pages["not found"] and "405 Método no permitido" in pages["wrong method"]
    assert _english(pages) == []
