"""`preview --format html`: the page's structure, escaping, fold, links, outbox states and the command."""

from __future__ import annotations

import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from bot.html import FACEBOOK_FOLD_CHARS, read_outbox, render_html
from bot.html.command import build_page
from bot.html.text import fold_offset
from bot.model import Plan, Post, Schedule
from bot.services.campaign import load_campaign
from bot.store.sqlite import SqliteOutbox
from bot.store.sqlite_schema import SCHEMA_VERSION
from tests.helpers import DATA, ROOT, run_cli, text_only_campaign

NOW = datetime(2027, 7, 1, 12, 0, tzinfo=UTC)
NOW_ARG = "2027-07-01T07:00:00-05:00"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

PARAGRAPH = (
    "Es muy grato para mí poder dirigirme a todos los peruanos que viven en el extranjero en esta fecha tan "
    "significativa. La ocasión me permite saludarlos afectuosamente y expresarles todo nuestro reconocimiento."
)
MESSAGE = (
    "Mensaje del Canciller por Fiestas Patrias\n\nEstimados compatriotas,\n\n"
    + f"{PARAGRAPH} Más información en https://www.gob.pe/rree y en rree.gob.pe.\n\n"
    + f"{PARAGRAPH} Síganos en @CancilleriaPeru con #FiestasPatrias.\n"
    + "Segunda línea del mismo párrafo.\n\n"
    + PARAGRAPH
    + "\n\n¡Qué viva el Perú!\n"
)
SHORT = "¡Felices Fiestas Patrias a todos los peruanos en el exterior!\n"

ACCOUNTS = """timezone: America/Lima
accounts:
  cx: {platform: x, handle: CancilleriaPeru, credentials: CX, name: "Cancillería del Perú"}
  cfb: {platform: facebook, page_id: "123456789012345", credentials: CFB, name: "Cancillería del Perú"}
"""
POSTS = """posts:
  - {id: mensaje, message: messages/m.txt, at: "2027-07-28 08:00", to: [cx, cfb], every: 2m}
  - {id: saludo, message: messages/s.txt, at: "2027-07-29 09:30", to: [cx, cfb]}
"""


# -- a small DOM built with the standard library's parser ------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        return [e for e in self.iter() if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)]

    def one(self, tag: str | None = None, cls: str | None = None) -> Element:
        found = self.all(tag, cls)
        assert len(found) == 1, f"{len(found)} <{tag} class={cls}> elements"
        return found[0]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class Collector(HTMLParser):
    """Builds the tree; records every end tag that does not close the element it should (broken markup)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]
        self.mismatches: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {name: value or "" for name, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if self.stack[-1].tag != tag:
            self.mismatches.append(f"</{tag}> closes <{self.stack[-1].tag}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Element:
    collector = Collector()
    collector.feed(page)
    collector.close()
    assert collector.doctype.lower() == "doctype html"
    assert collector.mismatches == [] and collector.stack == [collector.root], collector.mismatches
    return collector.root


def facebook_text(fb_text: Element) -> tuple[str, str | None]:
    """The text of a <div class="fb-text"> (paragraphs joined by a blank line, <br> as a newline), and the part
    before the fold marker (None without one). The marker's own words are not part of the message."""
    out: list[str] = []
    before: list[str | None] = [None]

    def walk(element: Element) -> None:
        for child in element.children:
            if isinstance(child, str):
                out.append(child)
            elif "fold-marker" in child.classes:
                before[0] = "".join(out)
            elif child.tag == "br":
                out.append("\n")
            else:
                walk(child)

    for index, paragraph in enumerate(fb_text.all("p")):
        if index:
            out.append("\n\n")
        walk(paragraph)
    return "".join(out), before[0]


def paragraphs_normalised(text: str) -> str:
    return re.sub(r"\n\s*\n", "\n\n", text.strip())


# -- building plans from small campaigns -----------------------------------------------------------------


def write_campaign(folder: Path, message: str = MESSAGE, short: str = SHORT, accounts: str = ACCOUNTS) -> Path:
    (folder / "messages").mkdir(parents=True, exist_ok=True)
    (folder / "messages" / "m.txt").write_text(message, encoding="utf-8")
    (folder / "messages" / "s.txt").write_text(short, encoding="utf-8")
    (folder / "schedule.yaml").write_text(accounts + POSTS, encoding="utf-8")
    return folder / "schedule.yaml"


