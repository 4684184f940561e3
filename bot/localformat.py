"""Dates, times and numbers in the language in use: the one owner of Babel (CLDR data).

English keeps the bot's own compact forms (`Wednesday 28 July 2027`, `3,228`) and never loads Babel; Spanish
formats with CLDR's data (`miércoles, 28 de julio de 2027, 08:00 (hora de Lima)`, `3.228`) as copied from
Babel into bot/_cldr_data.py (tools/gen_cldr_data.py; tests/test_localformat_cldr.py checks every form
against Babel's own), so that a command neither imports Babel nor unpickles its locale data; what the copy
lacks (a time zone Babel does not list) is asked of Babel, imported inside the function.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import _, language

# CLDR's Spanish (es) writes thousands with a point, as the Peruvian State does in prose (es_PE uses a comma).
_CLDR_LOCALE = {"es": "es"}


def _locale() -> str | None:
    return _CLDR_LOCALE.get(language())


def _cldr(locale: str) -> dict[str, Any]:
    from bot._cldr_data import DATA

    return DATA[locale]


def _pattern(value: datetime | date, locale: str, name: str) -> str:
    """`value` in the CLDR pattern `name` of bot/_cldr_data.py (the fields Babel's format_datetime fills)."""
    data = _cldr(locale)
    fields = {
        "EEEE": data["days"][value.weekday()],
        "EEE": data["days_abbr"][value.weekday()],
        "d": str(value.day),
        "MMMM": data["months"][value.month - 1],
        "MMM": data["months_abbr"][value.month - 1],
        "y": str(value.year),
    }
    if isinstance(value, datetime):
        fields |= {"HH": f"{value.hour:02d}", "mm": f"{value.minute:02d}"}
    template: str = data["patterns"][name]
    return template % fields


def number(value: int) -> str:
    """3228 -> '3,228' (English), '3.228' (Spanish)."""
    locale = _locale()
    if locale is None:
        return f"{value:,}"
    data = _cldr(locale)
    if data["grouping"] != [3, 3]:  # pragma: no cover - no such language yet: Babel knows the pattern
        from babel.numbers import format_decimal

        return format_decimal(value, locale=locale)
    digits = f"{abs(value):,}".replace(",", data["group"])
    return data["minus"] + digits if value < 0 else digits


def money(dollars: float, places: int = 2) -> str:
    """An amount of US dollars: 'US$0.24' (English), '0,24 US$' (Spanish, CLDR's currency pattern)."""
    from decimal import ROUND_HALF_EVEN, Decimal  # 1 ms: only for a campaign with a price to show

    # rounded as written in decimal, half to even (as CLDR and Babel do): 0.015 -> 0.02, not float's 0.01
    exact = Decimal(repr(dollars)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    locale = _locale()
    if locale is None:
        return f"US${exact:,}"
    data = _cldr(locale)
    whole, _point, fraction = f"{abs(exact):,}".partition(".")
    amount = whole.replace(",", data["group"]) + (data["decimal"] + fraction if places else "")
    prefix, suffix = data["money"]
    sign = str(data["minus"]) if dollars < 0 else ""
    return f"{sign}{prefix}{amount}{suffix}"


def day(moment: datetime) -> str:
    """The day of `moment` in its own zone: 'Wednesday 28 July 2027', 'miércoles, 28 de julio de 2027'."""
    locale = _locale()
    if locale is None:
        return f"{moment:%A %d %B %Y}"
    return _pattern(moment.date(), locale, "full")


def zone_name(zone: tzinfo) -> str:
    """'America/Lima' (English, as the schedule writes it), 'hora de Lima' (Spanish)."""
    key = zone.key if isinstance(zone, ZoneInfo) else str(zone)
    locale = _locale()
    if locale is None:
        return key
    city = _cldr(locale)["cities"].get(key) if isinstance(zone, ZoneInfo) else None
    if city is None:
        from babel.dates import get_timezone_location

        city = get_timezone_location(zone, locale=locale, return_city=True)
    return _("{city} time").format(city=city)


def moment(value: datetime, zone: tzinfo) -> str:
    """A date and time in `zone`: 'Wednesday 28 July 2027, 08:00 (America/Lima)' or, in Spanish,
    'miércoles, 28 de julio de 2027, 08:00 (hora de Lima)'."""
    local = value.astimezone(zone)
    return _("{day}, {time} ({zone})").format(day=day(local), time=f"{local:%H:%M}", zone=zone_name(zone))


# The bot's strftime formats with names of days or months, and their CLDR patterns.
_PATTERNS = {"%A %d %B %Y": "full", "%A %d %B %Y, %H:%M": "full+time", "%a %d %b %H:%M": "short_moment"}


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
    return _pattern(value, locale, pattern)
