"""Pure core of approvals: the digest of what goes out for one (post, account), matching a digest someone typed,
and a short diff of two versions of a post's fragments.

The digest (encoding version 1) is SHA-256 over these bytes, each field written as
``NAME SP LENGTH ":" VALUE LF`` where VALUE is UTF-8 and LENGTH its size in bytes, in decimal:

    b"fiestas-patrias-bot approval digest v1\\n"
    platform   <"x" | "facebook">
    target     <X handle, lower-cased, without "@" | Facebook Page id>
    fragments  <count, decimal>
    fragment   <exact text of fragment 1, numbering label included>   (one field per fragment, in order)
    media      <count, decimal>
    sha256     <hex sha256 of the media file's bytes, lower-case>     (then alt, per item, in order)
    alt        <the item's alt text>

Length prefixes make the encoding unambiguous (no text can imitate a field boundary) without relying on any
serializer's escaping rules, so anyone can recompute a digest by hand. Texts are not normalised: the digest is
of exactly what is sent. Media are part of the post, not of a fragment (X attaches them to the first fragment,
Facebook to the post), so they follow the fragments. The time is not included: a reschedule needs no new
approval. Neither is the schedule's local account name: it changes nothing that goes out, and an approval is
recorded under (post id, account name) anyway, so renaming an account already asks for a new approval, while
pointing an existing name at another handle or Page changes the target and therefore the digest.
X handles are case-insensitive on X, so the handle is lower-cased: re-capitalising it is not a new audience.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import _
from bot.model import Account, Post
from bot.platforms import PLATFORMS
from bot.problems import printable

DIGEST_VERSION = 1
SHORT = 12  # hex digits shown to people to recognise a digest: never accepted by `approve`
FULL = 64  # what `approve --digest` accepts: the whole digest, nothing shorter

_MAGIC = b"fiestas-patrias-bot approval digest v1\n"
_ENTRY_MAGIC = b"fiestas-patrias-bot approval entry digest v1\n"
_HEX = re.compile("[0-9a-f]*")

MediaRef = tuple[str, str]  # (sha256 of the file's bytes, alt text)


# The records an approval store keeps (here, below the stores that write them, in the pure core).


@dataclass(frozen=True)
class Approval:
    """An approval of one post on one account, for the message whose fingerprint is `digest`."""

    post_id: str
    account: str  # the schedule's account name
    digest: str  # 64 hex digits
    by: str
    at: datetime  # aware
    note: str | None = None


@dataclass(frozen=True)
class Revocation:
    """Withdraws every earlier approval of (post_id, account)."""

    post_id: str
    account: str
    by: str
    at: datetime  # aware
    note: str | None = None


@dataclass(frozen=True)
class KnownText:
    """The fragments a digest stood for, kept so a refusal can say what changed since."""

    digest: str
    post_id: str
    account: str
    texts: tuple[str, ...]


class ApprovalError(Exception):
    """A refusal a person can act on: what is wrong, what to do, and the exit code a command should use."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "", details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = tuple(details)

    def format(self) -> str:
        """The message, its details indented below it, then the hint; control characters shown as escapes."""
        lines = [printable(self.message), *("    " + printable(line) for line in self.details)]
        if self.hint:
            lines.append("    " + _("hint: {hint}").format(hint=printable(self.hint)))
        return "\n".join(lines)


class MalformedDigest(ApprovalError):
    exit_code = 2


def _field(name: str, value: str) -> bytes:
    data = value.encode("utf-8")
    return name.encode("ascii") + b" " + str(len(data)).encode("ascii") + b":" + data + b"\n"


def target(account: Account) -> str:
    """Where the post lands: the X handle (lower-cased) or the Facebook Page id."""
    identity = PLATFORMS[account.platform].identity
    if identity == "handle" and account.handle:
        return account.handle.lstrip("@").lower()  # X ignores the case of handles
    if identity == "page_id" and account.page_id:
        return account.page_id
    raise ValueError(_("account '{name}' has no handle or page id").format(name=account.name))  # config.py requires one


def digest_of(platform: str, where: str, texts: Sequence[str], media: Sequence[MediaRef] = ()) -> str:
    """The version-1 digest (64 hex digits) of the fields described in this module's docstring."""
    parts = [_MAGIC, _field("platform", platform), _field("target", where), _field("fragments", str(len(texts)))]
    parts.extend(_field("fragment", text) for text in texts)
    parts.append(_field("media", str(len(media))))
    for sha256, alt in media:
        if len(sha256) != FULL or not _HEX.fullmatch(sha256.lower()):
            raise ValueError(_("not a sha256 hex digest: {sha256!r}").format(sha256=sha256))
        parts.append(_field("sha256", sha256.lower()))
        parts.append(_field("alt", alt))
    return hashlib.sha256(b"".join(parts)).hexdigest()


def post_digest(post: Post, media: Sequence[MediaRef] | None = None) -> str:
    """The digest of everything `post` sends for its account.

    `media=None` means "the post's own media" (post.media: the sha256 of each image's bytes and its alt text),
    read here, in this one place, so every caller approves exactly the images that go out.
    """
    texts = [fragment.text for fragment in post.fragments]
    own = [(m.sha256, m.alt) for m in post.media] if media is None else media
    return digest_of(post.account.platform, target(post.account), texts, own)


