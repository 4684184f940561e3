"""bot/_cldr_data.py is Babel's CLDR data, and bot.localformat formats with it exactly as Babel does.

The Spanish interface formats dates, zones and numbers from the copy of Babel's data in bot/_cldr_data.py
(so that a command does not import Babel): the copy must be what tools/gen_cldr_data.py makes of the Babel
installed, and every form must be Babel's own, byte for byte, over whole years of dates and many numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from babel.dates import format_date, format_datetime, get_timezone_location
from babel.numbers import format_currency, format_decimal

from bot import localformat
from bot.catalog import use

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def spanish() -> Iterator[None]:
    use("es")
    try:
        yield
    finally:
        use("en")


def test_the_committed_data_is_what_babel_generates() -> None:
    from tools import gen_cldr_data

    assert (REPO / "bot" / "_cldr_data.py").read_text(encoding="utf-8") == gen_cldr_data.render()


def _days() -> Iterator[date]:
    first = date(2026, 1, 1)
    for offset in range(3 * 366):  # three whole years, a leap year among them: every weekday in every month
        yield first + timedelta(days=offset)


@pytest.mark.usefixtures("spanish")
def test_dates_are_babels() -> None:
    for day in _days():
        moment = datetime(day.year, day.month, day.day, day.day % 24, (day.day * 7) % 60, tzinfo=UTC)
        assert localformat.day(moment) == format_date(day, "full", locale="es")
        assert localformat.strftime(moment, "%A %d %B %Y") == format_date(day, "full", locale="es")
        assert localformat.strftime(moment, "%a %d %b %H:%M") == format_datetime(moment, "EEE d MMM HH:mm", locale="es")
        naive = moment.replace(tzinfo=None)
        assert localformat.strftime(naive, "%a %d %b %H:%M") == format_datetime(naive, "EEE d MMM HH:mm", locale="es")


@pytest.mark.usefixtures("spanish")
def test_numbers_are_babels() -> None:
    values = [*range(-1100, 1100), *range(0, 10**7, 997), 10**9 + 7, -(10**6)]
    for value in values:
        assert localformat.number(value) == format_decimal(value, locale="es"), value


@pytest.mark.usefixtures("spanish")
def test_zone_names_are_babels() -> None:
    from bot._cldr_data import DATA

    cities: dict[str, str] = DATA["es"]["cities"]  # type: ignore[assignment]
    assert "America/Lima" in cities
    for key in sorted(cities.keys() & available_timezones()):  # a name the database lacks cannot be a ZoneInfo
        zone = ZoneInfo(key)
        city = get_timezone_location(zone, locale="es", return_city=True)
        assert localformat.zone_name(zone) == f"hora de {city}", key
    assert localformat.zone_name(ZoneInfo("America/Lima")) == "hora de Lima"


@pytest.mark.usefixtures("spanish")
def test_a_zone_the_copy_lacks_is_asked_of_babel() -> None:
    import tzdata  # type: ignore[import-untyped]

    lima = Path(tzdata.__file__).parent / "zoneinfo" / "America" / "Lima"
    with lima.open("rb") as stream:
        zone = ZoneInfo.from_file(stream, key="America/Ciudad_Nueva")  # a zone name CLDR does not know
    assert "America/Ciudad_Nueva" not in localformat._cldr("es")["cities"]
    assert get_timezone_location(zone, locale="es", return_city=True) == "Ciudad Nueva"
    assert localformat.zone_name(zone) == "hora de Ciudad Nueva"


@pytest.mark.usefixtures("spanish")
def test_dollar_amounts_are_babels() -> None:
    amounts = [0.0, 0.015, 0.2, 0.24, 1.5, 12.345, 999.999, 1234.5, 98765.43, 1234567.891]
    for amount in amounts:
        assert localformat.money(amount) == format_currency(amount, "USD", locale="es"), amount
        # three decimals (a post's price): the same pattern with one more fraction digit
        three = format_currency(amount, "USD", locale="es", format="#,##0.000\u00a0¤", currency_digits=False)
        assert localformat.money(amount, 3) == three, amount


def test_dollar_amounts_in_english_keep_the_compact_form() -> None:
    assert localformat.money(0.24) == "US$0.24"
    assert localformat.money(0.015, 3) == "US$0.015"
    assert localformat.money(0.015) == "US$0.02"
    assert localformat.money(1234.5) == "US$1,234.50"
