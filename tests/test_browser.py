"""The HTML preview as a person sees it: the real CLI's page opened from disk in headless Chromium.

Checks what is visible and where (the thread's posts in order, the Facebook fold marker), that the page asks
the network for nothing, that it fits a phone's width, and takes desktop and phone screenshots (written to
$BROWSER_SCREENSHOT_DIR when set, otherwise to a pytest temporary folder; the path is printed).

Needs the Debian packages `chromium` and `chromium-driver`. Without them these tests are skipped, unless
REQUIRE_BROWSER=1 (as in .ci/run), which makes the missing browser a failure.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import threading
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from tests.helpers import ROOT, run_cli

if TYPE_CHECKING:
    from PIL import Image
    from selenium.webdriver import Chrome

    from tools.browser import Painted

pytestmark = pytest.mark.slow

NOW = "2027-07-01T12:00-05:00"
DESKTOP = (1280, 900)
PHONE = (390, 844)


def _no_browser(reason: str) -> NoReturn:
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def driver() -> Iterator[Chrome]:
    try:
        from tools import browser
    except ImportError as error:  # selenium or Pillow missing: the dev extras are not installed
        _no_browser(f"cannot import {error.name} ({error}); install with pip install -e '.[dev]'")
    binaries = browser.find_binaries()
    if binaries is None:
        _no_browser(browser.missing_reason())
    started = time.monotonic()
    with browser.chromium(binaries, record_network=True) as chrome:
        print(f"\nChromium started in {time.monotonic() - started:.2f} s")
        yield chrome


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("BROWSER_SCREENSHOT_DIR")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {folder}")
    return folder


# --- the page --------------------------------------------------------------------------------------------


def render(schedule: Path, out: Path, lang: str = "en") -> tuple[Path, dict[str, Any]]:
    """The HTML page (in `lang`) and the JSON plan of `schedule`, both from the real CLI."""
    page = out / "preview.html"
    result = run_cli(
        "preview", "--schedule", str(schedule), "--format", "html", "--output", str(page), "--now", NOW, "--lang", lang
    )
    assert result.returncode == 0, result.stderr
    assert page.is_file(), f"preview --output did not write {page}"
    plan = run_cli("preview", "--schedule", str(schedule), "--format", "json", "--now", NOW)
    assert plan.returncode == 0, plan.stderr
    return page, json.loads(plan.stdout)


def open_page(driver: Chrome, page: Path, size: tuple[int, int], *, mobile: bool = False) -> str:
    from tools import browser

    browser.set_viewport(driver, *size, mobile=mobile)
    url = browser.file_url(page)
    browser.open_page(driver, url)
    return url


def visible(element: Any) -> bool:
    rect = element.rect
    return bool(element.is_displayed()) and rect["width"] > 0 and rect["height"] > 0


def check_x_thread(driver: Chrome, post: dict[str, Any]) -> int:
    """The thread's posts are shown, one card per fragment, in order, top to bottom. Returns the count."""
    from selenium.webdriver.common.by import By

    selector = f'article.post.post-x[data-post="{post["id"]}"][data-account="{post["account"]}"]'
    articles = driver.find_elements(By.CSS_SELECTOR, selector)
    assert len(articles) == 1, f"expected one {selector}, found {len(articles)}"
    cards = articles[0].find_elements(By.CSS_SELECTOR, "ol.thread > li.fragment")
    fragments = post["fragments"]
    assert len(cards) == len(fragments), f"{post['id']}: {len(cards)} cards for {len(fragments)} fragments"
    tops: list[float] = []
    for number, (card, fragment) in enumerate(zip(cards, fragments, strict=True), start=1):
        assert card.get_attribute("data-index") == str(number)
        assert visible(card), f"{post['id']}: card {number} is not visible ({card.rect})"
        length = card.find_element(By.CSS_SELECTOR, ".length")
        assert visible(length), f"{post['id']}: the length of card {number} is not visible"
        assert length.text.strip() == f"{fragment['length']}/{fragment['limit']}"
        tops.append(card.rect["y"])
    assert all(a < b for a, b in pairwise(tops)), f"cards not top to bottom: {tops}"
    return len(cards)