def plan_of(schedule: Path, now: datetime = NOW) -> Plan:
    _, plan, problems = load_campaign(schedule, now)
    assert plan is not None, [p.format() for p in problems]
    return plan


def articles(root: Element) -> dict[tuple[str, str], Element]:
    return {(a.attrs["data-post"], a.attrs["data-account"]): a for a in root.all("article")}


# -- structure ---------------------------------------------------------------------------------------------


def test_page_has_summary_then_a_section_per_day_with_an_article_per_post(tmp_path: Path) -> None:
    plan = plan_of(write_campaign(tmp_path))
    page = render_html(plan, "schedule.yaml")
    root = parse(page)

    html_element = root.one("html")
    assert html_element.attrs["lang"] == "en"
    metas = root.all("meta")
    assert {"charset": "utf-8"} in [m.attrs for m in metas]
    csp = next(m for m in metas if m.attrs.get("http-equiv") == "Content-Security-Policy")
    assert csp.attrs["content"] == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    assert any(m.attrs.get("name") == "viewport" and "width=device-width" in m.attrs["content"] for m in metas)
    assert len(root.all("h1")) == 1

    sections = root.all("section")
    assert "summary" in sections[0].classes
    days = [s for s in sections if "day" in s.classes]
    assert [d.one("h2").text() for d in days] == ["Wednesday 28 July 2027", "Thursday 29 July 2027"]
    # every post is in its day's section, in plan order, with its platform's class
    keys = [[(a.attrs["data-post"], a.attrs["data-account"]) for a in d.all("article")] for d in days]
    assert keys == [[("mensaje", "cfb"), ("mensaje", "cx")], [("saludo", "cfb"), ("saludo", "cx")]]
    assert [p.key for p in plan.posts] == keys[0] + keys[1]
    for post in plan.posts:
        article = articles(root)[post.key]
        assert article.classes == {"post", f"post-{post.account.platform}"}
    assert "08:00" in days[0].one("h3").text() and "13:00 UTC" in days[0].one("h3").text()
    titles = {key: " ".join(articles(root)[key].one("h4").text().split()) for key in keys[0] + keys[1]}
    fragments = len(_by_key(plan, ("mensaje", "cx")).fragments)
    assert titles == {
        ("mensaje", "cx"): f"X thread of {fragments} posts cx",
        ("mensaje", "cfb"): "Facebook Page post cfb",
        ("saludo", "cx"): "X post cx",
        ("saludo", "cfb"): "Facebook Page post cfb",
    }


def test_x_thread_shows_each_fragment_in_order_with_its_length_once(tmp_path: Path) -> None:
    plan = plan_of(write_campaign(tmp_path))
    root = parse(render_html(plan, "schedule.yaml"))
    x_text = "".join(a.text() for a in root.all("article", "post-x"))  # Facebook posts hold the same words
    for post in plan.posts:
        if post.account.platform != "x":
            continue
        article = articles(root)[post.key]
        items = article.one("ol", "thread").all("li")
        assert [li.attrs["data-index"] for li in items] == [str(f.index) for f in post.fragments]
        assert all(li.classes == {"fragment"} for li in items)
        for li, fragment in zip(items, post.fragments, strict=True):
            assert li.one("p", "text").text() == fragment.text
            assert li.one("p", "text").attrs["lang"] == "es"
            assert x_text.count(fragment.text) == 1
            length = li.one("span", "length")
            assert length.text() == f"{fragment.length}/{fragment.limit}"
            assert "over" not in length.classes
        assert "Cancillería del Perú" in items[0].one(cls="name").text()
        assert items[0].one(cls="handle").text() == "@CancilleriaPeru"
    thread = articles(root)[("mensaje", "cx")].all("li")
    assert len(thread) > 2, "the test message should make a thread"


def test_spread_thread_shows_the_time_between_fragments(tmp_path: Path) -> None:
    plan = plan_of(write_campaign(tmp_path))
    root = parse(render_html(plan, "schedule.yaml"))
    items = articles(root)[("mensaje", "cx")].all("li")
    assert items[0].all(cls="gap") == []
    assert items[1].one(cls="gap").text().startswith("08:02 · 2 min after the previous post")
    assert items[2].one(cls="gap").text().startswith("08:04")
    time = items[1].one(cls="who").one("time")
    assert (time.text(), time.attrs["title"]) == ("08:02", "2027-07-28 13:02 UTC")
    unspread = articles(root)[("saludo", "cx")]
    assert unspread.all(cls="gap") == []


