"""`check`: are the credentials of every account present, well-formed and accepted by the platform?

Missing or malformed variables are reported without touching the network; otherwise each account asks its
platform who it posts as (`whoami`), and the answer is compared with what schedule.yaml says.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from bot.credentials import ConnectionSettings, Environment, malformed_variables, missing_variables
from bot.i18n import _, ngettext
from bot.model import Account
from bot.platforms import PLATFORMS
from bot.publishers.base import CredentialsError, Identity, PublishError, RetryLater
from bot.publishers.factory import make_publisher

logger = logging.getLogger(__name__)

Status = Literal["ok", "warning", "problem"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one account."""

    account: Account
    status: Status
    identity: Identity | None  # who the credentials post as, when the platform answered
    messages: tuple[str, ...]  # what is wrong and what to do (empty when OK)

    @property
    def ok(self) -> bool:
        """True only for a clean OK: a warning (e.g. the credentials post as another account) is not OK."""
        return self.status == "ok"


def check_accounts(accounts: Iterable[Account], env: Environment, settings: ConnectionSettings) -> list[CheckResult]:
    """Check every account, in order. Never raises for a bad account: each problem becomes a result."""
    return [_check(account, env, settings) for account in accounts]


def _check(account: Account, env: Environment, settings: ConnectionSettings) -> CheckResult:
    where = (
        _("in {file}").format(file=env.env_file)
        if env.env_file is not None
        else _("in the environment (no .env file was read)")
    )
    problems = [
        _("{name} is not set {where}: add it (see .env.example)").format(name=name, where=where)
        for name in missing_variables(account, env)
    ]
    problems += [
        _(
            "{name} ({name2}) does not look like a token: it has spaces, quotes or '<' in it; put the "
            "bare value after '='"
        ).format(name=name, name2=env.source_of(name))
        for name in malformed_variables(account, env)
    ]
    if problems:
        return CheckResult(account, "problem", None, tuple(problems))

    try:
        publisher = make_publisher(account, env, settings)
        identity = publisher.whoami()
    except CredentialsError as error:
        return CheckResult(account, "problem", None, (str(error),))
    except RetryLater as error:
        return CheckResult(
            account, "problem", None, (_("could not check now: {error}; run check again later").format(error=error),)
        )
    except PublishError as error:
        return CheckResult(account, "problem", None, (str(error),))

    warnings = mismatches(account, identity)
    logger.info(
        _("check {name}: posts as {name2} ({id})").format(name=account.name, name2=identity.name, id=identity.id)
    )
    if isinstance(publisher, ReportsAccessLevel):
        problem = publisher.access_problem()
        if problem is not None:
            return CheckResult(account, "problem", identity, (problem, *warnings))
        if publisher.access_level is None:
            # A note, not a warning: the platform answered and nothing says the token cannot post.
            notes = (
                _(
                    "X did not report the access level of these credentials (no x-access-level header): "
                    "if the app was Read only when the token was generated, the first post will be refused"
                ),
            )
            return CheckResult(account, "warning" if warnings else "ok", identity, (*warnings, *notes))
    return CheckResult(account, "warning" if warnings else "ok", identity, tuple(warnings))


@runtime_checkable
class ReportsAccessLevel(Protocol):
    """A publisher that learns, from its answers, whether its credentials may post (X: x-access-level)."""

    access_level: str | None

    def access_problem(self) -> str | None: ...


def mismatches(account: Account, identity: Identity) -> list[str]:
    """What `check` says when the credentials post as another handle or Page than schedule.yaml names."""
    identity_key = PLATFORMS[account.platform].identity
    if (
        identity_key == "handle"
        and account.handle
        and identity.handle
        and account.handle.lstrip("@").casefold() != identity.handle.casefold()
    ):
        return [
            _(
                "schedule.yaml says @{value} but these credentials post as @{handle}: fix the handle in "
                "schedule.yaml or the tokens in .env"
            ).format(value=account.handle.lstrip("@"), handle=identity.handle)
        ]
    if identity_key == "page_id" and account.page_id and identity.id and account.page_id != identity.id:
        return [
            _(
                "schedule.yaml says page {page_id} but the token belongs to page {id} ({name}): fix "
                "page_id in schedule.yaml or the token in .env"
            ).format(page_id=account.page_id, id=identity.id, name=identity.name)
        ]
    return []


def _as_who(account: Account, identity: Identity) -> str:
    if identity.handle:
        return _("@{handle} ({name}, id {id})").format(handle=identity.handle, name=identity.name, id=identity.id)
    return _("{name} (id {id})").format(name=identity.name, id=identity.id)


def format_check(results: Sequence[CheckResult]) -> str:
    """A plain-text report: one block per account, then a summary line."""
    lines: list[str] = []
    for result in results:
        account = result.account
        head = f"{account.name} [{account.platform}, {account.label}]"
        if result.status == "ok" and result.identity is not None:
            lines.append(
                _("OK       {head}: posts as {account}").format(head=head, account=_as_who(account, result.identity))
            )
        elif result.status == "warning" and result.identity is not None:
            lines.append(
                _("WARNING  {head}: posts as {account}").format(head=head, account=_as_who(account, result.identity))
            )
        elif result.identity is not None:
            lines.append(
                _("PROBLEM  {head}: posts as {account}").format(head=head, account=_as_who(account, result.identity))
            )
        else:
            lines.append(_("PROBLEM  {head}").format(head=head))
        lines.extend(f"         - {message}" for message in result.messages)
    good = sum(1 for result in results if result.ok)
    warned = sum(1 for result in results if result.status == "warning")
    bad = sum(1 for result in results if result.status == "problem")
    lines.append(
        ngettext(
            "{n} account checked: {good} OK, {warned} with warnings, {bad} with problems",
            "{n} accounts checked: {good} OK, {warned} with warnings, {bad} with problems",
            len(results),
        ).format(n=len(results), good=good, warned=warned, bad=bad)
    )
    return "\n".join(lines) + "\n"
