"""`python main.py check` as a user runs it, against the local fake API (real tweepy and facebook-sdk)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.fakeapi import FakeAPI, fake_api_fixture  # noqa: F401
from tests.helpers import ROOT, run_cli


def _project(tmp_path: Path, fake_api: FakeAPI, env: dict[str, str]) -> Path:
    """A copy of the committed schedule, message and image, with the fake Page id and a .env file."""
    shutil.copytree(ROOT / "messages", tmp_path / "messages")
    shutil.copytree(ROOT / "media", tmp_path / "media")
    schedule = (ROOT / "schedule.yaml").read_text(encoding="utf-8").replace('"123456789012345"', '"104"')
    (tmp_path / "schedule.yaml").write_text(schedule, encoding="utf-8")
    lines = [f"{name}={value}" for name, value in env.items()]
    lines += [f"X_API_BASE_URL={fake_api.url}", f"FACEBOOK_GRAPH_URL={fake_api.url}", "HTTP_TIMEOUT_SECONDS=5"]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_check_prints_who_each_account_posts_as(tmp_path: Path, fake_api: FakeAPI) -> None:
    _, xenv = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    _, fenv = fake_api.add_page("104", "Cancillería del Perú", "CANCILLERIA_FB")
    folder = _project(tmp_path, fake_api, {**xenv, **fenv})

    result = run_cli("check", cwd=folder)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK       cancilleria_x [x, Cancillería del Perú]: posts as @CancilleriaPeru" in result.stdout
    assert (
        "OK       cancilleria_fb [facebook, Cancillería del Perú]: posts as Cancillería del Perú (id 104)"
        in result.stdout
    )
    assert fake_api.posts() == []
    for secret in (*xenv.values(), *fenv.values()):
        assert secret not in result.stdout + result.stderr


def test_check_with_an_expired_page_token_exits_1_and_says_what_to_do(tmp_path: Path, fake_api: FakeAPI) -> None:
    _, xenv = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    fake_api.add_page("104", "Cancillería del Perú", "CANCILLERIA_FB")
    expired = "EAAG-an-old-token-that-no-longer-works"
    folder = _project(tmp_path, fake_api, {**xenv, "CANCILLERIA_FB_PAGE_TOKEN": expired})

    result = run_cli("check", cwd=folder)

    assert result.returncode == 1
    assert "PROBLEM  cancilleria_fb" in result.stdout
    assert "CANCILLERIA_FB_PAGE_TOKEN was rejected by Facebook" in result.stdout
    assert "OK       cancilleria_x" in result.stdout
    assert expired not in result.stdout + result.stderr


def test_check_warns_when_the_credentials_post_as_another_handle(tmp_path: Path, fake_api: FakeAPI) -> None:
    _, xenv = fake_api.add_x_user("OtraCuenta", "Otra cuenta", "CANCILLERIA_X")
    _, fenv = fake_api.add_page("104", "Cancillería del Perú", "CANCILLERIA_FB")
    folder = _project(tmp_path, fake_api, {**xenv, **fenv})

    result = run_cli("check", cwd=folder)

    assert result.returncode == 1
    assert "@OtraCuenta" in result.stdout and "CancilleriaPeru" in result.stdout


def test_check_without_credentials_exits_2_naming_the_variables(tmp_path: Path, fake_api: FakeAPI) -> None:
    folder = _project(tmp_path, fake_api, {})
    result = run_cli("check", cwd=folder)
    assert result.returncode == 2
    assert "account 'cancilleria_fb' needs CANCILLERIA_FB_PAGE_TOKEN" in result.stderr
    assert fake_api.requests() == []
