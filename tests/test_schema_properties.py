"""Every edit of every key bot/schema.py declares: a clear located problem, never a traceback (issue 20).

The edits are generated from the schema's own field tables (TOP_FIELDS, ACCOUNT_FIELDS, POST_FIELDS,
MEDIA_FIELDS), applied to the YAML tree of a campaign and written back as a schedule file:
  * the key deleted (an error exactly when the field is required for that mapping);
  * the key misspelt: one letter added, one removed, two neighbours swapped (always an error, reported at
    the misspelt key's own line and column);
  * its value null, empty, or of every wrong type (a list, a mapping, and scalars the field's kind refuses).
Every single edit is tried on two campaigns (the committed one, with its image and approvals; and a fuller one
that sets every optional key, with two images and a thread), and hypothesis tries pairs of edits. The bulk
goes through `campaign.load_campaign`, the function `validate` (and `run`, `preview`) loads with; a sample goes
through the real `validate` and `run` in a subprocess, which must exit 2, print `schedule.yaml:LINE:COL` and
create no state folder.
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import schema
from bot.problems import Problem, errors
from bot.schema import Field
from bot.services import campaign
from tests.helpers import ROOT, run_cli

NOW = datetime(2027, 7, 1, tzinfo=UTC)
Path_ = tuple[Any, ...]  # keys and indexes from the document's root to a mapping

# Scalars each kind of value refuses (null, empty, a list and a mapping are tried for every key).
_WRONG_SCALARS: dict[str, list[Any]] = {
    schema.INTEGER: ["many", 1.5, True, -1, 10**9],
    schema.ENUM: ["nope", 1, True],
    schema.TIMEZONE: ["Mars/Olympus", 5, True],
    schema.DATETIME: ["tomorrow", 5, "2027-13-01 08:00", "2027-02-30 08:00", True],
    schema.DURATION: ["soon", True, "8d"],
    schema.NAMES: ["nobody", 5, True],
    schema.NUMBERING: ["none", 5, "{x}/{n}"],
    schema.MEDIA: ["media/escarapela.png", 5],
    "accounts": ["cancilleria_x", 5],
    "posts": ["saludo", 5],
}
_WRONG_BY_NAME: dict[str, list[Any]] = {  # string fields: values their pattern (or the file system) refuses
    "credentials": ["lower_case", 5, "A-B"],
    "handle": ["@@x", "a" * 16, "x y"],
    "page_id": ["Cancilleria", "12a"],
    "id": ["-start", "a b", "x" * 101],
    "message": ["messages/no-such-file.txt", "/etc/passwd", "../outside.txt", 5],
    "file": ["media/no-such.png", 5],
}


@dataclass(frozen=True)
class Edit:
    where: Path_  # the mapping edited
    key: str
    kind: str  # delete | rename | value
    new: Any = None  # the new key (rename) or value (value)
    expect_error: bool = True

    def __str__(self) -> str:
        place = "/".join(str(p) for p in self.where) or "(top)"
        return f"{place}: {self.kind} {self.key}" + (f" -> {self.new!r}" if self.kind != "delete" else "")


def misspellings(word: str) -> list[str]:
    """One letter added (doubled last, and an 'x' inside), one removed, two neighbours swapped."""
    found = {word + word[-1], word[:1] + "x" + word[1:]}
    found |= {word[:i] + word[i + 1 :] for i in range(len(word))}
    found |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return sorted(w for w in found if w and w != word)


def _fields_at(path: Path_, document: dict[str, Any]) -> tuple[Field, ...]:
    if not path:
        return schema.TOP_FIELDS
    if path[0] == "accounts":
        return schema.ACCOUNT_FIELDS
    return schema.MEDIA_FIELDS if len(path) > 2 else schema.POST_FIELDS


def _mappings(document: dict[str, Any]) -> Iterator[tuple[Path_, dict[str, Any]]]:
    """Every mapping the schema describes, with its path: the top, each account, each post, each image."""
    yield (), document
    for name, account in document["accounts"].items():
        yield ("accounts", name), account
    for i, post in enumerate(document["posts"]):
        yield ("posts", i), post
        for j, image in enumerate(post.get("media") or []):
            yield ("posts", i, "media", j), image


def _required(field: Field, mapping: dict[str, Any]) -> bool:
    return field.required and (not field.platforms or mapping.get("platform") in field.platforms)


def single_edits(document: dict[str, Any]) -> list[Edit]:
    edits: list[Edit] = []
    for path, mapping in _mappings(document):
        fields = {f.name: f for f in _fields_at(path, document)}
        for key in mapping:
            field = fields[key]
            # Deleting an optional key leaves a valid campaign, except the last image's alt (required too).
            edits.append(Edit(path, key, "delete", expect_error=_required(field, mapping)))
            edits += [Edit(path, key, "rename", new) for new in misspellings(key) if new not in fields]
            values: list[Any] = [None, "", [], {}, {"x": 1}, [[1]]]
            if field.kind not in (schema.NAMES, schema.MEDIA, "posts"):
                values.append(["a", "b"])
            values += _WRONG_SCALARS.get(field.kind, []) + _WRONG_BY_NAME.get(key, [])
            edits += [Edit(path, key, "value", value) for value in values]
    return edits


def _mapping_at(document: dict[str, Any], where: Path_) -> dict[str, Any] | None:
    target: Any = document
    for step in where:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return None
    return target if isinstance(target, dict) else None


def apply(document: dict[str, Any], edit: Edit) -> bool:
    """Apply `edit` in place; False when its mapping or key is gone (an earlier edit removed it)."""
    target = _mapping_at(document, edit.where)
    if target is None or edit.key not in target:
        return False
    if edit.kind == "delete":
        del target[edit.key]
    elif edit.kind == "rename":
        target[edit.new] = target.pop(edit.key)
    else:
        target[edit.key] = edit.new
    return True


# -- the campaigns -----------------------------------------------------------------------------------------

_FULL = """\
language: es
timezone: America/Lima
approval: required
accounts:
  cancilleria_x:
    platform: x
    credentials: CANCILLERIA_X
    handle: CancilleriaPeru
    name: Cancilleria del Peru
    timezone: America/Lima
    limit: 280
    numbering: "{i}/{n}"
    plan: basic
    on_reply_refused: stop
  cancilleria_fb:
    platform: facebook
    credentials: CANCILLERIA_FB
    page_id: "123456789012345"
    name: Cancilleria del Peru
    timezone: Europe/Madrid
    limit: 5000
    numbering: false
    mode: series