def test_length_beyond_the_limit_is_marked(tmp_path: Path) -> None:
    plan = plan_of(write_campaign(tmp_path))
    post = next(p for p in plan.posts if p.key == ("saludo", "cx"))
    too_long = replace(post, fragments=(replace(post.fragments[0], length=291),))
    plan = replace(plan, posts=tuple(too_long if p is post else p for p in plan.posts))
    root = parse(render_html(plan, "schedule.yaml"))
    over = [e for e in root.all("span", "length") if "over" in e.classes]
    assert [e.text() for e in over] == ["291/280"]


# -- Facebook --------------------------------------------------------------------------------------------


def test_facebook_post_keeps_paragraphs_and_marks_the_fold_at_a_word_end(tmp_path: Path) -> None:
    plan = plan_of(write_campaign(tmp_path))
    root = parse(render_html(plan, "schedule.yaml"))
    (fragment,) = next(p for p in plan.posts if p.key == ("mensaje", "cfb")).fragments
    assert len(fragment.text) > FACEBOOK_FOLD_CHARS
    article = articles(root)[("mensaje", "cfb")]
    assert article.one(cls="name").text() == "Cancillería del Perú"
    fb_text = article.one("div", "fb-text")
    assert fb_text.attrs["lang"] == "es"
    assert len(fb_text.all("p")) == 6 and len(fb_text.all("br")) == 1
    marker = fb_text.one("span", "fold-marker")
    assert "See more" in marker.text() and "Facebook folds here" in marker.text()

    shown, before = facebook_text(fb_text)
    assert shown == paragraphs_normalised(fragment.text)
    assert before is not None and 0 < len(before) <= FACEBOOK_FOLD_CHARS
    assert shown.startswith(before) and not before[-1].isspace() and shown[len(before)].isspace()
    # the last word that fits: the next one would end after the threshold
    following = re.match(r"\s+\S+", shown[len(before) :])
    assert following is not None and len(before) + following.end() > FACEBOOK_FOLD_CHARS


def test_short_facebook_post_has_no_fold(tmp_path: Path) -> None:
    plan = plan_of(write_campaign(tmp_path))
    root = parse(render_html(plan, "schedule.yaml"))
    article = articles(root)[("saludo", "cfb")]
    assert article.all(cls="fold-marker") == []
    assert facebook_text(article.one("div", "fb-text")) == (SHORT.strip(), None)


def test_fold_offset_threshold_and_long_words() -> None:
    assert fold_offset("a" * FACEBOOK_FOLD_CHARS) is None
    text = "palabra " * 100
    cut = fold_offset(text)
    assert cut is not None and cut <= FACEBOOK_FOLD_CHARS and text[cut] == " " and text[cut - 1] == "a"
    assert fold_offset("x" * 600) == FACEBOOK_FOLD_CHARS  # no space at all: cut at the threshold
    url = "https://www.gob.pe/institucion/rree/noticias/" + "a" * 40
    linked = "palabra " * 55 + url + " fin"
    assert fold_offset(linked) == len("palabra " * 55) - 1  # before the URL, never inside it


def test_fold_never_splits_a_link(tmp_path: Path) -> None:
    url = "https://www.gob.pe/institucion/rree/noticias/fiestas-patrias-2027"
    message = "palabra " * 55 + url + " y más texto para que el mensaje sea largo.\n"
    plan = plan_of(write_campaign(tmp_path, message=message))
    root = parse(render_html(plan, "schedule.yaml"))
    fb_text = articles(root)[("mensaje", "cfb")].one("div", "fb-text")
    (link,) = fb_text.all("a")
    assert (link.text(), link.attrs["href"]) == (url, url)
    _, before = facebook_text(fb_text)
    assert before is not None and before.endswith("palabra")


# -- escaping and offline --------------------------------------------------------------------------------


