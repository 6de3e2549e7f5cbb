"""Spanish legal style: dates and numbers in words, ordinals, windows with local times and zone."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from workflow.documents import spanish as es

MONTERREY = ZoneInfo("America/Monterrey")


@pytest.mark.parametrize(
    ("d", "words"),
    [
        (date(2021, 11, 1), "primero de noviembre de dos mil veintiuno"),
        (date(2022, 2, 10), "diez de febrero de dos mil veintidós"),
        (date(2022, 6, 5), "cinco de junio de dos mil veintidós"),
        (date(2021, 12, 31), "treinta y uno de diciembre de dos mil veintiuno"),
    ],
)
def test_date_words(d: date, words: str) -> None:
    assert es.date_words(d) == words


def test_date_ranges_say_the_shared_year_and_month_once() -> None:
    assert es.date_range_words(date(2022, 1, 2), date(2022, 2, 10)) == (
        "del dos de enero al diez de febrero de dos mil veintidós"
    )
    assert es.date_range_words(date(2022, 2, 15), date(2022, 2, 17)) == (
        "del quince al diecisiete de febrero de dos mil veintidós"
    )
    assert es.date_range_words(date(2021, 12, 20), date(2022, 1, 5)) == (
        "del veinte de diciembre de dos mil veintiuno al cinco de enero de dos mil veintidós"
    )


def test_feminine_ordinals_for_bases() -> None:
    got = [es.ordinal_feminine(n) for n in (1, 2, 3, 7, 10, 11, 12, 20, 21)]
    assert got == [
        "primera",
        "segunda",
        "tercera",
        "séptima",
        "décima",
        "décima primera",
        "décima segunda",
        "vigésima",
        "vigésima primera",
    ]


def test_numbers_and_percentages_in_es_mx() -> None:
    assert es.number(13079) == "13,079"
    assert es.number(1338589) == "1,338,589"
    assert es.percentage(Decimal("1.5")) == "1.5 %"


def test_window_with_exclusive_midnight_end_reads_as_24_00_of_the_last_day() -> None:
    start, end = datetime(2022, 1, 2, 6, tzinfo=UTC), datetime(2022, 2, 11, 6, tzinfo=UTC)
    assert es.window_words(start, end, MONTERREY) == (
        "de las 00:00 horas del dos de enero a las 24:00 horas del diez de febrero de dos mil veintidós"
    )
    assert es.zone_label(start, MONTERREY) == "tiempo del centro, UTC−06:00"
    # As Mexican legal texts write it; while daylight saving applied (until October 2022), it says so.
    assert (
        es.zone_label(datetime(2022, 5, 1, tzinfo=UTC), MONTERREY) == "tiempo del centro, horario de verano, UTC−05:00"
    )


@pytest.mark.parametrize(
    ("n", "cardinal", "before_a_noun"),
    [
        (13079, "trece mil setenta y nueve", "trece mil setenta y nueve"),
        (21, "veintiuno", "veintiún"),
        (21000, "veintiún mil", "veintiún mil"),  # num2words says «veintiuno mil»
        (41001, "cuarenta y un mil uno", "cuarenta y un mil un"),
        (121000, "ciento veintiún mil", "ciento veintiún mil"),
        (31000000, "treinta y un millones", "treinta y un millones"),
        (2021, "dos mil veintiuno", "dos mil veintiún"),
    ],
)
def test_uno_is_apocopated_before_mil_millones_and_a_noun(n: int, cardinal: str, before_a_noun: str) -> None:
    assert es.words(n) == cardinal
    assert es.count_words(n) == before_a_noun


def test_feminine_counts_agree_in_the_hundreds_but_not_in_millones() -> None:
    assert es.count_words(333, feminine=True) == "trescientas treinta y tres"  # secciones
    assert es.count_words(171, feminine=True) == "ciento setenta y una"
    assert es.count_words(2_300_000, feminine=True) == "dos millones trescientas mil"
    assert es.count_words(200_000_000, feminine=True) == "doscientos millones"


def test_masculine_ordinals_for_resolutivos() -> None:
    assert [es.ordinal_masculine(n) for n in (1, 2, 3, 10, 11, 21)] == [
        "primero",
        "segundo",
        "tercero",
        "décimo",
        "décimo primero",
        "vigésimo primero",
    ]