posts:
  - id: mensaje-fiestas-patrias
    message: messages/mensaje-canciller-fiestas-patrias.txt
    at: 2027-07-28 08:00
    to: [cancilleria_x, cancilleria_fb]
    every: 2m
    media:
      - file: media/escarapela.png
        alt: Escarapela peruana
      - file: media/escarapela.png
        alt: La misma escarapela
  - id: segundo
    message: messages/mensaje-canciller-fiestas-patrias.txt
    at: 2027-07-29 09:30:00-05:00
    to: cancilleria_x
"""


def _campaign(folder: Path, text: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "messages", folder / "messages", dirs_exist_ok=True)
    shutil.copytree(ROOT / "media", folder / "media", dirs_exist_ok=True)
    path = folder / "schedule.yaml"
    path.write_text(text if text is not None else (ROOT / "schedule.yaml").read_text(encoding="utf-8"), "utf-8")
    return path


CAMPAIGNS = {"committed": None, "full": _FULL}


@pytest.fixture(scope="module")
def campaigns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("campaigns")
    return {name: _campaign(root / name, text) for name, text in CAMPAIGNS.items()}


def document_of(path: Path) -> dict[str, Any]:
    loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # every scalar as text
    assert isinstance(loaded, dict)
    for account in loaded.get("accounts", {}).values():  # the one value that must stay unquoted
        if account.get("numbering") == "false":
            account["numbering"] = False
    return loaded


def write(path: Path, document: dict[str, Any]) -> str:
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)
    path.write_text(text, encoding="utf-8")
    return text


def load(path: Path) -> list[Problem]:
    """What validate reads: the schedule, its messages and images, and the plan."""
    _schedule, plan, problems = campaign.load_campaign(path, NOW)
    assert (plan is None) == bool(errors(problems)), "a plan is returned exactly when there is no error"
    return problems


def check_edited(path: Path, text: str, edits: list[Edit]) -> None:
    """The edited file's problems: located in it when any edit must be refused; none when all are harmless."""
    problems = load(path)
    found = errors(problems)
    shown = [p.format() for p in problems]
    must_fail = any(e.expect_error for e in edits)
    if not must_fail:
        assert found == [], f"{[str(e) for e in edits]}: refused a valid schedule: {shown}"
        return
    assert found, f"{[str(e) for e in edits]}: accepted:\n{text}"
    name = path.name
    located = [p for p in found if Path(p.position.path).name == name and p.position.line >= 1]
    other_files = [p for p in found if Path(p.position.path).name != name]  # a message or image that fails
    assert located or other_files, f"{[str(e) for e in edits]}: no schedule.yaml:LINE:COL in {shown}"
    lines = text.splitlines()
    for problem in located:
        assert 1 <= problem.position.line <= max(len(lines), 1) and problem.position.col >= 1, shown
    for edit in edits:
        if edit.kind == "rename" and edit.new is not None:
            at_key = [
                p
                for p in located
                if f"'{edit.new}'" in p.message
                and lines[p.position.line - 1][p.position.col - 1 :].lstrip("'\"").startswith(str(edit.new))
            ]
            assert at_key, f"{edit}: the misspelt key is not reported where it is written: {shown}"


