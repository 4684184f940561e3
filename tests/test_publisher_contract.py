"""One body, every publisher: what the runner relies on holds for X, Facebook, the console and the fake.

The fake (tests/fakes.py) stands in for the platforms in the runner's and daemon's unit tests, so it is held
to the same contract: a unit test that passes against it would pass against a real publisher.
"""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from bot.credentials import ConnectionSettings
from bot.publishers.base import Publisher
from bot.publishers.console import ConsolePublisher
from bot.publishers.factory import make_publisher
from tests.fakeapi import FakeAPI, environment, facebook_account, fake_api_fixture, x_account  # noqa: F401
from tests.fakes import FakePublisher


def build(kind: str, api: FakeAPI) -> tuple[Publisher, str]:
    """A publisher of `kind` and the name whoami() must report."""
    if kind == "x":
        _, env = api.add_x_user("CancilleriaPeru", "Cancillería del Perú", "CANCILLERIA_X")
        return make_publisher(x_account(), environment(env), api.settings()), "Cancillería del Perú"
    if kind == "facebook":
        _, env = api.add_page("104", "Cancillería del Perú (Page)", "CANCILLERIA_FB")
        return make_publisher(facebook_account(), environment(env), api.settings()), "Cancillería del Perú (Page)"
    if kind == "fake":
        return FakePublisher(), "Cancillería del Perú"
    account = x_account()
    return make_publisher(
        account, environment({}), ConnectionSettings(), dry_run=True, stream=io.StringIO()
    ), account.label


@pytest.mark.parametrize("kind", ["x", "facebook", "console", "fake"])
def test_publisher_contract(fake_api: FakeAPI, kind: str) -> None:
    publisher, name = build(kind, fake_api)
    first = publisher.publish("1/2 Compatriotas: hoy celebramos 205 años de independencia.")
    second = publisher.publish("2/2 ¡Viva el Perú!", reply_to=first.remote_id)
    assert first.remote_id != second.remote_id
    assert first.url and second.url

    found = publisher.find_recent("2/2 ¡Viva el Perú!")
    assert found is not None and found.remote_id == second.remote_id
    decomposed = "1/2 Compatriotas: hoy celebramos 205 an\u0303os de independencia."  # NFD ñ
    found_first = publisher.find_recent(decomposed)
    assert found_first is not None and found_first.remote_id == first.remote_id
    assert publisher.find_recent("un texto que nunca se publicó") is None
    # line ends are not part of the text: a post written with \n is found from a text read with \r\n
    lines = publisher.publish("¡Felices Fiestas Patrias!\nDesde Lima.")
    found_lines = publisher.find_recent("¡Felices Fiestas Patrias!\r\nDesde Lima.")
    assert found_lines is not None and found_lines.remote_id == lines.remote_id

    identity = publisher.whoami()
    assert identity.name == name and identity.id


def test_console_prints_account_reply_and_text() -> None:
    stream = io.StringIO()
    account = x_account()
    publisher = ConsolePublisher(account, stream)
    first = publisher.publish("Hola")
    publisher.publish("Chau", reply_to=first.remote_id)
    assert first.remote_id == "console-1"
    output = stream.getvalue()
    assert "cancilleria (@CancilleriaPeru) new post -> console-1\nHola\n" in output
    assert "reply to console-1 -> console-2\nChau\n" in output


def test_preview_paths_do_not_import_the_platform_libraries() -> None:
    code = (
        "import sys, bot.publishers.factory, bot.services.check\n"
        "loaded = [m for m in ('tweepy', 'facebook', 'requests') if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert result.stdout.strip() == ""