def test_hostile_text_and_names_are_shown_as_text(tmp_path: Path) -> None:
    hostile = 'Hola <script>alert("x")</script> & "comillas" \'simples\' <img src=x onerror=alert(1)> fin.\n'
    name = '"><img src=x onerror=alert(1)>'
    accounts = ACCOUNTS.replace('name: "Cancillería del Perú"}', f"name: '{name}'}}")
    plan = plan_of(write_campaign(tmp_path, message=hostile, short=hostile, accounts=accounts))
    page = render_html(plan, 'schedule "<b>".yaml')
    root = parse(page)

    assert "<script" not in page.lower() and "<img" not in page.lower() and "<b>" not in page
    assert not [e for e in root.iter() if e.tag in {"script", "img", "iframe", "object", "embed", "b"}]
    assert {e.tag for e in root.iter()} <= {
        "#document", "html", "head", "meta", "title", "style", "body", "main", "header", "p", "strong", "time",
        "section", "h1", "h2", "h3", "h4", "ul", "li", "span", "code", "div", "table", "caption", "thead", "tbody",
        "tr", "th", "td", "article", "ol", "br", "a", "footer",
    }  # fmt: skip
    texts = [p.text() for p in root.all("p", "text")]
    assert texts == [hostile.strip(), hostile.strip()]
    assert facebook_text(articles(root)[("mensaje", "cfb")].one("div", "fb-text"))[0] == hostile.strip()
    assert [e.text() for e in root.all("p", "name")] == [name, name]
    assert root.one("h1").text() == 'Campaign preview: schedule "<b>".yaml'
    for element in root.iter():
        assert not any(attr.startswith("on") for attr in element.attrs)


def test_links_hashtags_and_mentions_and_nothing_external(tmp_path: Path) -> None:
    plan = plan_of(write_campaign(tmp_path))
    page = render_html(plan, "schedule.yaml")
    root = parse(page)
    message_links = {"https://www.gob.pe/rree", "https://rree.gob.pe"}

    for article in root.all("article"):
        assert {a.attrs["href"] for a in article.all("a")} <= message_links
    x_post = articles(root)[("mensaje", "cx")]
    assert {a.attrs["href"] for a in x_post.all("a", "url")} == message_links
    assert [s.text() for s in x_post.all("span", "hashtag")] == ["#FiestasPatrias"]
    assert [s.text() for s in x_post.all("span", "mention")] == ["@CancilleriaPeru"]
    fb_post = articles(root)[("mensaje", "cfb")]
    assert [s.text() for s in fb_post.all("span", "hashtag")] == ["#FiestasPatrias"]
    assert fb_post.all("span", "mention") == []  # a Page post's "@name" is not a link

    for element in root.iter():
        for attr in ("src", "href", "action", "srcset", "poster", "data"):
            value = element.attrs.get(attr)
            assert value is None or value.startswith("#") or value in message_links, (element.tag, value)
    assert not root.all("link") and not root.all("script")
    css = root.one("style").text()
    assert "@import" not in css and "url(" not in css
    assert "@media print" in css and "@media (max-width" in css and "break-inside: avoid" in css


# -- warnings, counts and costs --------------------------------------------------------------------------


def test_warnings_where_they_apply_and_in_the_summary_with_counts(tmp_path: Path) -> None:
    schedule = write_campaign(tmp_path)
    plan = plan_of(schedule, now=datetime(2027, 7, 29, 12, tzinfo=UTC))  # 'mensaje' is then in the past
    root = parse(render_html(plan, "schedule.yaml"))

    for post in plan.posts:
        shown = [li.text() for li in articles(root)[post.key].all("li", "warning")]
        assert len(shown) == len(post.warnings)
        assert all(w.message in text for w, text in zip(post.warnings, shown, strict=True))
    summary = root.one("section", "summary")
    summary_warnings = summary.all("li", "warning")
    assert len(summary_warnings) == sum(len(p.warnings) for p in plan.posts) == 2
    anchors = {a.attrs["href"] for li in summary_warnings for a in li.all("a")}
    assert anchors == {f"#{a.attrs['id']}" for a in root.all("article") if a.attrs["data-post"] == "mensaje"}

    rows = {
        tr.one("span", "account-name").text(): [td.text() for td in tr.all("td")]
        for tr in summary.one("tbody").all("tr")
    }
    x_fragments = [f for p in plan.posts if p.account.name == "cx" for f in p.fragments]
    # pay-per-use: US$0.015 a post, US$0.20 for a post with a link
    cost_x = sum(0.20 if "gob.pe" in f.text else 0.015 for f in x_fragments)
    assert rows["cx"] == ["X", "2", str(len(x_fragments)), "1", f"US${cost_x:.3f}"]
    assert rows["cfb"] == ["Facebook", "2", "2", "1", "not billed"]
    stats = {li.one(cls="stat-label").text(): li.one(cls="stat-value").text() for li in summary.all("li", "stat")}
    assert stats["warnings"] == "2" and stats["posts"] == "4"
    assert stats["estimated X cost"] == f"US${cost_x:.2f}"


