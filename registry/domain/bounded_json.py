"""JSON read with limits on depth, counts and sizes, whatever the interpreter's recursion limit.

docs/design.md#p10-no-request-can-take-the-gateway-down: parsing is bounded (size, depth, counts) before any work. The
standard ``json`` decoder recurses in C once per nesting level, guarded only by ``sys.getrecursionlimit()``;
a library that raises that limit (py_ecc and py-evm do, see :mod:`registry.domain.recursion`) turns a few
hundred KB of ``[[[[…`` into a C-stack overflow and a dead process. Here the text is parsed by
pydantic-core's ``from_json`` (the Rust ``jiter`` parser, which stops at a fixed nesting depth of
its own, independent of Python's limit, and accepts only strict RFC 8259 JSON: no ``NaN``, no
numbers out of range), and the parsed value is then walked once, without recursion, against
:class:`JsonLimits`: nesting depth, items in one array or members in one object, values in all, the
length of one string and of one key. Whatever exceeds a limit is refused with
:class:`~registry.errors.InvalidInput` naming the limit and where it was hit (``filings``,
``filings[3].priorityClaims``), never with the offending text (a body may carry access codes).

The same reader serves the HTTP bodies (``api.limits``) and the lines of a JSON Lines import
(:mod:`registry.ops.importer`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pydantic_core

from registry.errors import InvalidInput, JsonTooLarge

__all__ = ["DEFAULT_LIMITS", "JsonLimits", "JsonTooLarge", "json_path", "loads"]


@dataclass(frozen=True)
class JsonLimits:
    """What one JSON document may hold. The defaults fit every body of docs/api.md#conventions with room to spare:
    the largest, a batch of 10,000 filings, is a few MB of values nested five deep."""

    #: Bytes of the whole document (docs/spec/packages.md#upload-limits: 16 MB; the package endpoints raise it per
    #: route).
    max_bytes: int = 16 * 1024 * 1024
    #: Nesting of arrays and objects; ``{"filings": [{"priorityClaims": [{}]}]}`` is 4 deep.
    max_depth: int = 32
    #: Elements of one array or members of one object (a batch holds at most 10,000 filings).
    max_items: int = 10_000
    #: Values in the whole document, containers and scalars alike.
    max_values: int = 1_000_000
    #: Characters of one string value (files travel as multipart uploads, not in JSON).
    max_string: int = 1024 * 1024
    #: Characters of one object key (every key of docs/api.md#conventions is a short lowerCamelCase name).
    max_key: int = 256


DEFAULT_LIMITS = JsonLimits()


def json_path(path: tuple[str | int, ...]) -> str | None:
    """``("filings", 3, "priorityClaims")`` → ``filings[3].priorityClaims`` (the API's targets)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or None


def _refuse(message: str, code: str, path: tuple[str | int, ...]) -> InvalidInput:
    target = json_path(path)
    return InvalidInput(message + (f" (at {target})" if target else ""), code=code, target=target)


def loads(data: bytes | str, limits: JsonLimits = DEFAULT_LIMITS, *, what: str = "the body") -> Any:
    """Parse one JSON document within ``limits``; raise :class:`InvalidInput` for anything beyond them.

    Codes: ``bodyTooLarge`` (:class:`JsonTooLarge`), ``jsonInvalid`` (not JSON, or nested beyond
    what the parser follows), ``tooDeep``, ``tooManyItems``, ``tooManyValues``, ``stringTooLong``,
    ``keyTooLong``, ``numberOutOfRange``.
    """
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > limits.max_bytes:
        raise JsonTooLarge(f"{what} is larger than {_size(limits.max_bytes)}")
    try:
        if isinstance(data, bytes | bytearray) and (encoding := json.detect_encoding(data)) != "utf-8":
            # What the standard decoder (and so every route before) accepts: a UTF-8 byte-order mark,
            # UTF-16 and UTF-32 (RFC 8259 §8.1 lets a parser ignore the mark).
            data = bytes(data).decode(encoding)
        value = pydantic_core.from_json(data, allow_inf_nan=False)
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{what} is not valid JSON: its bytes are not UTF-8, UTF-16 or UTF-32 text", code="jsonInvalid"
        ) from None
    except ValueError as exc:
        reason = str(exc)
        if "recursion limit" in reason:  # jiter's own depth guard (~200), far beyond max_depth
            raise InvalidInput(
                f"{what} nests arrays and objects deeper than {limits.max_depth} levels", code="tooDeep"
            ) from None
        raise InvalidInput(f"{what} is not valid JSON: {reason}", code="jsonInvalid") from None
    check(value, limits, what=what)
    return value


def check(value: Any, limits: JsonLimits = DEFAULT_LIMITS, *, what: str = "the body") -> None:
    """Walk a parsed document once (no recursion) and raise at the first limit it passes."""
    max_string, max_key, max_items, max_depth = limits.max_string, limits.max_key, limits.max_items, limits.max_depth
    if type(value) is str and len(value) > max_string:
        raise _refuse(f"a string in {what} is longer than {max_string:,} characters", "stringTooLong", ())
    if type(value) is float and not math.isfinite(value):
        raise _refuse(_OUT_OF_RANGE.format(what=what), "numberOutOfRange", ())
    if not isinstance(value, dict | list):
        return
    values = 1
    # (container, its depth, its path); children are pushed in reverse so they are seen in order.
    stack: list[tuple[Any, int, tuple[str | int, ...]]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        count = len(node)
        if count > max_items:
            kind = "members" if type(node) is dict else "items"
            raise _refuse(f"{what} has more than {max_items:,} {kind} in one place", "tooManyItems", path)
        values += count
        if values > limits.max_values:
            raise _refuse(f"{what} holds more than {limits.max_values:,} values", "tooManyValues", path)
        pairs: Any = node.items() if type(node) is dict else enumerate(node)
        children: list[tuple[Any, int, tuple[str | int, ...]]] = []
        for key, child in pairs:
            if type(key) is str and len(key) > max_key:
                raise _refuse(f"a key in {what} is longer than {max_key} characters", "keyTooLong", path)
            child_type = type(child)
            if child_type is str:
                if len(child) > max_string:
                    raise _refuse(
                        f"a string in {what} is longer than {max_string:,} characters", "stringTooLong", (*path, key)
                    )
            elif child_type is dict or child_type is list:
                if depth >= max_depth:
                    raise _refuse(
                        f"{what} nests arrays and objects deeper than {max_depth} levels", "tooDeep", (*path, key)
                    )
                children.append((child, depth + 1, (*path, key)))
            elif child_type is float and not math.isfinite(child):
                # jiter reads 1e400 as infinity; JSON has no such number (RFC 8259 §6).
                raise _refuse(_OUT_OF_RANGE.format(what=what), "numberOutOfRange", (*path, key))
        stack.extend(reversed(children))


_OUT_OF_RANGE = "a number in {what} is too large to be represented"


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n % (1024 * 1024) == 0 else f"{n:,} bytes"
