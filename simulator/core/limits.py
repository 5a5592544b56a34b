"""Hostile input stops here: the caps on every input ftroi accepts, and the checks that apply them.

Every public entry point (the Python API, the ``ftroi`` command line, the app) passes what it is
given through these checks before any work is done. A refusal is an
:class:`~simulator.core.errors.InputError` whose message names the field, the value (shortened to
:data:`SHOWN_CHARS` characters) and the allowed range::

    prompt.system_prompt: '     …' (1,000,000 characters) is too long: at most 1,000,000 …

The caps (docs/limits.md has them all, with the log, price-cache and share-link rules)
    ==========================  ===============  ============================================
    what                        cap              why
    ==========================  ===============  ============================================
    one text to count           1,000,000 chars  ~250k tokens, more than any context window
    a run of whitespace in it   100,000 chars    tiktoken's regex overflows its stack (a Rust
                                                 panic) on runs near 1,000,000
    a scenario document         1 MiB            file, upload or paste
    its nesting depth           16 levels        a scenario needs 5
    one training JSONL line     8 MiB            an example is at most ~65k tokens (~0.3 MB)
    its nesting depth           64 levels        tool schemas nest; 64 is ample
    an integer's digits         18 digits        in a number field; 4,300 (Python's own
                                                 limit) anywhere in a document
    any scenario number         |x| ≤ 1e15       products of a few such stay finite in float64
    compounded month volume     1e15 req/month   ``V_1 (1+g)^(H-1)`` (growth over the horizon)
    Monte Carlo draws           1,000,000        evaluated in blocks of :data:`BLOCK_DRAWS`
    grid points                 1,000,000        evaluated in blocks of :data:`BLOCK_DRAWS`
    a price-table cell          10,000 chars     Python's csv module stops at 131,072
    a scenario's ``as_of``      2000..2100       a horizon past it stays in Python's calendar
    replica steps searched      200,000          steep growth over long horizons multiplies
                                                 them (once 2.7 GB and a minute)
    the genai-prices cache      50 MiB, 32       the data is ~1 MB, nests ~8 levels
                                levels
    log scan workers            4 per core, 64   each holds a range and an encoding
    log scan chunk              1,024 MiB        what one worker holds at once
    one request's tokens        10,000,000       ten times the longest context window
    a time in a log             2020..2100 and   one stray line moved months and volume
                                ≤ 31 days from
                                the rest
    ==========================  ===============  ============================================

Parsing
    :func:`parse_json` and :func:`parse_toml` check the size first, turn every parser failure
    (bad syntax, nesting deep enough for a ``RecursionError``, a 5,000-digit integer, ``NaN``)
    into an :class:`InputError`, then check the nesting depth without recursion.

Library errors
    :func:`is_panic` recognises tiktoken's Rust panic (``pyo3_runtime.PanicException``, a
    ``BaseException`` that ``except Exception`` lets through).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np

from pricing import genai as _genai

from .errors import InputError

MAX_TEXT_CHARS = 1_000_000
"""Characters in one text whose tokens are counted (a prompt, one message's content)."""
MAX_WHITESPACE_RUN = 100_000
"""Characters in one run of spaces/tabs inside a counted text (tiktoken panics near 10⁶)."""
MAX_DOCUMENT_BYTES = 2**20
"""Bytes of one scenario document (a .toml/.json file, an upload, a paste) [bytes]."""
MAX_SCENARIO_DEPTH = 16
"""Nesting depth of a scenario document (tables, lists) [levels]."""
MAX_LINE_BYTES = 8 * 2**20
"""Bytes of one line of a training JSONL [bytes]; a longer line is a bad line."""
MAX_JSONL_DEPTH = 64
"""Nesting depth of one JSONL record [levels]."""
MAX_INT_DIGITS = 18
"""Digits of an integer in a scenario document or number field."""
MAX_DOCUMENT_INT_DIGITS = 4300
"""Digits of any integer in a parsed document (Python's own limit); a number field then
takes at most :data:`MAX_INT_DIGITS`, and says which field."""
MAX_NUMBER = 1e15
"""Largest magnitude of any scenario number; volumes, tokens, prices and hours alike."""
MAX_MONTHLY_REQUESTS = 1e15
"""Largest month volume the growth may compound to within the horizon [requests/month]."""
MAX_DRAWS = 1_000_000
"""Monte Carlo draws in one run."""
MAX_GRID_POINTS = 1_000_000
"""Points (nx × ny) of one savings grid."""
BLOCK_DRAWS = 2_000
"""Draws (or grid points) evaluated at once by a Monte Carlo run or a grid; each block's
temporary arrays are then small (2,000 × 37 months: 0.6 MB), which keeps them in cache and
keeps the memory in use low (see ``docs/speed.md``). Not a power of two: a block laid out
months first then has no month 16 KB after the one before it, which would make any array
read across that grain (another layout, :mod:`simulator.model.cost`) collide in the cache
(such an addition took ten times as long at 2,048 draws as at 2,000)."""
CHUNK_CELLS = 1_000_000
"""Draws (or grid points) × months evaluated at once; larger runs go chunk by chunk, which
keeps memory near 200 MB whatever ``n``."""
MAX_CELL_CHARS = 10_000
"""Characters in one edited price-table cell."""
SHOWN_CHARS = 40
MAX_REQUEST_TOKENS = 10_000_000
"""Largest token count of one request in a log (prompt, completion or cached) [tokens]: ten
times the longest context window sold today; a larger count is a bad line."""
LOG_EARLIEST = "2020-01-01"
"""Request logs' times start here (UTC): an earlier time (1970-01-01, 0001-01-01) is a bad
line. Chat APIs with usage logs start in 2020."""
LOG_LATEST = "2100-01-01"
"""Request logs' times end before this day (UTC): a later time (9999-12-31) is a bad line."""
LOG_GAP_DAYS = 31
"""A log time separated from the bulk of the file by more than this many days without a
request is a bad line: walking out from the median request's day, the first run of more than
31 empty days ends the plausible window (on each side). A whole calendar month (28 days or
more) with no request between a stray line and the rest would otherwise count as a real,
empty month and move the volume and growth."""
MAX_REPLICA_STEPS = 200_000
"""Self-hosted replica steps examined when finding the month-1 volumes at which an option is
cheaper, all months together; beyond them the volumes are "checked up to" the last one. With
steep growth over a long horizon the last months' replicas fill at a tiny volume, so the count
of steps below any volume grows with ``(1 + g)^H``: this cap keeps a 120-month report with 20%
growth near a second instead of a minute and gigabytes."""
MAX_WORKERS = 64
"""Worker processes of one log scan: at most 4 per core and never more than this."""
MAX_CHUNK_MB = 1024
"""Largest byte range one worker reads at once (``--chunk-mb``) [MiB]."""
MAX_PRICE_CACHE_BYTES = _genai.MAX_CACHE_BYTES
"""Bytes of the genai-prices cache file written by ``ftroi prices --update`` (the data is
about 1 MB today); a larger file is refused before it is read (kept in :mod:`pricing.genai`)."""
MAX_PRICE_CACHE_DEPTH = _genai.MAX_CACHE_DEPTH
"""Nesting depth of the genai-prices cache file [levels] (the data nests about 8)."""
EARLIEST_AS_OF = "2000-01-01"
"""Earliest start date (``as_of``) of a scenario."""
LATEST_AS_OF = "2100-12-31"
"""Latest start date (``as_of``) of a scenario: its horizon must also end in a year Python's
calendar holds, and no price or lifecycle row is dated near 9999."""
"""Characters of a refused value quoted in a message."""

_LONG_WHITESPACE = re.compile(rf"[^\S\n\r]{{{MAX_WHITESPACE_RUN},}}")


# ---- words --------------------------------------------------------------------------------------

def shorten(value: Any, width: int = SHOWN_CHARS) -> str:
    """``repr(value)`` cut to about ``width`` characters, with its full length when cut.

    Safe for any value: a 10,000-digit integer is described by its digit count, never
    converted to text (Python refuses that beyond 4,300 digits).

    >>> shorten("x" * 100, 10)
    "'xxxxxxxxx… (100 characters)"
    >>> shorten(10 ** 5000)
    'an integer of 5001 digits'
    """
    if isinstance(value, int) and not isinstance(value, bool) and \
            abs(value).bit_length() > 60:
        return f"an integer of {_digits(value)} digits"
    if isinstance(value, (str, bytes)) and len(value) > width:
        return f"{value[:width - 1]!r}"[:-1] + f"… ({len(value):,} " \
            f"{'characters' if isinstance(value, str) else 'bytes'})"
    text = repr(value)
    return text if len(text) <= width else text[:width - 1] + "…"


def _digits(value: int) -> int:
    """Decimal digits of ``value`` without converting it to text."""
    n = abs(value)
    if n == 0:
        return 1
    d = int(n.bit_length() * math.log10(2)) + 1
    return d if n >= 10 ** (d - 1) else d - 1


# ---- texts and sizes ----------------------------------------------------------------------------

def check_text(field: str, text: Any, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """``text`` if it is a string the tokenizer can count in bounded time; else InputError.

    Refuses other types, more than ``max_chars`` characters and a run of more than
    :data:`MAX_WHITESPACE_RUN` spaces or tabs (which crashes tiktoken's regex engine).
    """
    if not isinstance(text, str):
        raise InputError(f"{field}: must be text, got {shorten(text)} ({type(text).__name__})")
    if len(text) > max_chars:
        raise InputError(f"{field}: {shorten(text)} is too long: at most {max_chars:,} "
                         f"characters")
    if len(text) >= MAX_WHITESPACE_RUN:
        run = _LONG_WHITESPACE.search(text)
        if run is not None:
            n = len(run.group(0))
            raise InputError(f"{field}: a run of {n:,} spaces or tabs at character "
                             f"{run.start():,} is too long to count: at most "
                             f"{MAX_WHITESPACE_RUN - 1:,} in a row")
    return text


def check_size(field: str, n_bytes: int, max_bytes: int) -> None:
    """InputError when ``n_bytes`` exceeds ``max_bytes``."""
    if n_bytes > max_bytes:
        raise InputError(f"{field}: {n_bytes:,} bytes is too large: at most {max_bytes:,} "
                         f"bytes ({max_bytes / 2**20:g} MiB)")


def check_count(field: str, value: Any, *, lo: int, hi: int) -> int:
    """``value`` as an int when it is a whole number in ``[lo, hi]``; else InputError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{field}: must be a whole number from {lo:,} to {hi:,}, got "
                         f"{shorten(value)}")
    if not lo <= value <= hi:
        raise InputError(f"{field}: must be a whole number from {lo:,} to {hi:,}, got "
                         f"{shorten(int(value)) if abs(int(value)) >= 10**15 else f'{int(value):,}'}")
    return int(value)


def check_number(field: str, value: Any) -> None:
    """InputError when a number is too large for ftroi: more than :data:`MAX_INT_DIGITS`
    digits, or a magnitude above :data:`MAX_NUMBER` (checked before any float conversion)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if abs(int(value)).bit_length() > 63 or abs(int(value)) > MAX_NUMBER:
            raise InputError(f"{field}: {shorten(int(value))} is too large: ftroi takes numbers "
                             f"from {-MAX_NUMBER:g} to {MAX_NUMBER:g}")
    elif isinstance(value, (float, np.floating)) and math.isfinite(value) \
            and abs(value) > MAX_NUMBER:
        raise InputError(f"{field}: {value:g} is too large: ftroi takes numbers from "
                         f"{-MAX_NUMBER:g} to {MAX_NUMBER:g}")


def check_volume_growth(requests_per_month: float, growth_per_month: float,
                        horizon_months: int) -> None:
    """InputError when ``V_1 (1+g)^(H-1)`` passes :data:`MAX_MONTHLY_REQUESTS`."""
    if requests_per_month <= 0 or growth_per_month <= 0 or horizon_months <= 1:
        return
    log_last = math.log10(requests_per_month) + (horizon_months - 1) * math.log10(
        1 + growth_per_month)
    if log_last > math.log10(MAX_MONTHLY_REQUESTS):
        cap = (MAX_MONTHLY_REQUESTS / requests_per_month) ** (1 / (horizon_months - 1)) - 1
        raise InputError(
            f"workload.growth_per_month: {growth_per_month:g} compounds "
            f"{requests_per_month:g} requests/month to 1e{log_last:.0f} by month "
            f"{horizon_months}: at most {MAX_MONTHLY_REQUESTS:g} requests/month; with this "
            f"volume and horizon the growth must be ≤ {cap:.4g}")


# ---- documents ----------------------------------------------------------------------------------

def depth(value: Any) -> int:
    """Nesting depth of parsed JSON/TOML (a scalar is 0, ``[]`` is 1), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, d = stack.pop()
        if isinstance(item, Mapping):
            deepest = max(deepest, d + 1)
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, (list, tuple)):
            deepest = max(deepest, d + 1)
            stack.extend((v, d + 1) for v in item)
    return deepest


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DOCUMENT_INT_DIGITS:
        raise InputError(f"{shorten(text)} has {len(text.lstrip('-')):,} digits: at most "
                         f"{MAX_DOCUMENT_INT_DIGITS:,}")
    return int(text)


def _json_constant(text: str) -> float:
    raise InputError(f"{text} is not a number JSON allows (use a finite number)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputError(f"{shorten(text)} is too large for a number (overflows to infinity)")
    return value


def _size(data: Any, max_bytes: int) -> int:
    """Bytes of ``data`` (UTF-8 for text), not encoding text that is surely too large."""
    if not isinstance(data, str):
        return len(data) if isinstance(data, (bytes, bytearray)) else 0
    if len(data) > max_bytes or len(data) * 4 <= max_bytes:
        return len(data)
    return len(data.encode("utf-8", "surrogatepass"))


def _decoded(field: str, data: str | bytes) -> str:
    if isinstance(data, (bytes, bytearray)):
        try:
            return bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"{field}: not UTF-8 text (byte {exc.start})") from None
    if not isinstance(data, str):
        raise InputError(f"{field}: expected text, got {type(data).__name__}")
    return data


def parse_json(data: str | bytes, *, field: str = "scenario file",
               max_bytes: int = MAX_DOCUMENT_BYTES, max_depth: int = MAX_SCENARIO_DEPTH,
               strict_numbers: bool = True) -> Any:
    """Parse a JSON document within size and depth limits; every failure is an InputError
    naming ``field``. ``strict_numbers`` also refuses ``NaN``/``Infinity``, numbers that
    overflow to infinity and integers of more than :data:`MAX_INT_DIGITS` digits."""
    check_size(field, _size(data, max_bytes), max_bytes)
    text = _decoded(field, data)
    hooks = {"parse_int": _json_int, "parse_constant": _json_constant,
             "parse_float": _finite_float} if strict_numbers else {}
    try:
        parsed = json.loads(text, **hooks)
    except json.JSONDecodeError as exc:
        raise InputError(f"{field}: not valid JSON: {exc.msg} at line {exc.lineno} "
                         f"column {exc.colno}") from None
    except RecursionError:
        raise InputError(f"{field}: nested too deeply: at most {max_depth} levels") from None
    except InputError as exc:
        raise InputError(f"{field}: {exc}") from None
    except ValueError as exc:  # an integer over Python's 4,300 digits (strict_numbers off)
        raise InputError(f"{field}: unreadable number: {shorten(str(exc), 80)}") from None
    _check_depth(field, parsed, max_depth)
    return parsed


def parse_toml(data: str | bytes, *, field: str = "scenario file",
               max_bytes: int = MAX_DOCUMENT_BYTES, max_depth: int = MAX_SCENARIO_DEPTH
               ) -> dict[str, Any]:
    """Parse a TOML document within size and depth limits; every failure is an InputError."""
    check_size(field, _size(data, max_bytes), max_bytes)
    text = _decoded(field, data)
    try:
        parsed = tomllib.loads(text, parse_float=_finite_float)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{field}: not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"{field}: nested too deeply: at most {max_depth} levels") from None
    except InputError as exc:
        raise InputError(f"{field}: {exc}") from None
    except ValueError as exc:  # an integer over Python's 4,300 digits
        raise InputError(f"{field}: unreadable number: {shorten(str(exc), 80)}") from None
    _check_depth(field, parsed, max_depth)
    return parsed


def _check_depth(field: str, parsed: Any, max_depth: int) -> None:
    d = depth(parsed)
    if d > max_depth:
        raise InputError(f"{field}: nested {d} levels deep: at most {max_depth} levels")


# ---- lines --------------------------------------------------------------------------------------

TOO_LONG = object()
"""Stands for a line longer than the cap in :func:`bounded_lines`."""


def bounded_lines(fh: BinaryIO, max_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, Any]]:
    """``(line number, line)`` of a file (binary, or text counted in characters), each line at
    most ``max_bytes``; a longer line yields :data:`TOO_LONG` and is skipped in bounded
    memory."""
    line_no = 0
    while True:
        line = fh.readline(max_bytes + 1)
        if not line:
            return
        line_no += 1
        newline = b"\n" if isinstance(line, bytes) else "\n"
        if len(line) > max_bytes and not line.endswith(newline):
            while True:  # skip the rest of the line, chunk by chunk
                rest = fh.readline(2**20)
                if not rest or rest.endswith(newline):
                    break
            yield line_no, TOO_LONG
            continue
        yield line_no, line


def line_too_long(max_bytes: int = MAX_LINE_BYTES) -> str:
    """The bad-line message for a line over ``max_bytes``."""
    return f"line too long: more than {max_bytes:,} bytes ({max_bytes / 2**20:g} MiB)"


# ---- library errors -----------------------------------------------------------------------------

def is_panic(exc: BaseException) -> bool:
    """True for a Rust panic surfacing through pyo3 (``pyo3_runtime.PanicException``)."""
    return type(exc).__name__ == "PanicException"
