"""`check` against the local fake API: who each account posts as, and what to fix when it cannot."""

from __future__ import annotations

import pytest

from bot.credentials import ConnectionSettings
from bot.services.check import check_accounts, format_check
from tests.fakeapi import FakeAPI, environment, facebook_account, fake_api_fixture, x_account  # noqa: F401


def test_all_accounts_ok_with_who_they_post_as(fake_api: FakeAPI) -> None:
    _, xenv = fake_api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
    _, fenv = fake_api.add_page("104", "Cancillería Perú (Página)", "CANCILLERIA_FB")
    results = check_accounts([x_account(), facebook_account()], environment(xenv, fenv), fake_api.settings())
    assert [r.status for r in results] == ["ok", "ok"]
    assert all(r.ok for r in results)
    report = format_check(results)
    assert "OK       cancilleria [x, @CancilleriaPeru]: posts as @CancilleriaPeru (Cancillería del Perú" in report
    assert "OK       cancilleria-fb [facebook, page 104]: posts as Cancillería Perú (Página) (id 104)" in report
    assert report.endswith("2 accounts checked: 2 OK, 0 with warnings, 0 with problems\n")
    assert fake_api.posts() == []  # checking never posts


def test_bad_page_token_says_what_to_do(fake_api: FakeAPI) -> None:
    fake_api.add_page("104", "Cancillería", "CANCILLERIA_FB")
    env = environment({"CANCILLERIA_FB_PAGE_TOKEN": "EAAGexpired-token-0000"})
    (result,) = check_accounts([facebook_account()], env, fake_api.settings())
    assert result.status == "problem" and not result.ok
    (message,) = result.messages
    assert message.startswith("CANCILLERIA_FB_PAGE_TOKEN was rejected by Facebook (token expired or invalid)")
    assert "generate a new Page access token" in message and "put it in .env" in message
    report = format_check([result])
    assert "PROBLEM  cancilleria-fb" in report and "EAAGexpired-token-0000" not in report


def test_bad_x_secret_names_the_variables(fake_api: FakeAPI) -> None:
    _, env = fake_api.add_x_user("CancilleriaPeru", "Cancillería", "CANCILLERIA_X")
    env["CANCILLERIA_X_API_SECRET"] = "not-the-right-consumer-secret"
    (result,) = check_accounts([x_account()], environment(env), fake_api.settings())
    assert result.status == "problem"
    assert "CANCILLERIA_X_API_SECRET" in result.messages[0] and "401" in result.messages[0]
    assert "not-the-right-consumer-secret" not in format_check([result])


def test_missing_and_malformed_variables_are_reported_without_the_network(fake_api: FakeAPI) -> None:
    _, env = fake_api.add_x_user("CancilleriaPeru", "Cancillería", "CANCILLERIA_X")
    del env["CANCILLERIA_X_ACCESS_TOKEN"]
    env["CANCILLERIA_X_API_KEY"] = '"quoted key"'
    (result,) = check_accounts([x_account()], environment(env), fake_api.settings())
    assert result.status == "problem"
    assert any(m.startswith("CANCILLERIA_X_ACCESS_TOKEN is not set") for m in result.messages)
    assert any(m.startswith("CANCILLERIA_X_API_KEY (environment) does not look like a token") for m in result.messages)
    assert "quoted key" not in format_check([result])
    assert fake_api.requests() == []


def test_handle_mismatch_warns(fake_api: FakeAPI) -> None:
    _, env = fake_api.add_x_user("OtraCuenta", "Otra Cuenta", "CANCILLERIA_X")
    (result,) = check_accounts([x_account(handle="CancilleriaPeru")], environment(env), fake_api.settings())
    assert result.status == "warning" and not result.ok
    assert result.messages == (
        "schedule.yaml says @CancilleriaPeru but these credentials post as @OtraCuenta: "
        "fix the handle in schedule.yaml or the tokens in .env",
    )
    assert "WARNING  cancilleria [x, @CancilleriaPeru]: posts as @OtraCuenta" in format_check([result])


def test_handle_comparison_ignores_case(fake_api: FakeAPI) -> None:
    _, env = fake_api.add_x_user("cancilleriaperu", "Cancillería", "CANCILLERIA_X")
    (result,) = check_accounts([x_account(handle="CancilleriaPeru")], environment(env), fake_api.settings())
    assert result.status == "ok"


def test_token_of_another_page_warns(fake_api: FakeAPI) -> None:
    fake_api.add_page("104", "Cancillería", "CANCILLERIA_FB")
    _, other = fake_api.add_page("105", "Otra Página", "OTRA_FB")
    env = environment({"CANCILLERIA_FB_PAGE_TOKEN": other["OTRA_FB_PAGE_TOKEN"]})
    (result,) = check_accounts([facebook_account(page_id="104")], env, fake_api.settings())
    assert result.status == "warning"
    assert result.messages == (
        "schedule.yaml says page 104 but the token belongs to page 105 (Otra Página): "
        "fix page_id in schedule.yaml or the token in .env",
    )


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_unreachable_platform_is_a_problem_to_retry(platform: str) -> None:
    settings = ConnectionSettings(
        x_api_base_url="http://127.0.0.1:9", facebook_graph_url="http://127.0.0.1:9", timeout_seconds=0.5
    )
    env = environment(
        {
            f"CANCILLERIA_X_{k}": f"value-{k}-1234"
            for k in ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
        },
        {"CANCILLERIA_FB_PAGE_TOKEN": "EAAG-token-1234"},
    )
    account = x_account() if platform == "x" else facebook_account()
    (result,) = check_accounts([account], env, settings)
    assert result.status == "problem"
    assert result.messages[0].startswith("could not check now:") and "run check again later" in result.messages[0]
