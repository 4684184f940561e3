"""The commands as a user runs them: preview (text, JSON) and validate of the committed campaign."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import jsonschema
import pytest

from bot import catalog
from bot.measure import x_weighted_length
from bot.schema import json_schema
from bot.yamlfile import parse
from tests.helpers import ROOT, run_cli, text_only_campaign

NOW = "2026-11-26T12:00:00-05:00"
SEED = (ROOT / "messages" / "mensaje-canciller-fiestas-patrias.txt").read_text(encoding="utf-8")


def _preview_json() -> dict[str, object]:
    result = run_cli("preview", "--format", "json", "--now", NOW)
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_preview_json_has_the_documented_shape() -> None:
    data = _preview_json()
    assert data["timezone"] == "America/Lima"
    posts = data["posts"]
    assert isinstance(posts, list)
    assert [(p["id"], p["account"], p["platform"]) for p in posts] == [
        ("mensaje-fiestas-patrias", "cancilleria_fb", "facebook"),
        ("mensaje-fiestas-patrias", "cancilleria_x", "x"),
    ]
    for post in posts:
        assert datetime.fromisoformat(post["at"]) == datetime.fromisoformat("2027-07-28T08:00:00-05:00")
        assert set(post) >= {"id", "account", "platform", "at", "fragments", "warnings"}
        for fragment in post["fragments"]:
            assert set(fragment) >= {"index", "total", "text", "length", "limit"}


def test_preview_x_thread_fits_and_keeps_every_word() -> None:
    x_post = next(p for p in _preview_json()["posts"] if p["platform"] == "x")  # type: ignore[attr-defined]
    fragments = x_post["fragments"]
    total = len(fragments)
    assert 10 <= total <= 20
    bodies = []
    for i, fragment in enumerate(fragments, start=1):
        assert (fragment["index"], fragment["total"], fragment["limit"]) == (i, total, 280)
        assert fragment["length"] == x_weighted_length(fragment["text"]) <= 280
        suffix = f" {i}/{total}"
        assert fragment["text"].endswith(suffix)
        bodies.append(fragment["text"][: -len(suffix)])
    assert " ".join(bodies).split() == SEED.split()
    assert x_post["cost_usd"] == pytest.approx(0.015 * total)


def test_preview_facebook_is_one_post_with_the_whole_message() -> None:
    fb_post = next(p for p in _preview_json()["posts"] if p["platform"] == "facebook")  # type: ignore[attr-defined]
    (fragment,) = fb_post["fragments"]
    assert fragment["text"] == SEED.strip()
    assert fragment["limit"] == 63_206


def test_preview_text_shows_times_lengths_and_numbering() -> None:
    result = run_cli("preview", "--now", NOW)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "== Wednesday 28 July 2027 (America/Lima) ==" in out
    assert "08:00 -0500 = 2027-07-28 13:00 UTC, in 243 days 20 h" in out
    assert "mensaje-fiestas-patrias -> cancilleria_x (X: Cancillería del Perú, @CancilleriaPeru): thread of" in out
    assert "[1/1] 3,228/63,206" in out
    assert "Estimated X cost of the campaign: US$" in out


def test_validate_committed_schedule_is_valid_and_names_missing_credentials() -> None:
    result = run_cli("validate", "--now", NOW, "--env-file", "tests/data/empty.env")
    assert result.returncode == 0, result.stderr
    line = "schedule.yaml: valid. 2 accounts, 1 schedule entry, 2 posts, 17 fragments."
    assert result.stdout == line + "\n"
    assert f"`{line}`" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "warning: account 'cancilleria_x' needs CANCILLERIA_X_API_KEY," in result.stderr


def test_validate_reads_env_file_without_printing_values(tmp_path: Path) -> None:
    secret = "sk-test-0123456789abcdefSECRET"
    env = tmp_path / "creds.env"
    env.write_text(
        f"CANCILLERIA_X_API_KEY={secret}\nCANCILLERIA_X_API_SECRET={secret}1\n"
        f"CANCILLERIA_X_ACCESS_TOKEN='{secret} 2'\nthis line is broken\n",
        encoding="utf-8",
    )
    result = run_cli("validate", "--now", NOW, "--env-file", str(env))
    assert result.returncode == 2
    assert secret not in result.stdout + result.stderr
    assert f"{env}:4:1: error: this line is not NAME=value" in result.stderr
    assert "CANCILLERIA_X_ACCESS_TOKEN is set but is not a token" in result.stderr
    assert "needs CANCILLERIA_X_ACCESS_TOKEN_SECRET, not set" in result.stderr


def test_preview_and_validate_do_not_import_network_libraries(tmp_path: Path) -> None:
    """Nor Pillow, for a campaign without images (the committed one has an image: see the next test)."""
    schedule = str(text_only_campaign(tmp_path))
    code = (
        "import sys\n"
        "from bot.commands import main\n"
        "for argv in (['preview'], ['preview', '--format', 'json'], ['validate']):\n"
        f"    main([*argv, '--schedule', {schedule!r}])\n"
        "forbidden = {'tweepy', 'facebook', 'apscheduler', 'requests', 'apprise', 'psycopg', 'PIL'}\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & forbidden)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    # ALERT_URLS set: validate checks it without Apprise
    env = {**os.environ, "ALERT_URLS": "json://127.0.0.1:9/hook mailto://user:pass@example.org"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stderr


def test_preview_of_a_campaign_with_images_loads_pillow_but_no_network_library() -> None:
    code = (
        "import sys\n"
        "from bot.commands import main\n"
        "main(['preview', '--format', 'json'])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'tweepy', 'facebook', 'requests', 'PIL'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "['PIL']"


def test_validate_reports_alert_urls_with_their_place_and_warns_when_unset(tmp_path: Path) -> None:
    env = tmp_path / "alerts.env"
    env.write_text("# alerts\nALERT_URLS=json://127.0.0.1/ok,https://hooks.example.org/x\n", encoding="utf-8")
    bad = run_cli("validate", "--env-file", str(env), "--now", "2027-07-01T00:00-05:00")
    assert bad.returncode == 2
    assert f"{env}:2:32: error: ALERT_URLS #2 https://hooks.example.org https:// is a web address" in bad.stderr
    env.write_text("# nothing\n", encoding="utf-8")
    unset = run_cli("validate", "--env-file", str(env), "--now", "2027-07-01T00:00-05:00")
    assert "warning: ALERT_URLS is not set: nobody is told if one of the" in unset.stderr
    late = run_cli("validate", "--env-file", str(env), "--now", "2099-07-01T00:00-05:00")
    assert "ALERT_URLS" not in late.stderr  # no post ahead: nothing to be told about


def test_committed_json_schema_is_generated_from_the_model() -> None:
    # In the campaign's language (schedule.yaml says `language: es`): editors show its descriptions on hover.
    committed = json.loads((ROOT / "schedule.schema.json").read_text(encoding="utf-8"))
    catalog.use("es")
    assert committed == json_schema()
    result = run_cli("schema", "--lang", "es")
    assert json.loads(result.stdout) == committed
    english = json.loads(run_cli("schema", "--lang", "en").stdout)
    assert english["properties"]["posts"]["description"] == "What to publish, when, and to which accounts."


def _as_plain_data(node: object) -> object:
    from bot.yamlfile import Node

    assert isinstance(node, Node)
    if node.kind == "mapping":
        return {k.text: _as_plain_data(v) for k, v in node.entries}
    if node.kind == "sequence":
        return [_as_plain_data(item) for item in node.items]
    return node.text


def test_committed_schedule_satisfies_the_json_schema() -> None:
    root, problems = parse((ROOT / "schedule.yaml").read_text(encoding="utf-8"), "schedule.yaml")
    assert problems == []
    jsonschema.validate(_as_plain_data(root), json_schema())


def test_json_schema_rejects_what_validate_rejects() -> None:
    text = (ROOT / "tests/data/bad/03-unknown-key.yaml").read_text(encoding="utf-8")
    root, _ = parse(text, "x.yaml")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_as_plain_data(root), json_schema())


def test_committed_thread_breaks_only_at_clauses_or_better() -> None:
    data = _preview_json()
    x_post = next(p for p in data["posts"] if p["platform"] == "x")  # type: ignore[attr-defined]
    assert len(x_post["fragments"]) <= 16
    assert [w for p in data["posts"] for w in p["warnings"] if w["kind"] == "mid-phrase"] == []  # type: ignore[attr-defined]


# One sentence of 330 characters without a comma: the thread must break it at a plain space.
RUN_ON = " y ".join(["los peruanos que viven en el exterior junto a sus familias en todo el Perú"] * 4) + ".\n"
RUN_ON_SCHEDULE = """timezone: America/Lima
accounts:
  cx: {platform: x, handle: CancilleriaPeru, credentials: CX}
posts:
  - {id: saludo, message: messages/m.txt, at: "2027-07-28 08:00", to: [cx]}
"""


def test_preview_warns_of_a_mid_phrase_break_in_text_and_json(tmp_path: Path) -> None:
    (tmp_path / "messages").mkdir()
    (tmp_path / "messages" / "m.txt").write_text(RUN_ON, encoding="utf-8")
    (tmp_path / "schedule.yaml").write_text(RUN_ON_SCHEDULE, encoding="utf-8")
    data = json.loads(run_cli("preview", "--format", "json", "--now", NOW, cwd=tmp_path).stdout)
    (post,) = data["posts"]
    first = post["fragments"][0]["text"].removesuffix(" 1/2")
    assert not first.endswith((".", ","))
    (warning,) = post["warnings"]
    assert warning["kind"] == "mid-phrase"
    last_words = " ".join(first.split()[-6:])
    assert warning["message"].startswith(f"fragment 1/2 ends mid-phrase, at a plain space: '...{last_words}'; rephrase")
    text = run_cli("preview", "--now", NOW, cwd=tmp_path).stdout
    assert f"  ! {warning['message']}" in text
    assert "Warnings: 1 (marked '!' below)." in text
