"""Dates, times and numbers in the language in use: the one owner of Babel (CLDR data).

English keeps the bot's own compact forms (`Wednesday 28 July 2027`, `3,228`) and never loads Babel; Spanish
asks Babel, imported inside the functions, so a command loads only the CLDR data of what it formats
(`miércoles, 28 de julio de 2027, 08:00 (hora de Lima)`, `3.228`).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from bot.i18n import _, language

# CLDR's Spanish (es) writes thousands with a point, as the Peruvian State does in prose (es_PE uses a comma).
_CLDR_LOCALE = {"es": "es"}


def _locale() -> str | None:
    return _CLDR_LOCALE.get(language())


def number(value: int) -> str:
    """3228 -> '3,228' (English), '3.228' (Spanish)."""
    locale = _locale()
    if locale is None:
        return f"{value:,}"
    from babel.numbers import format_decimal

    return format_decimal(value, locale=locale)


def day(moment: datetime) -> str:
    """The day of `moment` in its own zone: 'Wednesday 28 July 2027', 'miércoles, 28 de julio de 2027'."""
    locale = _locale()
    if locale is None:
        return f"{moment:%A %d %B %Y}"
    from babel.dates import format_date

    return format_date(moment.date(), "full", locale=locale)


def zone_name(zone: tzinfo) -> str:
    """'America/Lima' (English, as the schedule writes it), 'hora de Lima' (Spanish)."""
    key = zone.key if isinstance(zone, ZoneInfo) else str(zone)
    locale = _locale()
    if locale is None:
        return key
    from babel.dates import get_timezone_location

    city = get_timezone_location(zone, locale=locale, return_city=True)
    return _("{city} time").format(city=city)


def moment(value: datetime, zone: tzinfo) -> str:
    """A date and time in `zone`: 'Wednesday 28 July 2027, 08:00 (America/Lima)' or, in Spanish,
    'miércoles, 28 de julio de 2027, 08:00 (hora de Lima)'."""
    local = value.astimezone(zone)
    return _("{day}, {time} ({zone})").format(day=day(local), time=f"{local:%H:%M}", zone=zone_name(zone))


# The bot's strftime formats with names of days or months, and their CLDR patterns.
_PATTERNS = {"%A %d %B %Y": "full", "%A %d %B %Y, %H:%M": "full+time", "%a %d %b %H:%M": "EEE d MMM HH:mm"}


def strftime(value: datetime, fmt: str) -> str:
    """`value.strftime(fmt)` in the language in use: names of days and months from CLDR in Spanish."""
    locale = _locale()
    pattern = _PATTERNS.get(fmt)
    if locale is None or pattern is None:
        return value.strftime(fmt)
    if pattern == "full":
        return day(value)
    if pattern == "full+time":
        return f"{day(value)}, {value:%H:%M}"
    from babel.dates import format_datetime

    return format_datetime(value, pattern, locale=locale)