# -- the tests ---------------------------------------------------------------------------------------------


def test_misspellings_are_one_letter_away() -> None:
    assert set(misspellings("to")) == {"too", "txo", "t", "o", "ot"}
    assert "credentialss" in misspellings("credentials") and "mesage" in misspellings("message")


@pytest.mark.parametrize("name", CAMPAIGNS)
def test_the_campaigns_are_valid_and_every_key_is_edited(campaigns: dict[str, Path], name: str) -> None:
    assert errors(load(campaigns[name])) == []
    edited = {e.key for e in single_edits(document_of(campaigns[name]))}
    declared = {f.name for f in (*schema.TOP_FIELDS, *schema.POST_FIELDS, *schema.MEDIA_FIELDS)}
    declared |= {f.name for f in schema.ACCOUNT_FIELDS}
    if name == "full":  # the full campaign sets every key the schema declares
        assert edited == declared


@pytest.mark.long
@pytest.mark.parametrize("name", CAMPAIGNS)
def test_every_single_edit(campaigns: dict[str, Path], name: str, tmp_path: Path, summary_line: Any) -> None:
    source = campaigns[name]
    path = _campaign(tmp_path / "c", source.read_text(encoding="utf-8"))
    edits = single_edits(document_of(source))
    assert len(edits) > 300
    for edit in edits:
        document = document_of(source)
        assert apply(document, edit)
        check_edited(path, write(path, document), [edit])
    summary_line(f"schema property test: {len(edits)} single edits of the {name} campaign, each refused or valid")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_pairs_of_edits(campaigns: dict[str, Path], tmp_path: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(CAMPAIGNS)))
    source = campaigns[name]
    edits = single_edits(document_of(source))
    pair = [data.draw(st.sampled_from(edits)), data.draw(st.sampled_from(edits))]
    document = document_of(source)
    applied = [edit for edit in pair if apply(document, edit)]
    # a misspelt key the other edit removed again (with its mapping) is no longer there to report
    applied = [e for e in applied if e.kind != "rename" or e.new in (_mapping_at(document, e.where) or {})]
    # two edits of one key: the later one (a delete, a rename or another value) replaced what the first wrote
    if len(applied) == 2 and (applied[0].where, applied[0].key) == (applied[1].where, applied[1].key):
        applied = applied[1:]
    path = _campaign(tmp_path / f"pair-{random.getrandbits(64):x}", None)
    check_edited(path, write(path, document), applied)


# The misspellings issue 20 found: a traceback (KeyError) instead of a problem, each at its own key.
ISSUE_EDITS = [
    ("    credentials: CANCILLERIA_X ", "    credentialss: CANCILLERIA_X ", "credentialss"),
    ("    message: messages/", "    messagee: messages/", "messagee"),
    ("    at: 2027", "    att: 2027", "att"),
    ("    to: [cancilleria_x", "    too: [cancilleria_x", "too"),
    ("    platform: facebook", "    platformm: facebook", "platformm"),
]


@pytest.mark.parametrize(("old", "new", "key"), ISSUE_EDITS, ids=[k for _, _, k in ISSUE_EDITS])
def test_the_issue_misspellings_through_validate_and_run(tmp_path: Path, old: str, new: str, key: str) -> None:
    text = (ROOT / "schedule.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = _campaign(tmp_path, text.replace(old, new))
    line = next(n for n, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if f" {key}:" in row)
    col = path.read_text(encoding="utf-8").splitlines()[line - 1].index(key) + 1
    for command in (["validate"], ["run", "--state-dir", "state"]):
        result = run_cli(*command, "--env-file", "no.env", cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert f"schedule.yaml:{line}:{col}: error: " in result.stderr and f"unknown key '{key}'" in result.stderr
        assert not (tmp_path / "state").exists()


def test_a_sample_through_the_real_cli(campaigns: dict[str, Path], tmp_path: Path) -> None:
    """The in-process bulk is the code `validate` and `run` run: a seeded sample shows the CLI agrees."""
    rng = random.Random(20)
    for name in sorted(CAMPAIGNS):
        refused = [e for e in single_edits(document_of(campaigns[name])) if e.expect_error]
        for n, edit in enumerate(rng.sample(refused, 4)):
            folder = tmp_path / f"{name}-{n}"
            document = document_of(campaigns[name])
            assert apply(document, edit)
            path = _campaign(folder, None)
            write(path, document)
            command = ["validate"] if n % 2 == 0 else ["run", "--state-dir", "state"]
            result = run_cli(*command, "--env-file", "no.env", cwd=folder)
            assert result.returncode == 2, f"{edit}: {result.stderr}"
            assert "Traceback" not in result.stderr
            assert re.search(r"^(schedule\.yaml|messages/\S+|media/\S+):\d+:\d+: error: ", result.stderr, re.M), (
                f"{edit}: {result.stderr}"
            )
            assert not (folder / "state").exists()
