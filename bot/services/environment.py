"""The credential variables a schedule needs, checked against the environment and `.env`, as Problems."""

from __future__ import annotations

from pathlib import Path

from bot import config, credentials
from bot.i18n import _, ngettext
from bot.model import Plan, Position, Schedule
from bot.problems import Problem


def load_environment(env_file: Path | None) -> tuple[credentials.Environment, list[Problem]]:
    env = credentials.load_environment(env_file)
    found = env.problems  # the settings' values: bot/services/settings.py (validate, run and check call it)
    return env, [Problem(p.position, p.message, p.hint) for p in found]


def credential_problems(
    schedule: Schedule, env: credentials.Environment, used_only: bool = True, missing_is_error: bool = False
) -> list[Problem]:
    """A malformed value is an error; a missing one is a warning for validate and an error for check/run."""
    problems = []
    used = {name for entry in schedule.posts for name in entry.to}
    unread = env.unread()  # variables of .env lines already reported as broken are not reported as missing too
    for account in schedule.accounts.values():
        if used_only and account.name not in used:
            continue
        where = account.position if account.position.path else Position(config.display_path(schedule.path))
        missing = [] if unread is None else [n for n in credentials.missing_variables(account, env) if n not in unread]
        if missing:
            problems.append(
                Problem(
                    where,
                    ngettext(
                        "account '{name}' needs {missing}, not set in the environment or .env",
                        "account '{name}' needs {missing}, which are not set in the environment or .env",
                        len(missing),
                    ).format(name=account.name, missing=", ".join(missing)),
                    _misspelt_hint(missing, env)
                    or _("set them in .env (see .env.example) before `run`; `check` then verifies them"),
                    severity="error" if missing_is_error else "warning",
                )
            )
        for name in credentials.malformed_variables(account, env):
            reason = credentials.token_problem(env.get(name))
            hint = _("copy the value again into {name}, without spaces or surrounding quotes").format(
                name=env.source_of(name)
            )
            if env.get(name) in credentials.EXAMPLE_VALUES:
                hint = _("put the real value in {name} (README.md, 'Credentials', says where to find it)").format(
                    name=env.source_of(name)
                )
            problems.append(
                Problem(
                    env.position_of(name) or where,
                    _("account '{name}': {name2} is set but is not a token ({reason})").format(
                        name=account.name, name2=name, reason=reason
                    ),
                    hint,
                )
            )
    return problems


def _misspelt_hint(missing: list[str], env: credentials.Environment) -> str:
    """When the .env sets a variable under a near name (case, '-' for '_'), say where."""
    for name in missing:
        for written, (line, _col) in env.places.items():
            if written != name and written.upper().replace("-", "_").replace(".", "_") == name:
                return _("line {line} of {env_file} sets '{written}': names are case-sensitive and use '_'").format(
                    line=line, env_file=env.env_file, written=written
                )
    return ""


def plan_warnings(plan: Plan) -> list[Problem]:
    return [
        Problem(
            post.source,
            _("post '{id}' to '{name}': {message}").format(id=post.id, name=post.account.name, message=warning.message),
            severity="warning",
        )
        for post in plan.posts
        for warning in post.warnings
    ]
