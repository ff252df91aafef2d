"""The date format follows the time zone through CLDR.

Zone → territory → main locale → short date pattern: these are CLDR's answers,
checked zone by zone on every continent."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from csrtool import timezones

TABLE = [
    # North America
    ("America/New_York", "US", "M/d/yy"),
    ("America/Los_Angeles", "US", "M/d/yy"),
    ("Pacific/Honolulu", "US", "M/d/yy"),
    ("America/Toronto", "CA", "y-MM-dd"),
    ("America/Mexico_City", "MX", "dd/MM/yy"),
    ("America/Nuuk", "GL", "y-MM-dd"),
    # South America
    ("America/Sao_Paulo", "BR", "dd/MM/y"),
    ("America/Argentina/Buenos_Aires", "AR", "d/M/yy"),
    ("America/Bogota", "CO", "d/MM/yy"),
    ("America/Santiago", "CL", "dd-MM-yy"),
    # Europe
    ("Europe/London", "GB", "dd/MM/y"),
    ("Europe/Paris", "FR", "dd/MM/y"),
    ("Europe/Berlin", "DE", "dd.MM.yy"),
    ("Europe/Madrid", "ES", "d/M/yy"),
    ("Europe/Rome", "IT", "dd/MM/yy"),
    ("Europe/Amsterdam", "NL", "dd-MM-y"),
    ("Europe/Stockholm", "SE", "y-MM-dd"),
    ("Europe/Moscow", "RU", "dd.MM.y"),
    ("Europe/Istanbul", "TR", "d.MM.y"),
    ("Atlantic/Reykjavik", "IS", "d.M.y"),
    # Africa
    ("Africa/Lagos", "NG", "dd/MM/y"),
    ("Africa/Johannesburg", "ZA", "y/MM/dd"),
    ("Africa/Nairobi", "KE", "dd/MM/y"),
    ("Africa/Cairo", "EG", "d\u200f/M\u200f/y"),
    # Asia
    ("Asia/Tokyo", "JP", "y/MM/dd"),
    ("Asia/Shanghai", "CN", "y/M/d"),
    ("Asia/Kolkata", "IN", "d/M/yy"),
    ("Asia/Seoul", "KR", "yy. M. d."),
    ("Asia/Singapore", "SG", "d/M/yy"),
    ("Asia/Dubai", "AE", "d\u200f/M\u200f/y"),
    ("Asia/Jakarta", "ID", "d/M/yy"),
    # Oceania
    ("Australia/Sydney", "AU", "d/M/yy"),
    ("Australia/Perth", "AU", "d/M/yy"),
    ("Pacific/Auckland", "NZ", "dd/MM/y"),
]


@pytest.mark.parametrize(("zone", "territory", "pattern"), TABLE)
def test_each_zone_gets_its_territorys_short_date_pattern(zone, territory, pattern):
    assert timezones.zone_territory(zone) == territory
    assert timezones.date_pattern(zone) == pattern


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("America/Montreal", "America/Toronto"),
        ("Asia/Calcutta", "Asia/Kolkata"),
        ("US/Eastern", "America/New_York"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
        ("GB", "Europe/London"),
        ("Japan", "Asia/Tokyo"),
    ],
)
def test_legacy_aliases_are_canonicalised_first(alias, canonical):
    assert timezones.is_valid_zone(alias)
    assert timezones.canonical_zone(alias) == canonical
    assert timezones.date_pattern(alias) == timezones.date_pattern(canonical)


@pytest.mark.parametrize(
    "zone",
    ["UTC", "Etc/UTC", "Etc/GMT+5", "Etc/GMT-14", "Zulu", "Antarctica/Troll"],
)
def test_utc_and_etc_zones_use_iso_8601(zone):
    assert timezones.date_pattern(zone) == "yyyy-MM-dd"
    assert timezones.format_local_date(date(2026, 3, 7), zone) == "2026-03-07"


def test_every_offered_zone_has_a_format():
    for zone in timezones.available_zones():
        assert timezones.date_pattern(zone)
    assert "localtime" not in timezones.available_zones()
    assert len(timezones.available_zones()) > 590


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/New_York", "3/7/26"),
        ("Europe/London", "07/03/2026"),
        ("Europe/Berlin", "07.03.26"),
        ("Asia/Tokyo", "2026/03/07"),
        ("UTC", "2026-03-07"),
    ],
)
def test_dates_are_shown_in_that_format(zone, shown):
    assert timezones.format_local_date(date(2026, 3, 7), zone) == shown


def test_a_moment_is_shown_on_the_subscribers_own_calendar_day():
    moment = datetime(2026, 3, 7, 2, 30, tzinfo=ZoneInfo("UTC"))
    # Still the 6th in New York, already the 7th in Tokyo.
    assert timezones.format_local_datetime(moment, "America/New_York") == (
        "3/6/26 21:30 EST"
    )
    assert (
        timezones.format_local_datetime(moment, "Asia/Tokyo") == "2026/03/07 11:30 JST"
    )


def test_offsets_follow_daylight_saving():
    winter = datetime(2026, 1, 15, tzinfo=ZoneInfo("UTC"))
    summer = datetime(2026, 7, 15, tzinfo=ZoneInfo("UTC"))
    assert timezones.utc_offset_label("America/New_York", winter) == "UTC\u221205:00"
    assert timezones.utc_offset_label("America/New_York", summer) == "UTC\u221204:00"
    assert timezones.utc_offset_label("Asia/Kolkata", summer) == "UTC+05:30"


def test_the_list_of_zones_gives_each_its_offset_at_the_minute_asked():
    utc = ZoneInfo("UTC")
    # St. John's moves its clocks on at 02:00 on 8 March 2026 (05:30 UTC).
    before = datetime(2026, 3, 8, 5, 29, 59, tzinfo=utc)
    after = datetime(2026, 3, 8, 5, 30, 30, tzinfo=utc)
    for moment, offset in ((before, "03:30"), (after, "02:30"), (before, "03:30")):
        zones = dict(timezones.zone_choices(moment))
        assert zones["America/St_Johns"] == f"UTC\u2212{offset}"


def test_a_form_with_a_time_zone_offers_every_zone_with_its_offset(cast, client_for):
    page = client_for(cast.bob).get("/subscribers/new/").content.decode()

    datalist = page[page.index('<datalist id="time-zones">') :]
    datalist = datalist[: datalist.index("</datalist>")]
    assert datalist.count("<option ") == len(timezones.available_zones())
    assert '<option value="Asia/Kolkata">UTC+05:30</option>' in datalist
