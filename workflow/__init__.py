"""Calendar model, phase engine, scheduler and document generation."""

import zoneinfo

# Time-zone rules come from the pinned `tzdata` package only, never from the host's /usr/share/zoneinfo: Mexico
# abolished daylight saving in October 2022 (except the border strip), and a host with older rules would move
# every boundary by an hour.
zoneinfo.reset_tzpath(to=[])