def check_facebook(driver: Chrome, post: dict[str, Any], *, folded: bool | None, see_more: str = "See more") -> None:
    from selenium.webdriver.common.by import By

    selector = f'article.post.post-facebook[data-post="{post["id"]}"][data-account="{post["account"]}"]'
    articles = driver.find_elements(By.CSS_SELECTOR, selector)
    assert len(articles) == 1, f"expected one {selector}, found {len(articles)}"
    text = articles[0].find_element(By.CSS_SELECTOR, ".fb-text")
    assert visible(text)
    markers = articles[0].find_elements(By.CSS_SELECTOR, ".fold-marker")
    if folded:
        assert markers, f"{post['id']}: a long Facebook post has no fold marker"
        assert all(visible(marker) for marker in markers), f"{post['id']}: the fold marker is hidden"
        assert any(see_more in marker.text for marker in markers)
    elif folded is False:
        assert not markers, f"{post['id']}: a short Facebook post has a fold marker"


def check_media(driver: Chrome, post: dict[str, Any]) -> None:
    """The post's images under its first fragment only: visible, really decoded (the CSP lets data: images
    through), each with its alt text; no image elsewhere in the post."""
    from selenium.webdriver.common.by import By

    article = driver.find_element(
        By.CSS_SELECTOR, f'article.post[data-post="{post["id"]}"][data-account="{post["account"]}"]'
    )
    first = "li.fragment" if post["platform"] == "x" else ".fb-card"
    images = article.find_elements(By.CSS_SELECTOR, f'{first}[data-index="1"] .media img')
    assert len(article.find_elements(By.CSS_SELECTOR, "img")) == len(images) == len(post["media"]), post["id"]
    for image, media in zip(images, post["media"], strict=True):
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", image)
        assert visible(image), f"{post['id']}: {media['file']} is not visible ({image.rect})"
        assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth;", image) > 0, (
            f"{post['id']}: {media['file']} did not load"
        )
        assert image.get_attribute("alt") == media["alt"]
        assert (image.get_attribute("src") or "").startswith("data:image/")
        caption = image.find_element(By.XPATH, "following-sibling::figcaption")
        assert visible(caption) and media["alt"] in caption.text


def check_not_blank(shot: bytes, path: Path) -> Painted:
    from tools import browser

    painted = browser.painted(shot)
    assert painted.distinct_colours >= 16, f"{path}: only {painted.distinct_colours} colours"
    assert painted.non_background > 0.01, f"{path}: {painted.non_background:.2%} of the pixels are painted"
    return painted


OVERFLOWING_JS = """
const width = arguments[0], found = [];
const sticksOut = (element) => element && element.getBoundingClientRect().right > width + 1;
for (const element of document.body.querySelectorAll('*')) {
  const box = element.getBoundingClientRect();
  if (sticksOut(element) && !sticksOut(element.parentElement))
    found.push(`${element.tagName.toLowerCase()}.${element.className} (right edge at ${Math.round(box.right)} px)`);
}
return found.slice(0, 5);
"""


def overflowing(driver: Chrome, width: int) -> list[str]:
    """The outermost elements that stick out past the right edge of a screen `width` pixels wide."""
    return list(driver.execute_script(OVERFLOWING_JS, width))


def take_screenshots(driver: Chrome, page: Path, folder: Path, name: str) -> None:
    """Full-page screenshots at desktop and phone widths, not blank, and no sideways scrolling on a phone."""
    from tools import browser

    for label, size, mobile in (("desktop", DESKTOP, False), ("phone", PHONE, True)):
        open_page(driver, page, size, mobile=mobile)
        width = driver.execute_script("return window.innerWidth;")
        assert width == size[0], (
            f"{label}: the page is laid out {width} px wide on a {size[0]} px screen (no <meta name=viewport>,"
            f" or content wider than the screen: {overflowing(driver, size[0])})"
        )
        scroll_width, _ = browser.document_size(driver)
        assert scroll_width <= width + 1, (
            f"{label}: the page scrolls sideways ({scroll_width} > {width} px): {overflowing(driver, width)}"
        )
        shot = browser.screenshot(driver, fast=True)
        path = folder / f"{name}-{label}.png"
        path.write_bytes(shot)
        painted = check_not_blank(shot, path)
        assert painted.width == size[0]
        print(f"{path}: {painted.width}x{painted.height}, {painted.non_background:.1%} painted")


