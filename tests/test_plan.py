"""The planner: times per account zone, spacing, warnings, Facebook single posts. Time is passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.model import Plan
from bot.problems import Problem
from bot.services.campaign import load_campaign

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LONG_TEXT = " ".join(f"Frase número {i} del mensaje para los peruanos en el exterior." for i in range(60))


def _campaign(
    tmp_path: Path, schedule: str, text: str = LONG_TEXT, now: datetime = NOW
) -> tuple[Plan | None, list[Problem]]:
    (tmp_path / "messages").mkdir(exist_ok=True)
    (tmp_path / "messages" / "m.txt").write_text(text, encoding="utf-8")
    path = tmp_path / "schedule.yaml"
    path.write_text(schedule, encoding="utf-8")
    _, plan, problems = load_campaign(path, now)
    return plan, problems


ACCOUNTS = """
accounts:
  lima_x: {platform: x, handle: CancilleriaPeru, credentials: LIMA_X}
  madrid_x: {platform: x, handle: EmbPeruMadrid, credentials: MADRID_X, timezone: Europe/Madrid}
  tokio_fb: {platform: facebook, page_id: "42", credentials: TOKIO_FB, timezone: Asia/Tokyo}
"""


def test_naive_time_is_read_in_each_accounts_zone(tmp_path: Path) -> None:
    plan, problems = _campaign(
        tmp_path,
        ACCOUNTS
        + """
posts:
  - id: saludo
    message: messages/m.txt
    at: 2027-07-28 09:00
    to: [lima_x, madrid_x, tokio_fb]
""",
    )
    assert problems == [] and plan is not None
    at = {post.account.name: post.at for post in plan.posts}
    assert at["lima_x"] == datetime(2027, 7, 28, 14, 0, tzinfo=UTC)  # Lima is UTC-5 all year
    assert at["madrid_x"] == datetime(2027, 7, 28, 7, 0, tzinfo=UTC)  # CEST, UTC+2 in July
    assert at["tokio_fb"] == datetime(2027, 7, 28, 0, 0, tzinfo=UTC)  # JST, UTC+9
    assert [post.account.name for post in plan.posts] == ["tokio_fb", "madrid_x", "lima_x"]  # sorted by time


def test_explicit_offset_is_the_same_instant_everywhere(tmp_path: Path) -> None:
    plan, _ = _campaign(
        tmp_path,
        ACCOUNTS
        + """
posts:
  - id: saludo
    message: messages/m.txt
    at: 2027-07-28T09:00:30-05:00
    to: [lima_x, madrid_x]
""",
    )
    assert plan is not None
    assert {post.at for post in plan.posts} == {datetime(2027, 7, 28, 14, 0, 30, tzinfo=UTC)}


def test_every_spaces_the_fragments_and_numbering_counts(tmp_path: Path) -> None:
    plan, _ = _campaign(
        tmp_path,
        ACCOUNTS
        + """
posts:
  - id: saludo
    message: messages/m.txt
    at: 2027-07-28 09:00
    every: 1h30m
    to: [lima_x]
""",
    )
    assert plan is not None
    (post,) = plan.posts
    assert len(post.fragments) > 3
    for fragment in post.fragments:
        assert fragment.at - post.at == timedelta(minutes=90) * (fragment.index - 1)
        assert fragment.text.endswith(f" {fragment.index}/{len(post.fragments)}")
        assert fragment.length <= 280


def test_facebook_single_post_is_the_whole_message(tmp_path: Path) -> None:
    plan, _ = _campaign(
        tmp_path,
        ACCOUNTS
        + """
posts:
  - id: saludo
    message: messages/m.txt
    at: 2027-07-28 09:00
    to: [tokio_fb]
""",
        text="\n\n" + LONG_TEXT + "\n",
    )
    assert plan is not None
    (post,) = plan.posts
    assert [f.text for f in post.fragments] == [LONG_TEXT]
    assert post.fragments[0].limit == 63_206


def test_facebook_message_over_the_limit_is_an_error_in_single_mode(tmp_path: Path) -> None:
    text = "Palabra. " * 8000
    _, problems = _campaign(
        tmp_path,
        """
accounts:
  fb: {platform: facebook, page_id: "42", credentials: FB}
posts:
  - {id: largo, message: messages/m.txt, at: 2027-07-28 09:00, to: [fb]}
""",
        text=text,
    )
    assert [p.message for p in problems] == [
        f"the message is {len(text.strip()):,} characters; one Facebook post holds at most 63,206 (account 'fb')"
    ]


def test_facebook_series_mode_splits(tmp_path: Path) -> None:
    plan, problems = _campaign(
        tmp_path,
        """