# -- the outbox ------------------------------------------------------------------------------------------


def _by_key(plan: Plan, key: tuple[str, str]) -> Post:
    return next(p for p in plan.posts if p.key == key)


def test_outbox_state_sent_links_failure_reasons_and_holds(tmp_path: Path) -> None:
    schedule = write_campaign(tmp_path / "c")
    plan = plan_of(schedule)
    state = tmp_path / "state"
    outbox = SqliteOutbox.open(state)
    thread, fb = _by_key(plan, ("mensaje", "cx")), _by_key(plan, ("mensaje", "cfb"))
    outbox.freeze(thread, NOW)
    outbox.freeze(fb, NOW)
    outbox.mark_sending("mensaje", "cx", 1, NOW)
    outbox.mark_sent("mensaje", "cx", 1, "101", 'https://x.com/CancilleriaPeru/status/101?a="b"', NOW)
    outbox.mark_sending("mensaje", "cx", 2, NOW)
    outbox.mark_failed("mensaje", "cx", 2, "rejected by x: <duplicate> content", NOW)
    outbox.mark_sending("mensaje", "cfb", 1, NOW)
    outbox.mark_unknown("mensaje", "cfb", 1, "timeout, and the lookup failed", NOW)
    outbox.hold("cfb", "fix CFB_PAGE_TOKEN (expired)", NOW)
    outbox.close()

    root = parse(build_page(schedule_of(schedule), plan, "schedule.yaml", state, NOW))
    assert "mode-outbox" in root.one("p", "mode").classes
    items = articles(root)[("mensaje", "cx")].all("li")
    sent = items[0].one("span", "state")
    assert "state-sent" in sent.classes
    (link,) = sent.all("a")
    assert link.attrs["href"] == link.text() == 'https://x.com/CancilleriaPeru/status/101?a="b"'
    failed = items[1].one("span", "state")
    assert "state-failed" in failed.classes and "rejected by x: <duplicate> content" in failed.text()
    assert all("state-pending" in li.one("span", "state").classes for li in items[2:])
    unknown = articles(root)[("mensaje", "cfb")].one("div", "fb-card").one("span", "state")
    assert "state-unknown" in unknown.classes and "the lookup failed" in unknown.text()
    head = articles(root)[("mensaje", "cx")].one("header")
    assert "state-failed" in head.one("span", "state").classes
    assert "resume mensaje --account cx" in head.text()
    assert "state-scheduled" in articles(root)[("saludo", "cx")].one("header").one("span", "state").classes
    held = root.one("section", "summary").one("span", "state-held")
    assert "fix CFB_PAGE_TOKEN (expired)" in held.text()
    # the page shows the outbox; the only other links are the message's own
    hrefs = {a.attrs["href"] for a in root.all("a") if not a.attrs["href"].startswith("#")}
    assert hrefs == {'https://x.com/CancilleriaPeru/status/101?a="b"', "https://www.gob.pe/rree", "https://rree.gob.pe"}


def schedule_of(schedule_path: Path) -> Schedule:
    schedule, _, _ = load_campaign(schedule_path, NOW)
    assert schedule is not None
    return schedule


def test_without_an_outbox_the_page_is_the_plan_and_nothing_is_created(tmp_path: Path) -> None:
    schedule = write_campaign(tmp_path / "c")
    plan = plan_of(schedule)
    root = parse(build_page(schedule_of(schedule), plan, "schedule.yaml", tmp_path / "state", NOW))
    mode = root.one("p", "mode")
    assert "mode-plan" in mode.classes and "no outbox" in mode.text()
    assert root.all(cls="state") == []
    assert not (tmp_path / "state").exists()


