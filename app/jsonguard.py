"""One guard in front of every handler that reads JSON: bounded size and nesting, proper Unicode.

Python's JSON parser recurses, so a body of 100,000 `[` (or 5,000 nested objects in `answers`) would
be a RecursionError, a 500, in whichever handler parsed it first, even before login. The guard measures
nesting without recursion before anything parses the body, and refuses lone surrogates (`"\\ud800"`),
which no database or file can store. Bodies that are not JSON (multipart uploads, raw images, XML) pass
untouched; the JSON part of a multipart visit goes through `loads` here too.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from flask import Flask, request

from app.errors import InvalidUnicode, JsonTooDeep, MalformedJson

MAX_BYTES = 1024 * 1024  # a visit with its answers is a few KiB
MAX_DEPTH = 32  # answers nest group > repeat > item: under 10 levels

# a JSON string, escapes included (unrolled so that it runs in linear time)
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def depth(data: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text, counted without parsing or recursion."""
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def loads(data: bytes | str) -> Any:
    """Parse a JSON text a client sent, or raise a 400 that says why it cannot be accepted."""
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else data
    except UnicodeEncodeError:
        raise InvalidUnicode() from None
    if depth(raw) > MAX_DEPTH:
        raise JsonTooDeep(max_depth=MAX_DEPTH)
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise MalformedJson(detail=str(err)[:200]) from None
    if _SURROGATE_ESCAPE.search(raw):
        try:  # the escapes may pair up into a proper character; only lone surrogates fail to encode
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidUnicode() from None
    return value


def _guard_json_body() -> None:
    if not request.is_json:
        return
    request.max_content_length = MAX_BYTES  # werkzeug answers 413 past this, without reading on
    data = request.get_data(cache=True)  # handlers parse the same cached bytes
    if data.strip():
        loads(data)


def register_json_guard(app: Flask) -> None:
    app.before_request(_guard_json_body)
