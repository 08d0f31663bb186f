"""The field types every input schema uses, so that no input can reach storage, a PDF or a spreadsheet
in a shape they cannot hold.

- `Text`: proper Unicode (no lone surrogates, which cannot be encoded or stored) without control
  characters (they break XLSX files and screens), except line breaks and tabs where a field is
  `multiline`. Its length limit can come from the model field it is stored in (`fits=`), so the model and
  the schema share one limit.
- `Moment` and `Day`: a time or date inside a plausible window around the server's clock, with a clear
  422 instead of an overflow deep in the driver.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from marshmallow import ValidationError, fields, validate
from mongoengine import StringField

from app.clock import CHINA_TZ, now

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# the same rule as a JSON Schema pattern, so the spec says what text is accepted
_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
_PATTERN_BUT_LINES = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"

TEXT_ERRORS = {
    "surrogate": "文本含无效的 Unicode 字符 Text contains an invalid Unicode surrogate",
    "control": "文本含控制字符 Text contains a control character",
}


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be accepted as text ("surrogate" or "control"), or None when it can."""
    if _SURROGATE.search(value):
        return "surrogate"
    if (_CONTROL_BUT_LINES if multiline else _CONTROL).search(value):
        return "control"
    return None


class Text(fields.String):
    """A string that is proper Unicode without control characters (line breaks allowed if `multiline`).

    `fits` is the mongoengine StringField the value is stored in: its max_length becomes this field's.
    """

    default_error_messages = TEXT_ERRORS

    def __init__(
        self,
        *,
        multiline: bool = False,
        max_length: int | None = None,
        min_length: int | None = None,
        fits: StringField | None = None,
        **kwargs,
    ):
        if fits is not None and max_length is None:
            max_length = fits.max_length
        validators = list(_as_list(kwargs.pop("validate", None)))
        if max_length is not None or min_length is not None:
            validators.insert(0, validate.Length(min=min_length, max=max_length))
        metadata = dict(kwargs.pop("metadata", None) or {})
        if not any(isinstance(v, validate.Regexp) for v in validators):
            metadata.setdefault("pattern", _PATTERN_BUT_LINES if multiline else _PATTERN)
        super().__init__(validate=validators, metadata=metadata, **kwargs)
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = text_problem(text, multiline=self.multiline)
        if problem:
            raise self.make_error(problem)
        return text


def implausible_time(moment: datetime, *, past: timedelta, ahead: timedelta) -> str | None:
    """Why `moment` is implausible (before `past` ago or after `ahead` from now), or None when it is not.
    Comparisons of aware datetimes never overflow, whatever the year; a naive one is read as China time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    stamp = now()
    earliest, latest = stamp - past, stamp + ahead
    if earliest <= moment <= latest:
        return None
    return (
        f"时间不合理，应在 {_minutes(earliest)} 至 {_minutes(latest)} 之间 Implausible time: must be between "
        f"{_minutes(earliest)} and {_minutes(latest)}"
    )


def _minutes(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).isoformat(timespec="minutes")


class Moment(fields.AwareDateTime):
    """An ISO 8601 date-time (China time when it has no offset) between `past` before now and `ahead`
    after it: a visit on 0001-01-01 or 9999-12-31 is refused with 422, never stored or overflowed."""

    def __init__(self, *, past: timedelta, ahead: timedelta, **kwargs):
        kwargs.setdefault("default_timezone", CHINA_TZ)
        super().__init__(**kwargs)
        self.past, self.ahead = past, ahead

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        problem = implausible_time(moment, past=self.past, ahead=self.ahead)
        if problem:
            raise ValidationError(problem)
        return moment


class Day(fields.Date):
    """A calendar date between `earliest` (a date, or how long before today) and `ahead` after today."""

    default_error_messages = {
        "out_of_window": "日期不合理，应在 {earliest} 至 {latest} 之间 Implausible date: must be between "
        "{earliest} and {latest}",
    }

    def __init__(self, *, earliest: date | timedelta, ahead: timedelta = timedelta(0), **kwargs):
        super().__init__(**kwargs)
        self.earliest, self.ahead = earliest, ahead

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        today = now().astimezone(CHINA_TZ).date()
        earliest = self.earliest if isinstance(self.earliest, date) else today - self.earliest
        latest = today + self.ahead
        if not earliest <= day <= latest:
            raise self.make_error("out_of_window", earliest=earliest.isoformat(), latest=latest.isoformat())
        return day


# The windows inputs are held to.
VISIT_TIME = {"past": timedelta(days=366), "ahead": timedelta(days=1)}  # visited within the last year
SINCE = {"past": timedelta(days=366 * 30), "ahead": timedelta(days=1)}  # a ?since= filter
BIRTH_DATE = {"earliest": date(1900, 1, 1)}  # no later than today
DEADLINE = {"earliest": timedelta(days=366 * 5), "ahead": timedelta(days=366 * 10)}  # also plan dates
SINCE_DAY = {"earliest": timedelta(days=366 * 30), "ahead": timedelta(days=366)}  # a date filter


def _as_list(validators) -> list:
    if validators is None:
        return []
    return list(validators) if isinstance(validators, list | tuple) else [validators]
