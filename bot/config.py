"""schedule.yaml -> Schedule, with every problem reported at once, each with its file:line:col.

The keys and their rules are declared in schema.py; this module reads the YAML tree against them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from bot import schedulemedia, schema, yamlfile
from bot.configtimes import TimesReader
from bot.i18n import N_, _
from bot.model import (
    DEFAULT_NUMBERING,
    X_DEFAULT_LIMIT,
    Account,
    Position,
    PostEntry,
    Schedule,
)
from bot.platforms import PLATFORMS, WIDEST_LIMIT
from bot.problems import Problem
from bot.schema import Field
from bot.yamlfile import Node
from bot.yamlreader import Entry, read_text_file, show, suggest

MAX_SCHEDULE_BYTES = 2 * 1024 * 1024
ACCOUNT_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
FALSE_WORDS = ("false", "False", "FALSE", "no", "No", "off", "Off")


def display_path(path: Path) -> str:
    """The path as a person would type it from the working folder."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative


def load(path: Path) -> tuple[Schedule | None, list[Problem]]:
    """Read and validate a schedule file. Returns the Schedule only when there is no error."""
    shown = display_path(path)
    name_a_file = _("check that --schedule names the schedule (a .yaml text file of a few kilobytes)")
    hint = _("run from the project folder, or pass --schedule PATH")
    text, problems = read_text_file(path, shown, _("schedule"), MAX_SCHEDULE_BYTES, name_a_file, hint)
    if text is None:
        return None, problems
    root, problems = yamlfile.parse(text, shown)
    if problems:
        return None, problems
    reader = _Reader(path, shown)
    schedule = reader.schedule(root)
    problems = sorted(reader.problems, key=lambda p: (p.position.line, p.position.col))
    if any(p.severity == "error" for p in problems):
        return None, problems
    return schedule, problems


