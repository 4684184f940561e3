"""The language of the output: --lang, then BOT_LANG (environment, then .env), then schedule.yaml's `language:`,
then the locale, else English; unknown values are refused with the accepted ones named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import catalog
from bot.commands import language
from tests.helpers import ROOT, run_cli

NOW = "2027-07-01T00:00-05:00"


def _campaign(folder: Path, language_line: str = "") -> Path:
    """The committed campaign with its `language:` line replaced (or removed) — messages copied beside it."""
    import shutil

    text = (ROOT / "schedule.yaml").read_text(encoding="utf-8").replace("language: es\n", language_line)
    (folder / "schedule.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "messages", folder / "messages")
    shutil.copytree(ROOT / "media", folder / "media")
    return folder / "schedule.yaml"


def _chosen(argv: list[str], environ: dict[str, str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(cwd)
    return language.choose(argv, environ)


def test_the_order_flag_then_environment_then_dotenv_then_schedule_then_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _campaign(tmp_path, "language: es\n")
    locale = {"LANG": "en_US.UTF-8"}
    assert _chosen([], locale, tmp_path, monkeypatch) == "es"  # schedule over the locale
    (tmp_path / ".env").write_text("BOT_LANG=en\n", encoding="utf-8")
    assert _chosen([], locale, tmp_path, monkeypatch) == "en"  # .env over the schedule
    assert _chosen([], {**locale, "BOT_LANG": "es"}, tmp_path, monkeypatch) == "es"  # environment over .env
    assert _chosen(["status", "--lang", "en"], {"BOT_LANG": "es"}, tmp_path, monkeypatch) == "en"  # flag first
    assert _chosen(["status", "--lang=es"], {"BOT_LANG": "en"}, tmp_path, monkeypatch) == "es"
    (tmp_path / "other.env").write_text("BOT_LANG=es\n", encoding="utf-8")
    assert _chosen(["validate", "--env-file", "other.env"], locale, tmp_path, monkeypatch) == "es"


def test_the_locale_decides_without_the_others_and_english_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _campaign(tmp_path, "")
    assert _chosen([], {"LANG": "es_PE.UTF-8"}, tmp_path, monkeypatch) == "es"
    assert _chosen([], {"LC_ALL": "es_ES.UTF-8", "LANG": "en_US.UTF-8"}, tmp_path, monkeypatch) == "es"
    assert _chosen([], {"LC_MESSAGES": "en_GB.UTF-8", "LANG": "es_PE.UTF-8"}, tmp_path, monkeypatch) == "en"
    assert _chosen([], {"LANGUAGE": "es:en", "LANG": "C.UTF-8"}, tmp_path, monkeypatch) == "es"
    assert _chosen([], {"LANG": "fr_FR.UTF-8"}, tmp_path, monkeypatch) == "en"  # no catalog: English, no error
    assert _chosen([], {"LANG": "C"}, tmp_path, monkeypatch) == "en"
    assert _chosen([], {}, tmp_path, monkeypatch) == "en"
    assert _chosen(["--schedule", "missing.yaml"], {}, tmp_path, monkeypatch) == "en"


def test_a_schedule_language_in_quotes_or_with_a_comment_is_read() -> None:
    assert catalog.schedule_language('a: 1\nlanguage: "es"  # Spanish\n') == "es"
    assert catalog.schedule_language("accounts:\n  language: es\n") is None  # not at the top level
    assert catalog.schedule_language("# language: es\n") is None


def test_an_unknown_bot_lang_is_refused_naming_the_accepted_ones(tmp_path: Path) -> None:
    _campaign(tmp_path)
    result = run_cli("preview", cwd=tmp_path, env={"BOT_LANG": "fr"})
    assert result.returncode == 2
    assert result.stderr == "error: BOT_LANG (environment): unknown language 'fr'; accepted: en, es\n"
    (tmp_path / ".env").write_text("BOT_LANG=qu\n", encoding="utf-8")
    result = run_cli("status", cwd=tmp_path, env={"BOT_LANG": ""})
    assert result.returncode == 2
    assert "BOT_LANG (.env): unknown language 'qu'; accepted: en, es" in result.stderr


def test_an_unknown_lang_flag_is_an_argparse_error_naming_the_choices(tmp_path: Path) -> None:
    _campaign(tmp_path)
    result = run_cli("validate", "--lang", "fr", cwd=tmp_path)
    assert result.returncode == 2
    assert "argument --lang: invalid choice: 'fr' (choose from 'en', 'es')" in result.stderr
    spanish = run_cli("validate", "--lang", "fr", cwd=tmp_path, env={"BOT_LANG": "es"})
    assert "argumento --lang: opción no válida: 'fr' (elija entre 'en', 'es')" in spanish.stderr
    assert spanish.stderr.startswith("uso: python main.py validate")


def test_an_unknown_schedule_language_is_a_problem_with_its_place(tmp_path: Path) -> None:
    schedule = _campaign(tmp_path, "language: fr\n")
    result = run_cli("validate", "--schedule", str(schedule), "--now", NOW, cwd=tmp_path, env={"BOT_LANG": ""})
    assert result.returncode == 2
    line = next(n for n, text in enumerate(schedule.read_text().splitlines(), 1) if text.startswith("language:"))
    assert f"schedule.yaml:{line}:11: error: schedule: language 'fr' is not one of: en, es" in result.stderr


def test_the_committed_campaign_speaks_spanish_and_lang_en_english() -> None:
    spanish = run_cli("preview", "--now", NOW, env={"BOT_LANG": ""})
    assert spanish.returncode == 0, spanish.stderr
    assert "== miércoles, 28 de julio de 2027 (hora de Lima) ==" in spanish.stdout
    assert "Esta vista previa no envía nada." in spanish.stdout
    english = run_cli("preview", "--now", NOW, "--lang", "en", env={"BOT_LANG": ""})
    assert "== Wednesday 28 July 2027 (America/Lima) ==" in english.stdout


def test_help_is_in_the_chosen_language() -> None:
    result = run_cli("--lang", "es", "preview", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("uso: python main.py preview")
    assert "simulación: muestra qué se publicará, dónde y cuándo; no envía nada" in result.stdout
    assert "opciones:" in result.stdout


@pytest.mark.parametrize("lang", ["en", "es"])
def test_preview_does_not_load_babel_in_either_language(tmp_path: Path, lang: str) -> None:
    """Spanish formats from bot/_cldr_data.py, Babel's CLDR data copied (tests/test_localformat_cldr.py)."""
    import subprocess
    import sys

    from tests.helpers import text_only_campaign

    schedule = str(text_only_campaign(tmp_path))
    code = (
        "import sys\n"
        "from bot.commands import main\n"
        f"main(['preview', '--lang', {lang!r}, '--schedule', {schedule!r}, '--now', {NOW!r}])\n"
        "print(sorted(m for m in sys.modules if m == 'babel' or m.startswith('babel.')), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = result.stderr.splitlines()[-1]
    assert loaded == "[]"
    assert ("julio de 2027" in result.stdout) == (lang == "es")  # the dates are formatted, in Spanish
