"""The approvers' web page in a real browser (headless Chromium from Debian, driven by Selenium), served by the
real `serve` command, with the daemon running beside it against the fake X and Graph APIs (tests/fakeapi.py),
on both stores: an approver signs in, sees the post awaiting approval, presses approve, and the daemon
publishes it; an edit while the page is open is refused with the diff; a viewer has no button and a forged
POST is refused; markup in a message is text. Skipped without Chromium unless REQUIRE_BROWSER=1."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests import secretscan
from tests.e2e import Campaign, api_fixture, campaign_fixture, finish, wait_for  # noqa: F401
from tests.helpers import ROOT
from tests.test_browser import driver  # noqa: F401  (the headless Chromium fixture)
from tests.webharness import APPROVER, PASSWORDS, VIEWER, cli

if TYPE_CHECKING:
    from selenium.webdriver import Chrome

pytestmark = pytest.mark.slow

REQUIRED = "approval: required\n"


class Served:
    """`python main.py serve --bind 127.0.0.1:0` in the campaign folder; its address from its first line."""

    def __init__(self, campaign: Campaign, url: str | None) -> None:
        self.campaign = campaign
        self.store_args = ["--state-dir", "state", *(["--database-url", url] if url else [])]
        for name, role in ((APPROVER, "approver"), (VIEWER, "viewer")):
            secretscan.register(PASSWORDS[name], f"the web password of {name}")
            added = cli("users", "add", name, "--role", role, "--password-stdin", *self.store_args,
                        cwd=campaign.folder, stdin=PASSWORDS[name] + "\n")  # fmt: skip
            assert added.returncode == 0, added.stderr
        self.log = campaign.folder / "serve.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "main.py"), "serve", "--bind", "127.0.0.1:0", *self.store_args],
                cwd=campaign.folder, stdout=subprocess.PIPE, stderr=log,
            )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, line + self.log.read_text()
        self.base = f"http://127.0.0.1:{found.group(1)}"

    def stop(self) -> None:
        self.process.terminate()
        assert finish(self.process) == 0
        text = self.log.read_text(encoding="utf-8")
        secretscan.assert_clean_text(text, "the log of serve")
        assert "Traceback" not in text


def _store_url(request: pytest.FixtureRequest) -> str | None:
    return str(request.getfixturevalue("pg_url")) if request.param == "postgres" else None


@pytest.fixture(name="served", params=["sqlite", "postgres"])
def served_fixture(request: pytest.FixtureRequest, campaign: Campaign) -> Iterator[Served]:
    url = _store_url(request)
    if url is not None:  # the daemon and every command find the database through .env
        with open(campaign.folder / ".env", "a", encoding="utf-8") as env:
            env.write(f"DATABASE_URL={url}\n")
    served = Served(campaign, url)
    try:
        yield served
    finally:
        served.stop()


def sign_in(chrome: Chrome, served: Served, name: str) -> None:
    from selenium.webdriver.common.by import By

    chrome.delete_all_cookies()
    chrome.get(served.base + "/")
    assert chrome.current_url.endswith("/login")
    chrome.find_element(By.NAME, "name").send_keys(name)
    chrome.find_element(By.NAME, "password").send_keys(PASSWORDS[name])
    chrome.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait_for(lambda: "Signed in as" in chrome.page_source, 10, "the campaign page")


def post_state(chrome: Chrome, account: str) -> str:
    """Read in one script call: the live script replaces these elements every 2 s."""
    script = "const s = document.querySelector(arguments[0]); return s ? s.textContent : '';"
    return str(chrome.execute_script(script, f'article[data-account="{account}"] .post-state .state'))


def test_an_approver_approves_in_the_browser_and_the_daemon_publishes(
    driver: Chrome,  # noqa: F811
    campaign: Campaign,
    served: Served,
) -> None:
    from selenium.webdriver.common.by import By

    message = campaign.message("saludo.txt", "¡Felices Fiestas Patrias! Un saludo a todos los peruanos.\n")
    at = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    campaign.schedule([{"id": "saludo", "message": message, "at": at}], extra=REQUIRED)
    daemon = campaign.start()
    try:
        wait_for(lambda: "awaiting approval" in campaign.command("status", "--state-dir", "state").stdout, 20, "wait")
        sign_in(driver, served, APPROVER)
        assert post_state(driver, "cx") == "awaiting approval"
        assert driver.find_element(By.CSS_SELECTOR, ".user-name").text == APPROVER
        every = driver.find_element(By.XPATH, "//button[contains(., 'Approve every account of saludo')]")
        digest = every.find_element(By.XPATH, "..").find_element(By.NAME, "digest").get_attribute("value")
        assert digest is not None and re.fullmatch(r"[0-9a-f]{64}", digest)
        assert campaign.x_texts() == []
        every.click()
        wait_for(lambda: "Approved by" in driver.page_source, 10, "the page after approving")
        wait_for(lambda: len(campaign.x_texts()) == 1 and len(campaign.page_texts()) == 1, 10, "the daemon")
        # the page follows by itself, without a reload
        wait_for(lambda: post_state(driver, "cx").startswith("sent"), 10, "the live state on the page")
        assert f"{APPROVER} (via web, 127.0.0.1)" in driver.find_element(By.CSS_SELECTOR, ".approval-approved").text
        assert driver.find_elements(By.CSS_SELECTOR, 'article[data-account="cx"] .sent-link')
        assert int(driver.execute_script("return document.body.dataset.liveUpdates || '0';")) > 0  # the CSP let it run
    finally:
        daemon.send_signal(15)
        finish(daemon)
    audit = campaign.command("status", "--audit", *served.store_args[2:])
    assert re.search(rf"approve\s+{APPROVER}\s+127\.0\.0\.1\s+saludo cx [0-9a-f]{{64}}", audit.stdout), audit.stdout


def test_an_edit_while_the_page_is_open_is_refused_with_the_diff_and_nothing_goes_out(
    driver: Chrome,  # noqa: F811
    campaign: Campaign,
    served: Served,
) -> None:
    from selenium.webdriver.common.by import By

    text = "¡Felices Fiestas Patrias! Un saludo a todos los peruanos.\n"
    message = campaign.message("saludo.txt", text)
    at = (datetime.now(UTC) + timedelta(seconds=2)).replace(microsecond=0)
    campaign.schedule([{"id": "saludo", "message": message, "at": at, "to": ["cx"]}], extra=REQUIRED)
    daemon = campaign.start()
    try:
        wait_for(lambda: "awaiting approval" in campaign.command("status", "--state-dir", "state").stdout, 20, "wait")
        sign_in(driver, served, APPROVER)
        button = driver.find_element(By.XPATH, "//button[contains(., 'Approve this text for cx')]")
        campaign.message("saludo.txt", text.replace("todos los peruanos", "todas y todos"))
        button.click()
        wait_for(lambda: "Approval refused" in driver.page_source, 10, "the refusal")
        refusal = driver.find_element(By.TAG_NAME, "pre").text
        assert "nothing was recorded" in refusal and "current digests" in refusal
        assert "what changed for cx" in refusal and "todas y todos" in refusal  # the daemon kept the planned text
        time.sleep(1.5)
        assert campaign.x_texts() == []
    finally:
        daemon.send_signal(15)
        finish(daemon)


def test_a_viewer_has_no_button_a_forged_post_is_403_and_markup_is_text(
    driver: Chrome,  # noqa: F811
    campaign: Campaign,
    served: Served,
) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    hostile = 'Hola <script>alert(1)</script> y "><img src=x onerror=alert(2)> fin\n'
    message = campaign.message("saludo.txt", hostile)
    at = datetime.now(UTC) + timedelta(days=30)
    campaign.schedule([{"id": "saludo", "message": message, "at": at, "to": ["cx"]}], extra=REQUIRED)
    sign_in(driver, served, VIEWER)
    assert driver.find_elements(By.CSS_SELECTOR, "form.act-approve, form.act-revoke") == []
    text = driver.find_element(By.CSS_SELECTOR, 'article[data-account="cx"] .text').text
    assert "<script>alert(1)</script>" in text and '"><img src=x onerror=alert(2)>' in text
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.accept()
    forged: Any = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const csrf = document.querySelector('form.act-logout input[name=csrf]').value;
        const body = new URLSearchParams({post: 'saludo', digest: 'a'.repeat(64), csrf: csrf});
        fetch('/approve', {method: 'POST', body: body}).then(r => done(r.status), e => done(String(e)));
        """
    )
    assert forged == 403
    status = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('/api/status').then(r => r.json()).then(d => done(d.posts[0].state), e => done(String(e)));"
    )
    assert status == "awaiting approval" or status == "scheduled"
    if "--database-url" not in served.store_args:  # `approve` writes to the state folder's SQLite outbox
        preview = json.loads(campaign.command("preview", "--format", "json", "--state-dir", "state").stdout)
        (entry,) = preview["approval"]["entries"]
        approved = campaign.command("approve", "saludo", "--digest", entry["digest"], "--by", "Despacho")
        assert approved.returncode == 0, approved.stderr
        notice = driver.find_element(By.ID, "live-notice")
        wait_for(notice.is_displayed, 10, "the page to notice the new approval without a reload")
    driver.delete_all_cookies()
    driver.get(served.base + "/api/status")
    assert "sign in first" in driver.page_source
