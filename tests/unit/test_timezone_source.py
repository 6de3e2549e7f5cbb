import zoneinfo
from datetime import datetime

import workflow  # noqa: F401  (sets the zone source)


def test_zone_rules_come_from_the_tzdata_package_not_the_host() -> None:
    assert zoneinfo.TZPATH == ()
    # Mexico abolished daylight saving after October 2022: only the tzdata package guarantees that here.
    assert datetime(2023, 6, 1, tzinfo=zoneinfo.ZoneInfo("America/Monterrey")).utcoffset().total_seconds() == -6 * 3600
    assert datetime(2023, 6, 1, tzinfo=zoneinfo.ZoneInfo("America/Matamoros")).utcoffset().total_seconds() == -5 * 3600
