"""Dates in templates: Byzer's built-in date variables and Joda-style ``${date.toString("yyyyMMdd")}``.

Byzer scripts format dates with Joda-Time patterns (``yyyy-MM-dd HH:mm:ss``, ``EEE``, quoted literals
``'T'``); ``format_joda`` implements those pattern letters on a Python ``datetime``. ``JodaDate`` is the
value ``date`` takes inside templates, with the Joda methods scripts call on it (``minusDays(1)``...).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

DATE_FORMAT = "%Y-%m-%d"
_PATTERN_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")
_MONTHS = [calendar.month_name[i] for i in range(13)]
_DAYS = [calendar.day_name[i] for i in range(7)]


def builtin_variables(owner: str, home: str, today: date | None = None) -> dict[str, str]:
    """``date``, ``today``, ``yesterday``, ``tomorrow``, ``theDayBeforeYesterday``, ``HOME``, ``OWNER``."""
    now = datetime.now()
    if isinstance(today, datetime):
        moment = today
    elif today is not None:
        moment = datetime(today.year, today.month, today.day)
    else:
        moment = now
    variables = date_variables(moment)
    variables["HOME"] = home
    variables["OWNER"] = owner
    return variables


def date_variables(moment: datetime) -> dict[str, str]:
    day = moment.date()
    return {
        "date": moment.isoformat(timespec="seconds"),
        "today": day.strftime(DATE_FORMAT),
        "yesterday": (day - timedelta(days=1)).strftime(DATE_FORMAT),
        "tomorrow": (day + timedelta(days=1)).strftime(DATE_FORMAT),
        "theDayBeforeYesterday": (day - timedelta(days=2)).strftime(DATE_FORMAT),
    }


def parse_moment(text: str) -> datetime | None:
    """A ``date`` variable's value (ISO date or date-time) as a datetime; None when it is not one."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def format_joda(moment: datetime, pattern: str) -> str:
    """Format ``moment`` with a Joda-Time pattern such as ``yyyy-MM-dd HH:mm:ss.SSS``."""
    out: list[str] = []
    for match in _PATTERN_TOKEN.finditer(pattern):
        piece = match.group()
        if piece.startswith("'"):
            out.append("'" if piece == "''" else piece[1:-1].replace("''", "'"))
        elif match.group(1):
            out.append(_field(moment, piece[0], len(piece)))
        else:
            out.append(piece)
    return "".join(out)


def _field(moment: datetime, letter: str, width: int) -> str:
    if letter in "yYu":
        year = moment.year
        return f"{year % 100:02d}" if width == 2 else str(year).zfill(width)
    if letter == "M":
        if width >= 4:
            return _MONTHS[moment.month]
        if width == 3:
            return _MONTHS[moment.month][:3]
        return str(moment.month).zfill(width)
    if letter == "E":
        name = _DAYS[moment.weekday()]
        return name if width >= 4 else name[:3]
    if letter == "a":
        return "AM" if moment.hour < 12 else "PM"
    if letter == "S":
        return f"{moment.microsecond:06d}"[:width].ljust(width, "0")
    numbers = {
        "d": moment.day,
        "H": moment.hour,
        "k": moment.hour or 24,
        "h": (moment.hour % 12) or 12,
        "K": moment.hour % 12,
        "m": moment.minute,
        "s": moment.second,
        "D": moment.timetuple().tm_yday,
        "e": moment.isoweekday(),
        "w": moment.isocalendar()[1],
        "x": moment.isocalendar()[0],
    }
    if letter in numbers:
        return str(numbers[letter]).zfill(width)
    if letter == "Z":
        offset = moment.utcoffset()
        if offset is None:
            return "Z" if width == 1 else "+00:00"
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        return f"{sign}{hours:02d}{':' if width > 1 else ''}{rest:02d}"
    return letter * width  # unknown letters are kept, as a reader would expect


class JodaDate:
    """The ``date`` object of templates: Joda-style arithmetic and formatting on a datetime."""

    __slots__ = ("moment",)

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __str__(self) -> str:
        return self.moment.isoformat(timespec="seconds")

    def call(self, method: str, args: list[object]) -> object:
        """Run a Joda method by name; raises KeyError/TypeError/ValueError when it does not apply."""
        moment = self.moment
        if method == "toString":
            return format_joda(moment, str(args[0])) if args else str(self)
        amount = int(str(args[0])) if args else 0
        shifts = {
            "Millis": timedelta(milliseconds=1),
            "Seconds": timedelta(seconds=1),
            "Minutes": timedelta(minutes=1),
            "Hours": timedelta(hours=1),
            "Days": timedelta(days=1),
            "Weeks": timedelta(weeks=1),
        }
        for prefix, sign in (("plus", 1), ("minus", -1)):
            if method.startswith(prefix):
                unit = method[len(prefix) :]
                if unit in shifts:
                    return JodaDate(moment + sign * amount * shifts[unit])
                if unit == "Months":
                    return JodaDate(_add_months(moment, sign * amount))
                if unit == "Years":
                    return JodaDate(_add_months(moment, sign * amount * 12))
        getters = {
            "getYear": moment.year,
            "getMonthOfYear": moment.month,
            "getDayOfMonth": moment.day,
            "getDayOfWeek": moment.isoweekday(),
            "getDayOfYear": moment.timetuple().tm_yday,
            "getHourOfDay": moment.hour,
            "getMinuteOfHour": moment.minute,
            "getSecondOfMinute": moment.second,
            "getMillis": int(moment.timestamp() * 1000),
        }
        if method in getters:
            return getters[method]
        if method == "withDayOfMonth":
            return JodaDate(moment.replace(day=amount))
        if method == "withMonthOfYear":
            return JodaDate(moment.replace(month=amount))
        if method == "withDayOfWeek":
            return JodaDate(moment + timedelta(days=amount - moment.isoweekday()))
        if method == "withTimeAtStartOfDay":
            return JodaDate(moment.replace(hour=0, minute=0, second=0, microsecond=0))
        raise KeyError(method)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