def test_removed_posts_of_the_outbox_are_listed(tmp_path: Path) -> None:
    schedule = write_campaign(tmp_path / "c")
    plan = plan_of(schedule)
    outbox = SqliteOutbox.open(tmp_path / "state")
    gone = replace(_by_key(plan, ("saludo", "cx")), id="retirado")
    outbox.freeze(gone, NOW)
    view = read_outbox(plan, outbox, "state", NOW)
    outbox.close()
    root = parse(render_html(plan, "schedule.yaml", view))
    (item,) = root.one("ul", "removed").all("li")
    assert "retirado → cx" in item.text() and "state-removed" in item.one("span").classes


def test_message_front_matter_lang_is_used(tmp_path: Path) -> None:
    schedule = write_campaign(tmp_path, short="---\nlang: qu\n---\nAllin p'unchaw, llaqtamasikuna!\n")
    plan = plan_of(schedule)
    root = parse(build_page(schedule_of(schedule), plan, "schedule.yaml", tmp_path / "state", NOW))
    assert articles(root)[("saludo", "cfb")].one("div", "fb-text").attrs["lang"] == "qu"
    assert {p.attrs["lang"] for p in articles(root)[("saludo", "cx")].all("p", "text")} == {"qu"}
    assert {p.attrs["lang"] for p in articles(root)[("mensaje", "cx")].all("p", "text")} == {"es"}


# -- the command -----------------------------------------------------------------------------------------


def test_committed_campaign_renders_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "preview.html"
    state = tmp_path / "no-state"
    result = run_cli("preview", "--format", "html", "--output", str(out), "--now", NOW_ARG, "--state-dir", str(state))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    plan = plan_of(ROOT / "schedule.yaml")
    fragments = sum(len(p.fragments) for p in plan.posts)
    assert result.stderr == f"wrote {out} ({fragments} fragments, {len(plan.posts)} posts)\n"
    assert not state.exists()
    root = parse(out.read_text(encoding="utf-8"))
    x_post = articles(root)[("mensaje-fiestas-patrias", "cancilleria_x")]
    x_plan = _by_key(plan, ("mensaje-fiestas-patrias", "cancilleria_x"))
    assert [p.text() for p in x_post.all("p", "text")] == [f.text for f in x_plan.fragments]
    fb_text = articles(root)[("mensaje-fiestas-patrias", "cancilleria_fb")].one("div", "fb-text")
    shown, before = facebook_text(fb_text)
    assert shown == paragraphs_normalised(
        _by_key(plan, ("mensaje-fiestas-patrias", "cancilleria_fb")).fragments[0].text
    )
    assert before is not None and before.endswith("buscando")


