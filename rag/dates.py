"""Article dates as ISO dates (YYYY-MM-DD), from the forms news sources write them in: ISO
timestamps, RFC 2822 (feeds), day-first numbers, English and Arabic month names (the Egyptian and
Gulf names يناير … and the Levantine كانون الثاني …), Arabic-Indic digits, and Hijri dates (هـ,
converted by the Umm al-Qura calendar)."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime

ENGLISH_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
                  "september", "october", "november", "december"]
_MONTHS = {name: n for n, name in enumerate(ENGLISH_MONTHS, 1)}
_MONTHS.update({name[:3]: n for n, name in enumerate(ENGLISH_MONTHS, 1)})
_MONTHS["sept"] = 9
for n, names in enumerate([
        ("يناير", "كانون الثاني"), ("فبراير", "شباط"), ("مارس", "آذار", "اذار"), ("أبريل", "ابريل", "إبريل", "نيسان"),
        ("مايو", "أيار", "ايار"), ("يونيو", "يونية", "حزيران"), ("يوليو", "يولية", "تموز"),
        ("أغسطس", "اغسطس", "آب", "اب"), ("سبتمبر", "أيلول", "ايلول"), ("أكتوبر", "اكتوبر", "تشرين الأول", "تشرين الاول"),
        ("نوفمبر", "تشرين الثاني"), ("ديسمبر", "كانون الأول", "كانون الاول")], 1):
    _MONTHS.update((name, n) for name in names)
_HIJRI_MONTHS = {}
for n, names in enumerate([
        ("محرم",), ("صفر",), ("ربيع الأول", "ربيع الاول"), ("ربيع الثاني", "ربيع الآخر", "ربيع الاخر"),
        ("جمادى الأولى", "جمادى الاولى", "جمادى الأول"), ("جمادى الآخرة", "جمادى الاخرة", "جمادى الثانية"),
        ("رجب",), ("شعبان",), ("رمضان",), ("شوال",), ("ذو القعدة", "ذي القعدة"), ("ذو الحجة", "ذي الحجة")], 1):
    _HIJRI_MONTHS.update((name, n) for name in names)

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_WORD_MONTH = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_HIJRI_MONTH = "|".join(sorted((re.escape(m) for m in _HIJRI_MONTHS), key=len, reverse=True))
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_DAY_MONTH_YEAR = re.compile(rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_WORD_MONTH})\.?,?\s+(\d{{4}})(?!\d)", re.I)
_MONTH_DAY_YEAR = re.compile(rf"(?<![\w])({_WORD_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)", re.I)
_HIJRI = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_HIJRI_MONTH})\s+(\d{{4}})\s*(?:هـ|ه|هجري|هجرية)?")
_HIJRI_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[-/](\d{1,2})[-/](1[34]\d\d)\s*(?:هـ|ه)")


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat() if 1800 <= year <= 2200 else None
    except ValueError:
        return None


def _from_hijri(year: int, month: int, day: int) -> str | None:
    from hijridate import Hijri

    try:
        return Hijri(year, month, day).to_gregorian().isoformat()
    except (ValueError, OverflowError):  # outside the Umm al-Qura table (1343-1500 AH) or no such day
        return None


def find_date(text: str) -> str | None:
    """The first date written in `text`, as an ISO date; None when there is none."""
    text = " ".join(str(text).translate(_DIGITS).split())
    found: list[tuple[int, str]] = []
    for pattern, order in ((_ISO, "ymd"), (_DAY_MONTH_YEAR, "dmy"), (_MONTH_DAY_YEAR, "mdy"), (_DAY_FIRST, "dmy")):
        for m in pattern.finditer(text):
            parts = dict(zip(order, m.groups()))
            month = parts["m"]
            month = int(month) if month.isdigit() else _MONTHS.get(month.lower().rstrip("."))
            if month is None:
                continue
            iso = _valid(int(parts["y"]), month, int(parts["d"]))
            if iso:
                found.append((m.start(), iso))
                break
    for pattern in (_HIJRI, _HIJRI_NUMERIC):
        for m in pattern.finditer(text):
            day, month, year = m.groups()
            month = int(month) if month.isdigit() else _HIJRI_MONTHS[month]
            iso = _from_hijri(int(year), month, int(day))
            if iso:
                # a Hijri date is often written beside its Gregorian one: the Gregorian is kept
                found.append((m.start() + len(text), iso))
                break
    return min(found)[1] if found else None


def iso_date(value) -> str | None:
    """A date field's value (a string, a timestamp in seconds, a date) as an ISO date; None
    when it holds no date this module reads."""
    if value is None or value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:  # seconds since 1970, or milliseconds as some feeds write them
            seconds = value / 1000 if value > 1e11 else value
            return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if re.match(r"^[A-Za-z]{3},\s", text):  # RFC 2822, as RSS feeds write it
        try:
            return parsedate_to_datetime(text).date().isoformat()
        except (TypeError, ValueError):
            pass
    return find_date(text)


def shown_date(iso: str) -> str:
    """An ISO date as a citation shows it: 29 September 2015."""
    try:
        day = dt.date.fromisoformat(iso[:10])
    except ValueError:
        return iso
    return f"{day.day} {ENGLISH_MONTHS[day.month - 1].capitalize()} {day.year}"
