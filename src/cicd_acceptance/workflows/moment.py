"""Dates rendered the way moment.js (``moment-timezone``) formats them in the English locale.

docker/metadata-action renders ``{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}`` and ``{{commit_date ...}}`` with
moment; this gives the same text for the same instant. A zone moment-timezone does not know leaves the time in
UTC (moment logs an error and keeps the runner's zone, which is UTC on GitHub's runners).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["default_format", "format_moment", "in_zone"]

_TOKENS = re.compile(
    r"\[[^\[]*\]|\\.|Hmmss|Hmm|hmmss|hmm|Mo|MMMM|MMM|MM|M|Do|DDDo|DDDD|DDD|DD|D|dddd|ddd|dd|do|d|wo|ww|w|Wo|WW|W"
    r"|Qo|Q|N{1,5}|YYYYYY|YYYYY|YYYY|YY|gggg|ggggg|gg|GGGGG|GGGG|GG|e|E|a|A|hh|h|HH|H|kk|k|mm|m|ss|s|S{1,9}|x|X"
    r"|zz|z|ZZ|Z|.",
    re.DOTALL,
)
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_NO_ZONE = timezone(timedelta(0), "")  # moment without zone data: offset 0, and `z` prints nothing
_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def in_zone(instant: datetime, tz: str) -> datetime:
    """``instant`` in zone ``tz`` (UTC when the zone is unknown, as moment-timezone leaves it)."""
    aware = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    try:
        zone: ZoneInfo | timezone = ZoneInfo(tz) if tz.upper() != "UTC" else UTC
    except (ZoneInfoNotFoundError, ValueError, OSError):
        zone = _NO_ZONE
    return aware.astimezone(zone)


_LOCALIZED = {"LTS": "h:mm:ss A", "LT": "h:mm A", "L": "MM/DD/YYYY", "LL": "MMMM D, YYYY",
              "LLL": "MMMM D, YYYY h:mm A", "LLLL": "dddd, MMMM D, YYYY h:mm A", "l": "M/D/YYYY",
              "ll": "MMM D, YYYY", "lll": "MMM D, YYYY h:mm A", "llll": "ddd, MMM D, YYYY h:mm A"}
_LOCALIZED_TOKENS = re.compile(r"(\[[^\[]*\])|(\\)?(LTS|LT|LL?L?L?|l{1,4})")


def default_format(moment: datetime) -> str:
    """What ``format()`` with no format uses: ``Z`` in a zone at offset 0, else the offset (``+00:00`` when moment
    had no data for the zone and stayed in the runner's local time)."""
    if moment.tzinfo is not _NO_ZONE and not moment.utcoffset():
        return "YYYY-MM-DDTHH:mm:ss[Z]"
    return "YYYY-MM-DDTHH:mm:ssZ"


def format_moment(moment: datetime, pattern: str) -> str:
    """``moment(moment).format(pattern)``; ``moment`` is timezone-aware (see :func:`in_zone`)."""
    expanded = _LOCALIZED_TOKENS.sub(
        lambda found: found.group(0) if found.group(1) or found.group(2) else _LOCALIZED[found.group(3)], pattern)
    return "".join(_token(moment, token) for token in _TOKENS.findall(expanded))


def _ordinal(number: int) -> str:
    if number % 100 in (11, 12, 13):
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def _year(year: int, width: int) -> str:
    return str(year).zfill(width) if year <= 9999 or width > 4 else f"+{year}"


def _sunday_index(moment: datetime) -> int:
    return (moment.weekday() + 1) % 7


def _first_week_offset(year: int) -> int:
    # English locale: weeks start on Sunday (dow 0) and the week holding January 1st is week 1 (doy 6).
    fwd = 7 + 0 - 6
    fwdlw = (7 + _sunday_index(datetime(year, 1, fwd)) - 0) % 7
    return -fwdlw + fwd - 1


def _weeks_in_year(year: int) -> int:
    days = 366 if date(year, 12, 31).timetuple().tm_yday == 366 else 365
    return (days - _first_week_offset(year) + _first_week_offset(year + 1)) // 7


def _locale_week(moment: datetime) -> tuple[int, int]:
    year = moment.year
    week = (moment.timetuple().tm_yday - _first_week_offset(year) - 1) // 7 + 1
    if week < 1:
        return week + _weeks_in_year(year - 1), year - 1
    if week > _weeks_in_year(year):
        return week - _weeks_in_year(year), year + 1
    return week, year


def _offset(moment: datetime, separator: str) -> str:
    delta = moment.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{separator}{minutes % 60:02d}"


def _token(m: datetime, token: str) -> str:
    if token.startswith("[") and token.endswith("]") and len(token) >= 2:
        return token[1:-1]
    if token.startswith("\\") and len(token) == 2:
        return token[1]
    hour12 = m.hour % 12 or 12
    simple: dict[str, str] = {
        "M": str(m.month), "MM": f"{m.month:02d}", "Mo": _ordinal(m.month), "MMM": _MONTHS[m.month - 1][:3],
        "MMMM": _MONTHS[m.month - 1],
        "D": str(m.day), "DD": f"{m.day:02d}", "Do": _ordinal(m.day),
        "DDD": str(m.timetuple().tm_yday), "DDDD": f"{m.timetuple().tm_yday:03d}",
        "DDDo": _ordinal(m.timetuple().tm_yday),
        "d": str(_sunday_index(m)), "do": _ordinal(_sunday_index(m)), "dd": _DAYS[_sunday_index(m)][:2],
        "ddd": _DAYS[_sunday_index(m)][:3], "dddd": _DAYS[_sunday_index(m)],
        "e": str(_sunday_index(m)), "E": str(m.isoweekday()),
        "W": str(m.isocalendar()[1]), "WW": f"{m.isocalendar()[1]:02d}", "Wo": _ordinal(m.isocalendar()[1]),
        "GG": f"{m.isocalendar()[0] % 100:02d}", "GGGG": _year(m.isocalendar()[0], 4),
        "GGGGG": _year(m.isocalendar()[0], 5),
        "Q": str((m.month - 1) // 3 + 1), "Qo": _ordinal((m.month - 1) // 3 + 1),
        "YY": f"{m.year % 100:02d}", "YYYY": _year(m.year, 4), "YYYYY": _year(m.year, 5),
        "YYYYYY": ("+" if m.year >= 0 else "-") + str(abs(m.year)).zfill(6),
        "N": "AD", "NN": "AD", "NNN": "AD", "NNNN": "Anno Domini", "NNNNN": "AD",
        "a": "am" if m.hour < 12 else "pm", "A": "AM" if m.hour < 12 else "PM",
        "H": str(m.hour), "HH": f"{m.hour:02d}", "h": str(hour12), "hh": f"{hour12:02d}",
        "k": str(m.hour or 24), "kk": f"{m.hour or 24:02d}",
        "m": str(m.minute), "mm": f"{m.minute:02d}", "s": str(m.second), "ss": f"{m.second:02d}",
        "Hmm": f"{m.hour}{m.minute:02d}", "Hmmss": f"{m.hour}{m.minute:02d}{m.second:02d}",
        "hmm": f"{hour12}{m.minute:02d}", "hmmss": f"{hour12}{m.minute:02d}{m.second:02d}",
        "X": str(int(m.timestamp())), "x": str(int(m.timestamp() * 1000)),
        "Z": _offset(m, ":"), "ZZ": _offset(m, ""), "z": m.tzname() or "", "zz": m.tzname() or "",
    }
    if token in simple:
        return simple[token]
    if token in ("w", "ww", "wo", "gg", "gggg", "ggggg"):
        week, week_year = _locale_week(m)
        return {"w": str(week), "ww": f"{week:02d}", "wo": _ordinal(week), "gg": f"{week_year % 100:02d}",
                "gggg": _year(week_year, 4), "ggggg": _year(week_year, 5)}[token]
    if set(token) == {"S"}:
        millis = f"{m.microsecond // 1000:03d}"
        return (millis + "0" * 6)[:len(token)]
    return token