def entry_digest(account_digests: Mapping[str, str]) -> str:
    """One digest for a schedule entry and all its accounts ({account name: post digest}), so one `approve`
    without --account approves every account while still naming each account's exact texts."""
    parts = [_ENTRY_MAGIC, _field("accounts", str(len(account_digests)))]
    for name in sorted(account_digests):
        parts.append(_field("account", name))
        parts.append(_field("digest", account_digests[name]))
    return hashlib.sha256(b"".join(parts)).hexdigest()


def short(digest: str) -> str:
    return digest[:SHORT]


def approve_command(post_id: str, digest: str, account: str | None = None) -> str:
    """The exact command that approves `digest` (all 64 hex digits: nothing shorter is accepted), to copy."""
    words = ["python", "main.py", "approve", post_id, "--digest", digest]
    if account is not None:
        words += ["--account", account]
    return shlex.join(words)


def parse_hex(given: str) -> str:
    """A digest as typed (spaces around it and upper case allowed), lower-cased; MalformedDigest unless it is exactly
    64 hex digits. A prefix is never enough: two texts sharing 12 (48 bits) are found in seconds, so a short form
    would let one version be read and another approved."""
    text = given.strip().lower()
    hint = _("copy the whole digest (all {full} hex digits) the preview shows for the post").format(full=FULL)
    if not text:
        raise MalformedDigest(_("the digest is empty"), hint)
    bad = next((i for i, ch in enumerate(text) if ch not in "0123456789abcdef"), None)
    if bad is not None:
        shown = given.strip()
        raise MalformedDigest(
            _("the digest '{digest}' is not hexadecimal: '{char}' at character {n}").format(
                digest=shown, char=shown[bad], n=bad + 1
            ),
            hint,
        )
    if len(text) != FULL:
        raise MalformedDigest(
            _(
                "the digest has {n} hex digits; a SHA-256 digest has {full}, and only the whole digest is accepted"
            ).format(n=len(text), full=FULL),
            hint,
        )
    return text


@dataclass(frozen=True)
class Candidate:
    """A digest someone may mean, and what approving it covers (a label for messages)."""

    digest: str
    label: str


def resolve(given: str, candidates: Iterable[Candidate]) -> Candidate | None:
    """The candidate whose digest is exactly `given` (already parsed: 64 hex digits); None if none is. Several
    candidates with the same digest count as one match (the first)."""
    return next((candidate for candidate in candidates if candidate.digest == given), None)


def fragment_diff(old: Sequence[str], new: Sequence[str], max_lines: int = 24, width: int = 70) -> list[str]:
    """What changed from `old` to `new` fragments, compared by position, as short lines for a terminal.

    Each changed fragment gets a heading and its changed lines as "- old" / "+ new", cut down to the part around
    the change. A change of count renumbers every label ("1/3" -> "1/4"), and that shows too: it is what the
    approver would otherwise not have seen.
    """

    lines: list[str] = []
    for i in range(max(len(old), len(new))):
        before = old[i] if i < len(old) else None
        after = new[i] if i < len(new) else None
        if before == after:
            continue
        if before is None:
            lines.append(_("fragment {n}: added").format(n=i + 1))
            lines.extend("  + " + _cut(line, width) for line in (after or "").splitlines())
            continue
        if after is None:
            lines.append(_("fragment {n}: removed").format(n=i + 1))
            lines.extend("  - " + _cut(line, width) for line in before.splitlines())
            continue
        lines.append(_("fragment {n}: changed").format(n=i + 1))
        lines.extend(_changed_lines(before.splitlines(), after.splitlines(), width))
    if len(lines) > max_lines:
        hidden = len(lines) - (max_lines - 1)
        lines = [*lines[: max_lines - 1], _("... ({hidden} more lines)").format(hidden=hidden)]
    return lines


def _changed_lines(before: list[str], after: list[str], width: int) -> list[str]:
    import difflib  # only a refused approval shows a diff: preview and validate never load it

    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        olds, news = before[a1:a2], after[b1:b2]
        for k in range(max(len(olds), len(news))):
            o = olds[k] if k < len(olds) else None
            n = news[k] if k < len(news) else None
            if o is not None and n is not None:
                o_cut, n_cut = _around_change(o, n, width)
                out += ["  - " + o_cut, "  + " + n_cut]
            elif o is not None:
                out.append("  - " + _cut(o, width))
            elif n is not None:
                out.append("  + " + _cut(n, width))
    return out


def _around_change(old: str, new: str, width: int) -> tuple[str, str]:
    """Both lines cut to the same window around their first difference, so the change is in view."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    lead = max(0, start - width // 3)
    return _window(old, lead, width), _window(new, lead, width)


def _window(text: str, lead: int, width: int) -> str:
    piece = text[lead : lead + width]
    return ("…" if lead > 0 else "") + piece + ("…" if lead + width < len(text) else "")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width] + "…"


@dataclass(frozen=True)
class ApprovalState:
    """A post's approval as preview, status and the daemon see it."""

    required: bool
    digest: str
    approval: Approval | None  # the one that matches `digest`
    outdated: Approval | None = None  # the latest approval, when it is of another (older) text

    @property
    def approved(self) -> bool:
        return self.approval is not None

    @property
    def may_publish(self) -> bool:
        return self.approved or not self.required

    def as_json(self) -> dict[str, object]:
        return {
            "required": self.required,
            "digest": self.digest,
            "approved": self.approved,
            "approved_by": self.approval.by if self.approval else None,
            "approved_at": self.approval.at.isoformat() if self.approval else None,
        }
