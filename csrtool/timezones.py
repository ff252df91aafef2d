"""Time zones, their territories, and the date format CLDR gives each of them.

The date format is never entered: it follows from the zone. The zone's territory
(legacy aliases such as America/Montreal canonicalised first) gives the territory's
main locale through CLDR likely subtags, and that locale's short date pattern is the
format. UTC, Etc/* and zones without a territory use ISO 8601.
"""

import functools
import zoneinfo
from datetime import UTC, date, datetime

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date, format_datetime

ISO_PATTERN = "yyyy-MM-dd"


# Present in the system's zone folder but not time zones anyone lives in.
_NOT_ZONES = {"localtime", "Factory", "posixrules", "posix", "right"}


@functools.cache
def available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - _NOT_ZONES)


def is_valid_zone(name: str) -> bool:
    return name in available_zones()


def canonical_zone(name: str) -> str:
    return get_global("zone_aliases").get(name, name)


def zone_territory(name: str) -> str | None:
    """ISO 3166 territory of a zone, or None for UTC, Etc/* and the like."""
    territory = get_global("zone_territories").get(canonical_zone(name))
    if territory in (None, "ZZ", "001"):
        return None
    return territory


@functools.cache
def date_locale(name: str) -> Locale | None:
    territory = zone_territory(name)
    if territory is None:
        return None
    try:
        return Locale.parse(f"und_{territory}")
    except (ValueError, LookupError, UnknownLocaleError):
        return None


def date_pattern(name: str) -> str:
    """The CLDR short date pattern for a zone, e.g. M/d/yy for America/New_York."""
    locale = date_locale(name)
    if locale is None:
        return ISO_PATTERN
    return locale.date_formats["short"].pattern


def format_local_date(value: date | datetime, zone: str) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(zoneinfo.ZoneInfo(zone)).date()
    locale = date_locale(zone)
    if locale is None:
        return value.isoformat()
    return format_date(value, format="short", locale=locale)


def format_local_datetime(value: datetime, zone: str) -> str:
    """Date in the zone's own format, a 24-hour time and the zone's abbreviation."""
    local = value.astimezone(zoneinfo.ZoneInfo(zone))
    return f"{format_local_date(local, zone)} {local:%H:%M} {local.tzname()}"


def viewer_datetime(value: datetime) -> str:
    """A moment in the viewer's zone (the one activated for this request or
    command) and that zone's format: 3/6/26 21:30 EST, 2026-03-07 02:30 UTC."""
    from django.utils import timezone

    return format_local_datetime(value, timezone.get_current_timezone_name())


def viewer_date(value: date | datetime) -> str:
    from django.utils import timezone

    return format_local_date(value, timezone.get_current_timezone_name())


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone, read from its file once (ZoneInfo keeps only the zones in use
    and a few more: the ~600 of a list of every zone were read again each
    time)."""
    return zoneinfo.ZoneInfo(name)


def utc_offset_label(name: str, at: datetime) -> str:
    offset = at.astimezone(_zone(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "\u2212"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def zone_choices(at: datetime) -> tuple[tuple[str, str], ...]:
    """Every IANA zone with its UTC offset at `at`, sorted by name (worked out
    once a minute: offsets change on the minute)."""
    return _zone_choices(at.astimezone(UTC).replace(second=0, microsecond=0))


@functools.lru_cache(maxsize=2)
def _zone_choices(minute: datetime) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, utc_offset_label(name, minute)) for name in sorted(available_zones())
    )


def sample_date(zone: str, today: date) -> str:
    return format_local_date(today, zone)


__all__ = [
    "ISO_PATTERN",
    "available_zones",
    "canonical_zone",
    "date_locale",
    "date_pattern",
    "format_datetime",
    "format_local_date",
    "format_local_datetime",
    "is_valid_zone",
    "sample_date",
    "utc_offset_label",
    "viewer_date",
    "viewer_datetime",
    "zone_choices",
    "zone_territory",
]


def rfc3339(value: datetime) -> str:
    """A moment as the API writes it (RFC 3339 in UTC, e.g.
    2026-12-03T03:37:30.120Z), for CSV exports and the command line's JSON."""
    from django.core.serializers.json import DjangoJSONEncoder

    return DjangoJSONEncoder().default(value.astimezone(UTC))