def check_page(driver: Chrome, page: Path, plan: dict[str, Any], folder: Path, name: str, lang: str = "en") -> None:
    from selenium.webdriver.common.by import By

    from tools import browser

    url = open_page(driver, page, DESKTOP)
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    summary = driver.find_elements(By.CSS_SELECTOR, "section.summary")
    assert len(summary) == 1 and visible(summary[0])
    days = driver.find_elements(By.CSS_SELECTOR, "section.day")
    assert days, "no section.day"
    for day in days:
        assert visible(day.find_element(By.CSS_SELECTOR, "h2"))

    fragments = 0
    for post in plan["posts"]:
        if post["platform"] == "x":
            fragments += check_x_thread(driver, post)
        else:
            # Facebook folds somewhere after a few hundred characters (the page marks about 477): clearly long
            # posts must show the marker, a one-liner must not; in between the page decides.
            length = sum(len(f["text"]) for f in post["fragments"])
            folded = True if length > 800 else False if length < 125 else None
            check_facebook(driver, post, folded=folded, see_more="Ver más" if lang == "es" else "See more")
    x_fragments = sum(len(p["fragments"]) for p in plan["posts"] if p["platform"] == "x")
    assert fragments == x_fragments > 0
    for post in plan["posts"]:
        check_media(driver, post)

    take_screenshots(driver, page, folder, name)
    requests = browser.page_requests(driver)
    assert url in requests, f"the detector did not even see the page load: {requests}"
    strays = [r for r in requests if r != url and not r.startswith("data:")]
    assert not strays, f"the page made requests: {strays}"


@pytest.mark.parametrize("lang", ["en", "es"])
def test_committed_campaign_page_in_a_browser(driver: Chrome, shots_dir: Path, tmp_path: Path, lang: str) -> None:
    page, plan = render(ROOT / "schedule.yaml", tmp_path, lang)
    assert any(p["platform"] == "facebook" for p in plan["posts"])
    assert all(p["media"] for p in plan["posts"]), "the committed campaign shows its image on every post"
    if lang == "es":  # the page's own words and dates in Spanish (the campaign says `language: es`)
        html = page.read_text(encoding="utf-8")
        assert "miércoles, 28 de julio de 2027" in html and "Resumen" in html
    check_page(driver, page, plan, shots_dir, f"committed-{lang}", lang)


LONG_MESSAGE = "\n\n".join(
    [
        "Queridos compatriotas en el exterior: hoy celebramos un nuevo aniversario de nuestra independencia, "
        "y quiero llegar con este saludo a cada peruano y peruana que vive lejos de su tierra.",
        "Ustedes llevan el nombre del Perú a más de cien países. Con su trabajo, su talento y su cariño por "
        "nuestra cultura, son la mejor imagen del país. La Cancillería está a su lado en cada consulado.",
        "Este año ampliamos los servicios consulares en línea: pasaportes, partidas y poderes se tramitan "
        "ahora sin largas esperas. Encuentren toda la información en https://www.gob.pe/rree #FiestasPatrias",
        "Quiero agradecer también a las asociaciones de peruanos, a los voluntarios y a los consejos de "
        "consulta, que en estos días organizan misas, ferias y desfiles para que nadie pase solo esta fecha.",
        "Les deseo unas felices Fiestas Patrias en compañía de sus familias. ¡Viva el Perú!",
    ]
)