class _Reader(TimesReader):
    """Walks the schedule's YAML tree, collecting problems instead of stopping at the first one."""

    def __init__(self, path: Path, shown: str) -> None:
        super().__init__()
        self.example_integer = X_DEFAULT_LIMIT
        self.pattern_hints = _PATTERN_HINTS
        self.path = path
        self.shown = shown
        self.invalid_accounts: set[str] = set()  # defined but with errors: already reported

    def schedule(self, root: Node | None) -> Schedule | None:
        if root is None or root.kind != "mapping":
            at = root.position if root is not None else Position(self.shown, 1, 1)
            self.error(at, _("the schedule must be a mapping with 'accounts' and 'posts'"), _EXAMPLE_HINT)
            return None
        found = self.mapping(root, schema.TOP_FIELDS, _("schedule"))
        self.require(root, found, schema.TOP_FIELDS, _("schedule"))
        timezone = ZoneInfo(schema.DEFAULT_TIMEZONE)
        if "timezone" in found:
            timezone = self.timezone(found["timezone"], _("schedule")) or timezone
        accounts = self.accounts(found["accounts"], timezone) if "accounts" in found else {}
        posts = self.posts(found["posts"], accounts) if "posts" in found else []
        approval = self.choice(found["approval"], schema.TOP_FIELDS[3], _("schedule")) if "approval" in found else None
        required = approval == schema.APPROVAL_REQUIRED
        if "language" in found:  # chosen before reading (bot/catalog.py); here only checked, with its place
            self.choice(found["language"], schema.TOP_FIELDS[4], _("schedule"))
        return Schedule(self.path, timezone, accounts, tuple(posts), approval_required=required)

    def accounts(self, entry: Entry, timezone: ZoneInfo) -> dict[str, Account]:
        node = entry.value
        if node.kind != "mapping" or not node.entries:
            self.error(
                node.position if node.kind != "scalar" or node.text else entry.key.position,
                _("accounts: expected one or more accounts, each 'name: {platform: ..., credentials: ...}'"),
                _EXAMPLE_HINT,
            )
            return {}
        accounts: dict[str, Account] = {}
        seen: dict[str, int] = {}
        for key, value in node.entries:
            name = key.text
            if key.kind != "scalar":
                self.error(
                    key.position,
                    _("accounts: an account name must be a plain name, not {key}").format(key=key.describe()),
                    _NAME_HINT,
                )
                continue
            if name in seen:
                self.error(
                    key.position,
                    _("accounts: '{name}' is defined twice (first on line {seen})").format(
                        name=show(name), seen=seen[name]
                    ),
                    _("give each account its own name, or remove the duplicate"),
                )
                continue
            seen[name] = key.position.line
            if not ACCOUNT_NAME_PATTERN.fullmatch(name):
                self.error(
                    key.position,
                    _("accounts: '{name}' is not a usable account name").format(name=show(name)),
                    _NAME_HINT,
                )
                self.invalid_accounts.add(name)  # posts naming it are not reported again
                continue
            account = self.account(name, key, value, timezone)
            if account is not None:
                accounts[name] = account
            else:
                self.invalid_accounts.add(name)
        return accounts

    def account(self, name: str, key: Node, node: Node, timezone: ZoneInfo) -> Account | None:
        where = _("account '{name}'").format(name=name)
        if node.kind != "mapping":
            self.error(
                node.position if not node.is_null else key.position,
                _("{where}: expected its settings").format(where=where),
                _("write them below it, indented: platform, credentials and handle (X) or page_id (Facebook)"),
            )
            return None
        fields = {f.name: f for f in schema.ACCOUNT_FIELDS}
        before = len(self.problems)  # counted before the keys: an unknown (misspelt) one refuses the account too
        found = self.mapping(node, schema.ACCOUNT_FIELDS, where)
        platform = self.choice(found["platform"], fields["platform"], where) if "platform" in found else None
        if "platform" not in found and "platform" not in self.misspelt:
            self.error(
                node.position,
                _("{where}: missing required key 'platform'").format(where=where),
                _("platform: x  or  facebook"),
            )
        values: dict[str, Any] = {}
        for field_name, entry in found.items():
            field = fields[field_name]
            if field_name == "platform":
                continue
            if field.platforms and platform is not None and platform not in field.platforms:
                self.error(
                    entry.key.position,
                    _("{where}: '{field_name}' applies only to {platforms} accounts").format(
                        where=where, field_name=field_name, platforms=", ".join(field.platforms)
                    ),
                    _("remove it, or set platform: {platforms}").format(platforms=field.platforms[0]),
                )
                continue
            values[field_name] = self.account_value(entry, field, where, platform)
        for field in schema.ACCOUNT_FIELDS:
            applies = not field.platforms or platform in field.platforms
            missing = field.name not in found and field.name not in self.misspelt
            if field.required and applies and missing and field.name != "platform":
                self.error(
                    node.position,
                    _("{where}: missing required key '{name}'").format(where=where, name=field.name),
                    field.description,
                )
        if len(self.problems) > before or platform is None:
            return None
        default_limit = PLATFORMS[platform].default_limit
        numbering = values.get("numbering", DEFAULT_NUMBERING)
        handle = values.get("handle")
        return Account(
            name=name,
            platform=cast(Any, platform),
            credentials=values["credentials"],
            limit=values.get("limit", default_limit),
            numbering=numbering,
            timezone=values.get("timezone") or timezone,
            handle=handle.lstrip("@") if handle else None,
            page_id=values.get("page_id"),
            display_name=values.get("name"),
            plan=values.get("plan", "pay-per-use"),
            mode=values.get("mode", "single"),
            on_reply_refused=values.get("on_reply_refused", "series"),
            position=key.position,
        )

    def account_value(self, entry: Entry, field: Field, where: str, platform: str | None) -> Any:
        if field.kind == schema.ENUM:
            return self.choice(entry, field, where)
        if field.kind == schema.TIMEZONE:
            return self.timezone(entry, where)
        if field.kind == schema.INTEGER:
            # an account whose platform is not known yet gets the widest limit: its platform error is reported
            maximum = PLATFORMS[platform].max_limit if platform in PLATFORMS else WIDEST_LIMIT
            return self.integer(entry, field, where, maximum)
        if field.kind == schema.NUMBERING:
            return self.numbering(entry, where)
        if field.pattern:
            return self.pattern(entry, field, where)
        return self.scalar(entry, where)

    def numbering(self, entry: Entry, where: str) -> str | None:
        node = entry.value
        if node.kind == "scalar" and not node.quoted and node.text in FALSE_WORDS:
            return None
        text = self.scalar(entry, where)
        if text is None:
            return None
        try:
            sample = text.format(i=1, n=2)
        except (KeyError, IndexError, ValueError):
            sample = ""
        if "{i}" not in text or not sample:
            self.error(
                node.position,
                _(
                    "{where}: numbering '{text}' must contain {{i}} and may contain {{n}}, nothing else in braces"
                ).format(where=where, text=show(text)),
                _("for example '{i}/{n}' gives 1/14, 2/14, ...; or write numbering: false"),
            )
            return None
        return text

    def posts(self, entry: Entry, accounts: dict[str, Account]) -> list[PostEntry]:
        node = entry.value
        if node.kind != "sequence" or not node.items:
            self.error(
                node.position if node.kind != "scalar" or node.text else entry.key.position,
                _("posts: expected a list of posts, each starting with '- id: ...'"),
                _EXAMPLE_HINT,
            )
            return []
        posts: list[PostEntry] = []
        first_seen: dict[str, int] = {}
        for item in node.items:
            post = self.post(item, accounts)
            if post is None:
                continue
            if post.id in first_seen:
                self.error(
                    post.position,
                    _("post '{id}': the id is used twice (first on line {first_seen})").format(
                        id=post.id, first_seen=first_seen[post.id]
                    ),
                    _("every post needs its own id; it is how the bot remembers what it already published"),
                )
                continue
            first_seen[post.id] = post.position.line
            posts.append(post)
        return posts

    def post(self, node: Node, accounts: dict[str, Account]) -> PostEntry | None:
        if node.kind != "mapping":
            self.error(node.position, _("posts: each post must be a mapping starting with '- id: ...'"), _EXAMPLE_HINT)
            return None
        before = len(self.problems)  # counted before the keys: an unknown (misspelt) one refuses the post too
        found = self.mapping(node, schema.POST_FIELDS, "post")
        fields = {f.name: f for f in schema.POST_FIELDS}
        post_id = self.pattern(found["id"], fields["id"], "post") if "id" in found else None
        where = (
            _("post '{post_id}'").format(post_id=post_id)
            if post_id
            else _("post at line {line}").format(line=node.position.line)
        )
        self.require(node, {k: v for k, v in found.items() if k != "id"}, schema.POST_FIELDS[1:], where)
        if "id" not in found:
            self.error(
                node.position, _("{where}: missing required key 'id'").format(where=where), fields["id"].description
            )
        readers: dict[str, Callable[[Entry], Any]] = {
            "message": lambda e: self.message_path(e, where),
            "at": lambda e: self.when(e, where),
            "to": lambda e: self.targets(e, accounts, where),
            "every": lambda e: self.duration(e, where),
            "media": lambda e: schedulemedia.read_media(self, e, where, self.path.parent),
        }
        values = {name: readers[name](found[name]) for name in readers if name in found}
        if len(self.problems) > before or post_id is None:
            return None
        return PostEntry(
            id=post_id,
            message=values["message"],
            at=values["at"],
            to=values["to"],
            every=values.get("every"),
            media=values.get("media") or (),
            position=found["id"].value.position,
            message_position=found["message"].value.position,
        )

    def message_path(self, entry: Entry, where: str) -> Path | None:
        text = self.scalar(entry, where)
        if text is None:
            return None
        keep_inside = _("keep message files in the schedule's folder (e.g. messages/...) and give a relative path")
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            self.error(
                entry.value.position,
                _("{where}: message '{text}' has a control character in its name").format(where=where, text=show(text)),
                _("write the path of a text file, e.g. messages/mensaje.txt"),
            )
            return None
        folder = self.path.parent.resolve()
        target = (folder / text).resolve()
        if Path(text).is_absolute() or not target.is_relative_to(folder):
            written = os.path.normpath(folder / text)
            if not Path(text).is_absolute() and Path(written).is_relative_to(folder):
                message = _("{where}: message '{text}' is a link to a file outside the schedule's folder").format(
                    where=where, text=show(text)
                )
                hint = _("copy the file into the schedule's folder instead of linking to it")
            else:
                message, hint = (
                    _("{where}: message '{text}' is outside the schedule's folder").format(
                        where=where, text=show(text)
                    ),
                    keep_inside,
                )
            self.error(entry.value.position, message, hint)
            return None
        return self.path.parent / text

    def targets(self, entry: Entry, accounts: dict[str, Account], where: str) -> tuple[str, ...] | None:
        node = entry.value
        items = [node] if node.kind == "scalar" else node.items if node.kind == "sequence" else []
        if node.kind == "mapping" or not items or (node.kind == "scalar" and node.is_null):
            self.error(
                node.position,
                _("{where}: 'to' must list account names, e.g. to: [cancilleria_x]").format(where=where),
                _TO_HINT,
            )
            return None
        names: list[str] = []
        listed: set[str] = set()  # `names` as a set: 5,000 names are 12.5 million comparisons as a list
        for item in items:
            if item.kind != "scalar" or item.is_null:
                self.error(item.position, _("{where}: 'to' must hold account names only").format(where=where), _TO_HINT)
                continue
            name = item.text.strip()
            parts = [part.strip() for part in name.split(",")]
            if name in listed:
                self.error(
                    item.position,
                    _("{where}: account '{name}' is listed twice in 'to'").format(where=where, name=show(name)),
                    _("list each account once"),
                )
            elif len(parts) > 1 and all(part in accounts or part in self.invalid_accounts for part in parts):
                self.error(
                    item.position,
                    _("{where}: 'to' is the single text '{name}', not a list of accounts").format(
                        where=where, name=show(name)
                    ),
                    _("write the list in brackets: to: [{parts}]").format(parts=", ".join(parts)),
                )
            elif name not in accounts and name not in self.invalid_accounts:
                known = [*accounts, *self.invalid_accounts]
                hint = suggest(name, known) or _("define it under 'accounts' (defined: {known})").format(
                    known=", ".join(known) or "none"
                )
                self.error(
                    item.position, _("{where}: unknown account '{name}'").format(where=where, name=show(name)), hint
                )
            names.append(name)
            listed.add(name)
        return tuple(names)


_EXAMPLE_HINT = N_("see README.md ('schedule.yaml reference') for a complete example")
_NAME_HINT = N_("use letters, digits, '_', '-' or '.', e.g. cancilleria_x")
_TO_HINT = N_("write the names of accounts defined under 'accounts', e.g. to: [cancilleria_x, cancilleria_fb]")
_PATTERN_HINTS = {
    "id": N_("use up to 100 letters, digits, '.', '_' or '-', e.g. mensaje-fiestas-patrias"),
    "credentials": N_("use capital letters, digits and '_', starting with a letter, e.g. CANCILLERIA_X"),
    "handle": N_("an X handle is 1 to 15 letters, digits or '_' (the '@' is optional), e.g. CancilleriaPeru"),
    "page_id": N_('the Page\'s numeric id, in quotes, e.g. page_id: "123456789012345" (not its name or address)'),
}