def test_html_to_stdout_and_open_only_with_html(tmp_path: Path) -> None:
    result = run_cli("preview", "--format", "html", "--now", NOW_ARG, "--state-dir", str(tmp_path / "s"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>") and result.stderr == ""
    as_json = run_cli("preview", "--format", "json", "--state-dir", str(tmp_path / "s"))  # approvals come from it
    assert as_json.returncode == 0 and not (tmp_path / "s").exists()  # read only: never created
    wrong = run_cli("preview", "--format", "json", "--open")
    assert (wrong.returncode, wrong.stderr) == (2, "error: --open goes with --format html\n")


def test_output_into_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "nope" / "preview.html"
    result = run_cli("preview", "--format", "html", "--output", str(out), "--state-dir", str(tmp_path / "s"))
    assert result.returncode == 2
    assert f"error: cannot write {out}: the folder {out.parent} does not exist" in result.stderr
    assert not out.parent.exists()


def test_bad_schedule_exits_2_with_the_same_problems_as_the_text_preview() -> None:
    bad = str(DATA / "bad" / "03-unknown-key.yaml")
    html_result = run_cli("preview", "--format", "html", "--schedule", bad, "--output", "/nonexistent/x.html")
    text_result = run_cli("preview", "--schedule", bad)
    assert html_result.returncode == text_result.returncode == 2
    assert html_result.stderr == text_result.stderr
    assert re.search(r"03-unknown-key\.yaml:\d+:\d+: error: ", html_result.stderr)


def test_outbox_from_a_newer_bot_is_an_error_as_in_status(tmp_path: Path) -> None:
    state = tmp_path / "state"
    SqliteOutbox.open(state).close()
    with sqlite3.connect(state / "outbox.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    result = run_cli("preview", "--format", "html", "--state-dir", str(state), "--output", str(tmp_path / "p.html"))
    assert result.returncode == 1
    assert "newer than this bot" in result.stderr and not (tmp_path / "p.html").exists()


def _fake_browser(tmp_path: Path) -> tuple[Path, Path]:
    record = tmp_path / "opened.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(
        f"#!{sys.executable}\nimport sys, pathlib\npathlib.Path({str(record)!r}).write_text(sys.argv[1])\n",
        encoding="utf-8",
    )
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    return browser, record


def test_open_writes_the_page_and_opens_it_in_the_browser(tmp_path: Path) -> None:
    browser, record = _fake_browser(tmp_path)
    out = tmp_path / "preview.html"
    env = {"BROWSER": str(browser), "DISPLAY": ""}
    result = run_cli("preview", "--output", str(out), "--open", "--state-dir", str(tmp_path / "s"), env=env)
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")  # --open implies --format html
    assert record.read_text(encoding="utf-8") == out.resolve().as_uri()


def test_open_without_output_uses_a_temporary_file(tmp_path: Path) -> None:
    browser, record = _fake_browser(tmp_path)
    result = run_cli(
        "preview", "--format", "html", "--open", "--state-dir", str(tmp_path / "s"), env={"BROWSER": str(browser)}
    )
    assert result.returncode == 0, result.stderr
    receipt = re.match(r"wrote (\S+\.html) \(", result.stderr)
    assert receipt is not None, result.stderr
    written = Path(receipt.group(1))
    try:
        assert record.read_text(encoding="utf-8") == written.resolve().as_uri()
        assert "<article" in written.read_text(encoding="utf-8")
    finally:
        written.unlink()


def test_html_preview_does_not_import_network_libraries(tmp_path: Path) -> None:
    """Nor Pillow, for a campaign without images."""
    schedule = str(text_only_campaign(tmp_path))
    code = (
        "import sys\n"
        "from bot.commands import main\n"
        f"assert main(['preview', '--schedule', {schedule!r}, '--format', 'html', '--output', "
        f"{str(tmp_path / 'p.html')!r}]) == 0\n"
        "forbidden = {'tweepy', 'facebook', 'apscheduler', 'requests', 'apprise', 'psycopg', 'PIL'}\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & forbidden)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stderr


def test_fragment_times_on_a_later_day_carry_the_date(tmp_path: Path) -> None:
    schedule = write_campaign(tmp_path)
    schedule.write_text(
        schedule.read_text(encoding="utf-8").replace(
            '"2027-07-28 08:00", to: [cx, cfb], every: 2m', '"2027-07-28 23:58", to: [cx], every: 1m'
        ),
        encoding="utf-8",
    )
    plan = plan_of(schedule)
    root = parse(render_html(plan, "schedule.yaml"))
    times = [li.one(cls="who").one("time").text() for li in articles(root)[("mensaje", "cx")].all("li")]
    assert times[:3] == ["23:58", "23:59", "Thu 29 Jul 00:00"]


def test_a_mid_phrase_break_is_warned_on_its_post_and_in_the_summary(tmp_path: Path) -> None:
    run_on = " y ".join(["los peruanos que viven en el exterior junto a sus familias en todo el Perú"] * 4) + ".\n"
    plan = plan_of(write_campaign(tmp_path, message=run_on))
    post = next(p for p in plan.posts if p.id == "mensaje" and p.account.name == "cx")
    first = post.fragments[0].text.removesuffix(" 1/2")
    root = parse(render_html(plan, "schedule.yaml"))
    (shown,) = articles(root)[post.key].all("li", "warning-mid-phrase")
    last_words = " ".join(first.split()[-6:])
    assert shown.text().startswith(
        f"Ends mid-phrase: fragment 1/2 ends mid-phrase, at a plain space: '...{last_words}'"
    )
    (listed,) = root.one("section", "summary").all("li", "warning-mid-phrase")
    assert f"fragment 1/2 ends mid-phrase, at a plain space: '...{last_words}'" in listed.text()
    assert [p for p in plan.posts if p.warnings] == [post]