def test_a_second_campaign_over_two_days(driver: Chrome, shots_dir: Path, tmp_path: Path) -> None:
    """An X thread with its long Facebook twin on one day, a short Facebook greeting (no fold) the next."""
    (tmp_path / "messages").mkdir()
    (tmp_path / "messages" / "largo.txt").write_text(LONG_MESSAGE + "\n", encoding="utf-8")
    (tmp_path / "messages" / "corto.txt").write_text("¡Felices Fiestas Patrias, compatriotas!\n", encoding="utf-8")
    (tmp_path / "schedule.yaml").write_text(
        "timezone: America/Lima\n"
        "accounts:\n"
        "  embajada_x: {platform: x, handle: EmbajadaPeru, credentials: EMBAJADA_X}\n"
        '  embajada_fb: {platform: facebook, page_id: "987654321", credentials: EMBAJADA_FB}\n'
        "posts:\n"
        "  - {id: saludo-largo, message: messages/largo.txt, at: 2027-07-28 08:00, to: [embajada_x, embajada_fb]}\n"
        "  - {id: saludo-corto, message: messages/corto.txt, at: 2027-07-29 09:30, to: [embajada_fb]}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    out.mkdir()
    page, plan = render(tmp_path / "schedule.yaml", out)
    thread = [p for p in plan["posts"] if p["platform"] == "x"]
    assert len(thread) == 1 and len(thread[0]["fragments"]) >= 3
    check_page(driver, page, plan, shots_dir, "two-days")

    from selenium.webdriver.common.by import By

    assert len(driver.find_elements(By.CSS_SELECTOR, "section.day")) == 2


# --- the checks themselves can fail ------------------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    paths: list[str]

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[str]]]:
    """A tiny HTTP server on 127.0.0.1: its base URL and the paths it was asked for."""
    paths: list[str] = []
    handler = type("Handler", (_Recorder,), {"paths": paths})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize("csp", [False, True], ids=["plain", "blocked-by-csp"])
def test_the_request_detector_sees_a_request_leave_the_page(
    driver: Chrome, local_server: tuple[str, list[str]], tmp_path: Path, csp: bool
) -> None:
    """Negative control: a page that fetches an image from a local server is reported, even when the page's
    own Content Security Policy blocks the fetch (the page still tried, which is what the check is about)."""
    from tools import browser

    base, served = local_server
    policy = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">' if csp else ""
    page = tmp_path / "leak.html"
    page.write_text(f'<!doctype html><html><head>{policy}</head><body><img src="{base}/x.png"></body></html>')
    url = open_page(driver, page, DESKTOP)
    requests = browser.page_requests(driver)
    assert url in requests
    assert f"{base}/x.png" in requests, f"the detector missed the request: {requests}"
    assert served == ([] if csp else ["/x.png"])


def test_the_blank_check_fails_on_a_blank_page(driver: Chrome, tmp_path: Path) -> None:
    from tools import browser

    page = tmp_path / "blank.html"
    page.write_text("<!doctype html><html><body style='background:#fff'></body></html>")
    open_page(driver, page, PHONE)
    with pytest.raises(AssertionError, match=r"colours|painted"):
        check_not_blank(browser.screenshot(driver), page)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_the_blank_check_counts_the_painted_pixels() -> None:
    """painted() on pictures whose answer is known: a flat one, and one with a red block on white."""
    try:
        from PIL import Image

        from tools import browser
    except ImportError as error:
        _no_browser(f"cannot import {error.name} ({error}); install with pip install -e '.[dev]'")
    flat = Image.new("RGB", (9, 20), (250, 250, 250))
    assert browser.painted(_png(flat)) == browser.Painted(9, 20, 1, 0.0)
    page = Image.new("RGBA", (100, 50), (255, 255, 255, 255))
    page.paste((200, 16, 46, 255), (10, 10, 30, 20))  # 20 x 10 pixels
    page.putpixel((99, 49), (255, 255, 255, 128))  # the same white, half transparent: another colour
    painted = browser.painted(_png(page))
    assert (painted.width, painted.height, painted.distinct_colours) == (100, 50, 3)
    assert painted.non_background == pytest.approx(201 / 5000)