accounts:
  fb: {platform: facebook, page_id: "42", credentials: FB, mode: series, limit: 500}
posts:
  - {id: serie, message: messages/m.txt, at: 2027-07-28 09:00, to: [fb]}
""",
    )
    assert problems == [] and plan is not None
    fragments = plan.posts[0].fragments
    assert len(fragments) > 1
    assert all(len(f.text) <= 500 for f in fragments)


def test_past_time_is_a_warning_not_an_error(tmp_path: Path) -> None:
    plan, problems = _campaign(
        tmp_path,
        ACCOUNTS
        + """
posts:
  - {id: tarde, message: messages/m.txt, at: 2026-11-20 09:00, to: [lima_x]}
""",
    )
    assert problems == [] and plan is not None
    assert [w.kind for w in plan.posts[0].warnings] == ["past"]
    assert "has passed (5 days ago)" in plan.posts[0].warnings[0].message


def test_daylight_saving_gap_is_warned(tmp_path: Path) -> None:
    plan, _ = _campaign(
        tmp_path,
        ACCOUNTS
        + """
posts:
  - {id: salto, message: messages/m.txt, at: 2027-03-28 02:30, to: [madrid_x]}
""",
    )
    assert plan is not None
    assert [w.kind for w in plan.posts[0].warnings] == ["nonexistent-time"]
    assert plan.posts[0].at.astimezone(ZoneInfo("Europe/Madrid")).hour == 3


def test_free_plan_daily_limit_is_warned(tmp_path: Path) -> None:
    plan, _ = _campaign(
        tmp_path,
        """
accounts:
  x: {platform: x, handle: Emb, credentials: X, plan: free}
posts:
  - {id: hilo, message: messages/m.txt, at: 2027-07-28 09:00, to: [x]}
""",
        text=" ".join([LONG_TEXT] * 2),
    )
    assert plan is not None
    fragments = len(plan.posts[0].fragments)
    assert fragments > 17
    (warning,) = plan.posts[0].warnings
    assert warning.kind == "plan-limit"
    assert warning.message.startswith(f"{fragments} posts within 24 hours for x: the free plan allows 17")


def test_spacing_under_the_limit_gives_no_warning(tmp_path: Path) -> None:
    plan, _ = _campaign(
        tmp_path,
        """
accounts:
  x: {platform: x, handle: Emb, credentials: X, plan: free}
posts:
  - {id: hilo, message: messages/m.txt, at: 2027-07-28 09:00, to: [x], every: 2h}
""",
        text=" ".join([LONG_TEXT] * 2),
    )
    assert plan is not None
    assert plan.posts[0].warnings == ()


# One sentence of 330 characters without a comma: the X thread must break it at a plain space.
RUN_ON = " y ".join(["los peruanos que viven en el exterior junto a sus familias en todo el Perú"] * 4) + "."


def test_a_fragment_ending_at_a_plain_space_is_warned_with_its_last_words(tmp_path: Path) -> None:
    plan, problems = _campaign(
        tmp_path,
        ACCOUNTS
        + """
posts:
  - {id: saludo, message: messages/m.txt, at: 2027-07-28 09:00, to: [lima_x, tokio_fb]}
""",
        text="Mensaje por Fiestas Patrias.\n\n" + RUN_ON,
    )
    assert problems == [] and plan is not None
    posts = {post.account.name: post for post in plan.posts}
    assert posts["tokio_fb"].warnings == ()  # one Facebook post: nothing is broken
    x = posts["lima_x"]
    ends = [f.text.rsplit(" ", 1)[0] for f in x.fragments[:-1]]
    mid = [i for i, body in enumerate(ends, 1) if not body.endswith((".", ","))]
    assert mid and [w.kind for w in x.warnings] == ["mid-phrase"] * len(mid)
    for i, warning in zip(mid, x.warnings, strict=True):
        words = " ".join(ends[i - 1].split()[-6:])
        assert warning.message.startswith(
            f"fragment {i}/{len(x.fragments)} ends mid-phrase, at a plain space: '...{words}'"
        )


def test_prose_with_clause_breaks_gets_no_mid_phrase_warning(tmp_path: Path) -> None:
    plan, _ = _campaign(
        tmp_path,
        ACCOUNTS
        + """
posts:
  - {id: saludo, message: messages/m.txt, at: 2027-07-28 09:00, to: [lima_x]}
""",
        text=RUN_ON.replace(" y los", ", y los"),
    )
    assert plan is not None and len(plan.posts[0].fragments) == 2
    assert plan.posts[0].warnings == ()
