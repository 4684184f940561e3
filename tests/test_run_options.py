"""`run`'s logging options: -v/-q set the level of the `bot` loggers only; the root logger is left alone."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.commands.parser import parser
from bot.commands.run import configure_logging


@pytest.fixture
def restore_loggers() -> Iterator[None]:
    saved = {
        name: (logger.handlers[:], logger.level, logger.propagate)
        for name in ("bot", "apscheduler")
        for logger in [logging.getLogger(name)]
    }
    root_handlers = logging.getLogger().handlers[:]
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate
    logging.getLogger().handlers[:] = root_handlers


@pytest.mark.parametrize(("flags", "level"), [([], logging.INFO), (["-v"], logging.DEBUG), (["-q"], logging.WARNING)])
def test_verbosity_sets_the_bot_logger_level(flags: list[str], level: int, restore_loggers: None) -> None:
    args = parser().parse_args(["run", *flags])
    root_handlers = logging.getLogger().handlers[:]
    configure_logging(logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO)
    bot = logging.getLogger("bot")
    assert bot.level == level and len(bot.handlers) == 1 and not bot.propagate
    assert logging.getLogger("bot.daemon").getEffectiveLevel() == level
    assert logging.getLogger("apscheduler").level == max(level, logging.WARNING)
    assert logging.getLogger().handlers == root_handlers  # the root logger is not configured


def test_verbose_and_quiet_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parser().parse_args(["run", "-v", "-q"])
    assert exit_info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
