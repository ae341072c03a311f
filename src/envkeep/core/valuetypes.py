"""Value types: whether a text is a well-formed int, port, url, … (the ``@type`` of a field).

Each type has a test of one value (`TYPE_CHECKS`, with the message a failure shows) and a
test of many (`bulk_check`): validation checks thousands of values at a time, and a bulk test
first tries a few C-level passes over all of them (one join and ``isdigit``, one regular
expression over the joined URLs, a set inclusion) that accept only valid values, and
only when that fails tests each value. Both give the same answer.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence

__all__ = ["TYPE_CHECKS", "bulk_check", "duration_seconds", "matches_type"]

INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PORT_RE = re.compile(r"0*[0-9]{1,5}")
_BOOLS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off"})
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)
_DURATION_PART = r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)"
_DURATION_RE = re.compile(rf"(?:{_DURATION_PART})+|[0-9]+")
_DURATION_PART_RE = re.compile(_DURATION_PART)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
# The URLs most values hold, which `_is_url` accepts without a doubt: scheme://host[:port][/…],
# ASCII, a host without userinfo or brackets, a port from 1 to 65535 without leading zeros. Any
# other text, valid or not, goes to `_is_url`.
_PLAIN_PORT = (
    r"[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]"
)
# Possessive quantifiers (`*+`, `++`, `?+`) never give back what they matched: the pattern only
# accepts less, and fails fast instead of backtracking.
_PLAIN_URL = (
    rf"[A-Za-z][A-Za-z0-9+.-]*+://[A-Za-z0-9._-]++(?::(?:{_PLAIN_PORT})(?![0-9]))?+"
    r"(?:[/?#][!-~]*+)?+"
)
# One URL, then each further one after its newline: the same language as `(?:URL\n)*+URL` (a
# URL never holds a newline), which the regular expression engine runs more slowly.
_PLAIN_URLS_RE = re.compile(rf"{_PLAIN_URL}(?:\n{_PLAIN_URL})*+")


def duration_seconds(value: str) -> float | None:
    """Return a duration (``30s``, ``1h30m``, ``250ms``, ``2d``, or plain seconds) in seconds.

    Return None when ``value`` is not a duration.
    """
    if _DURATION_RE.fullmatch(value) is None:
        return None
    if INT_RE.fullmatch(value):
        return float(value)
    return sum(
        float(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART_RE.findall(value)
    )


def _is_url(value: str) -> bool:
    if not value.isprintable() or _URL_UNSAFE.search(value):  # one C-level pass each
        return False
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc and parts.hostname) and port != 0


def _no_constant(name: str) -> object:
    # Python's json reads NaN, Infinity and -Infinity, which RFC 8259 has no place for: JSON.parse,
    # Go's encoding/json and jq refuse them, so a value holding one is not JSON to its service.
    raise ValueError(name)


def _is_json(value: str) -> bool:
    try:
        json.loads(value, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return False
    return True


def _is_float(value: str) -> bool:
    # A number beyond a double's range (1e400) reads as infinity, which the type excludes.
    return _FLOAT_RE.fullmatch(value) is not None and math.isfinite(float(value))


def _is_port(value: str) -> bool:
    # The leading zeros stripped first: past 4,300 digits int() raises (CPython's limit on
    # converting text), and a port written with that many zeros stopped `set`, `validate`
    # and `run` as "a bug in envkeep". What is left is at most five digits.
    return _PORT_RE.fullmatch(value) is not None and 1 <= int(value.lstrip("0") or "0") <= 65535


TYPE_CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "string": (lambda _value: True, "expected text"),
    "int": (lambda value: INT_RE.fullmatch(value) is not None, "expected an integer"),
    "float": (_is_float, "expected a number"),
    "bool": (
        lambda value: value.lower() in _BOOLS,
        "expected a boolean (true/false, 1/0, yes/no, on/off)",
    ),
    "url": (_is_url, "expected a URL like scheme://host/path"),
    "email": (
        lambda value: _EMAIL_RE.fullmatch(value) is not None,
        "expected an email address like name@example.com",
    ),
    "port": (_is_port, "expected a port number from 1 to 65535"),
    "json": (_is_json, "expected valid JSON"),
    "duration": (
        lambda value: duration_seconds(value) is not None,
        "expected a duration like 30s, 5m, 1h30m, 250ms, 2d or a number of seconds",
    ),
    "path": (lambda value: value != "" and "\x00" not in value, "expected a path"),
}


def matches_type(type_name: str, value: str, choices: Collection[str] = ()) -> bool:
    """Return whether ``value`` is a well-formed ``type_name`` (``choices`` for an enum)."""
    if type_name == "enum":
        return value in choices
    check = TYPE_CHECKS.get(type_name)
    return check is not None and check[0](value)


def _digits(values: Sequence[str]) -> bool:
    """Every value is ASCII digits only (none of them is empty)."""
    joined = "".join(values)
    return joined.isdigit() and joined.isascii()


def _all_ints(values: Sequence[str]) -> bool:
    return _digits(values) or all(map(TYPE_CHECKS["int"][0], values))


def _all_ports(values: Sequence[str]) -> bool:
    return _plain_ports(values) or all(map(_is_port, values))


def _plain_ports(values: Sequence[str]) -> bool:
    """Every value is a port from 1 to 65535 written plainly: ASCII digits, no leading zero.

    One C-level pass finds them all digits; then a length and a first digit per value, and a
    comparison of the five-digit ones (same length: as text, as numbers). Compiled, this costs
    a few instructions per port, against hundreds for a regular expression over them joined.
    """
    if not _digits(values):
        return False
    for value in values:
        size = len(value)
        if size == 0 or size > 5 or value[0] == "0" or (size == 5 and value > "65535"):
            return False
    return True


def _all_urls(values: Sequence[str]) -> bool:
    # A newline inside a value would pass for a separator; a search of each value finds it
    # faster than a count over them all.
    plain = not any("\n" in value for value in values) and _PLAIN_URLS_RE.fullmatch(
        "\n".join(values)
    )
    return bool(plain) or all(map(_is_url, values))


def _all_bools(values: Sequence[str]) -> bool:
    return _BOOLS.issuperset(values) or _BOOLS.issuperset(map(str.lower, values))


_BULK: dict[str, Callable[[Sequence[str]], bool]] = {
    "int": _all_ints,
    "port": _all_ports,
    "url": _all_urls,
    "bool": _all_bools,
}


def bulk_check(type_name: str, choices: Collection[str] = ()) -> Callable[[Sequence[str]], bool]:
    """The test of whether every one of some values (none of them empty) is a ``type_name``.

    An unknown type accepts no value.
    """
    if type_name == "enum":
        return frozenset(choices).issuperset
    bulk = _BULK.get(type_name)
    if bulk is not None:
        return bulk
    check = TYPE_CHECKS.get(type_name, (lambda _value: False, ""))[0]
    return lambda values: all(map(check, values))
