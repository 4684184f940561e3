"""The times of schedule.yaml: a post's `at` and its thread's `every`, read with their problems (config.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot import schema
from bot.durations import parse_duration
from bot.i18n import N_, _
from bot.yamlreader import Entry, PositionedReader, show

MAX_EVERY = timedelta(days=7)
YEARS = (2000, 2099)  # a time outside is a typo (2207 for 2027), and near year 9999 it would overflow
# Python's reasons for a date that does not exist, said in the interface's words (its own are English only)
_WHY_NOT_REAL = {
    "day is out of range for month": N_("that month has no such day"),
    "month must be in 1..12": N_("months go from 01 to 12"),
    "hour must be in 0..23": N_("hours go from 00 to 23"),
    "minute must be in 0..59": N_("minutes go from 00 to 59"),
    "second must be in 0..59": N_("seconds go from 00 to 59"),
}


def _why_not_real(error: ValueError) -> str:
    reason = str(error)
    return _(_WHY_NOT_REAL[reason]) if reason in _WHY_NOT_REAL else reason


class TimesReader(PositionedReader):
    """The readers of dates and durations that config.py's schedule reader inherits."""

    def when(self, entry: Entry, where: str) -> datetime | None:
        text = self.scalar(entry, where)
        if text is None:
            return None
        hint = _("write it as YYYY-MM-DD HH:MM, e.g. 2027-07-28 09:00 (optionally :SS and an offset like -05:00)")
        if not re.match(schema.DATETIME_PATTERN, text):
            self.error(
                entry.value.position,
                _("{where}: '{text}' is not a date and time").format(where=where, text=show(text)),
                hint,
            )
            return None
        offset = re.search(r"([+-])(\d{2}):?(\d{2})?$", text)
        widest = 14 * 60 if offset and offset[1] == "+" else 12 * 60
        if offset and (int(offset[2]) * 60 + int(offset[3] or 0) > widest or int(offset[3] or 0) > 59):
            self.error(
                entry.value.position,
                _("{where}: '{text}' has the offset {offset}, which no place uses").format(
                    where=where, text=show(text), offset=offset[0]
                ),
                _("UTC offsets go from -12:00 to +14:00; Lima is -05:00"),
            )
            return None
        normal = re.sub(r"\s*(Z|[+-]\d{2}(:?\d{2})?)$", lambda m: m.group(1), text.replace("T", " ", 1))
        normal = re.sub(r" (\d):", r" 0\1:", normal)
        try:
            value = datetime.fromisoformat(normal)
        except ValueError as error:
            self.error(
                entry.value.position,
                _("{where}: '{text}' is not a real date or time ({error})").format(
                    where=where, text=show(text), error=_why_not_real(error)
                ),
                hint,
            )
            return None
        if not YEARS[0] <= value.year <= YEARS[1]:
            self.error(
                entry.value.position,
                _("{where}: '{text}' is out of range: the year must be between {YEARS} and {YEARS2}").format(
                    where=where, text=show(text), YEARS=YEARS[0], YEARS2=YEARS[1]
                ),
                _("check the year for a typo, e.g. 2027-07-28 09:00"),
            )
            return None
        return value

    def duration(self, entry: Entry, where: str) -> timedelta | None:
        text = self.scalar(entry, where)
        if text is None:
            return None
        value = parse_duration(text)
        if value is None:
            self.error(
                entry.value.position,
                _("{where}: '{text}' is not a duration").format(where=where, text=show(text)),
                _("write a number with a unit: 30m, 2h, 1h30m, 45s, 1d"),
            )
            return None
        if value > MAX_EVERY:
            self.error(
                entry.value.position,
                _("{where}: 'every' is {text}, longer than {days} days between two posts of a thread").format(
                    where=where, text=show(text), days=MAX_EVERY.days
                ),
                _("space the posts by minutes or hours (e.g. every: 2m), or make separate posts with their own 'at'"),
            )
            return None
        return value
