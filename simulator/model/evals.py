"""Graded eval results: read them, count them per option, compare two options on the same examples.

An eval file holds one graded answer per line or row: an example id, the option (or model) that
answered, and whether the answer was right. :func:`read_graded` reads four shapes:

``csv``
    a header row, then one answer per row (``.tsv``: tab-separated).
``jsonl``
    one JSON object per line (a ``.json`` file holding a list of such objects also works).
``promptfoo``
    ``promptfoo eval -o results.json`` (or ``-o results.jsonl``): every result of
    ``results.results``; the option is the provider's label or id, the example is the test's
    ``vars.id`` (or ``example_id``/``sample_id``), else its ``testIdx``; right means
    ``success``. Results that errored (``failureReason`` 2: the provider call failed, nothing
    was graded) are left out and counted.
``inspect``
    an Inspect AI log: ``inspect eval --log-format json`` (a ``.json`` file) or the default
    ``.eval`` archive; the option is ``eval.model``, the example is the sample's ``id`` (with
    ``@epoch N`` for epochs after the first); right means the chosen scorer's value read as
    Inspect's ``value_to_float`` does (``C`` 1, ``P`` 0.5, ``I`` and ``N`` 0, numbers as they
    are) at or above ``threshold``.

In ``csv`` and ``jsonl`` the columns are found by name (case-insensitive), first match wins:

=========  ==========================================================================
what       names tried
=========  ==========================================================================
example    ``id``, ``example_id``, ``sample_id``, ``item_id``, ``test_id``, ``doc_id``
option     ``option``, ``model``, ``variant``, ``provider`` (none: the file's name)
right      ``correct``, ``passed``, ``pass``, ``is_correct``, ``success``, ``acc``,
           ``exact_match`` (0/1, true/false, yes/no, pass/fail, C/I)
score      ``score``: right when ``score >= threshold``
=========  ==========================================================================

Statistics (pure functions, scalars or arrays):

* :func:`jeffreys_interval`: the equal-tailed interval of the Beta(k+½, n−k+½) posterior of an
  accuracy after ``k`` right of ``n`` under the Jeffreys prior Beta(½, ½) (Brown, Cai and
  DasGupta, "Interval estimation for a binomial proportion", Statistical Science 16(2), 2001).
* :func:`mcnemar_exact_p`: the exact (binomial) McNemar test on the discordant pairs.
* :func:`prob_first_better`: the posterior probability that the first of two options graded on
  the same examples is the more accurate one.

For paired answers, each example falls in one of four cells: both right (``a``), only the first
right (``b``), only the second right (``c``), both wrong (``d``). With a Dirichlet(½, ½, ½, ½)
prior on the four cell probabilities (the paired-data Bayesian model of Agresti and Min,
"Frequentist performance of Bayesian confidence intervals for comparing proportions in 2 × 2
contingency tables", Biometrics 61(2), 2005), the posterior is Dirichlet(a+½, b+½, c+½, d+½).
The accuracy difference is ``π_b − π_c``, and by the Dirichlet's neutrality the share
``θ = π_b / (π_b + π_c)`` is Beta(b+½, c+½), independent of ``π_b + π_c``; so
``P(first more accurate) = P(π_b > π_c) = P(θ > ½)``, in closed form. Only the discordant
pairs carry evidence about which option is better, as in McNemar's test.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from ..core import limits
from ..core.errors import InputError
from .evidence import posterior_interval

FORMATS = ("auto", "csv", "jsonl", "promptfoo", "inspect")
"""The shapes :func:`read_graded` reads (``auto``: told by the file's name and content)."""

ID_ALIASES = ("id", "example_id", "sample_id", "item_id", "test_id", "doc_id")
OPTION_ALIASES = ("option", "model", "variant", "provider")
CORRECT_ALIASES = ("correct", "passed", "pass", "is_correct", "success", "acc", "exact_match")
SCORE_ALIASES = ("score",)

TRUE_WORDS = frozenset({"1", "1.0", "true", "t", "yes", "y", "pass", "passed", "correct", "c"})
FALSE_WORDS = frozenset({"0", "0.0", "false", "f", "no", "n", "fail", "failed", "incorrect",
                         "wrong", "i"})

_WORDS = {**dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False)}

MAX_DOCUMENT_BYTES = 512 * 2**20
"""Bytes of one whole-document eval file (a promptfoo ``.json``, an Inspect log) [bytes]."""
MAX_DOCUMENT_DEPTH = 256
"""Nesting depth of such a document (tool logs nest messages, grading results) [levels]."""
MAX_ANSWERS = 5_000_000
"""Graded answers read in one call, over all files."""
MAX_NAME_CHARS = 200
"""Characters of an example id or an option name."""
ZIP_ZSTANDARD = 93
"""The zip compression method number of zstd (APPNOTE 4.4.5), Inspect's for ``.eval`` logs."""
PROMPTFOO_ERROR = 2
"""promptfoo's ``failureReason`` for a result whose provider call failed (``ResultFailureReason.ERROR``)."""


# ---- results ----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class GradedAnswers:
    """Graded answers, one per (example, option), in file order.

    example_ids, options : text; correct : right or wrong; files : ``(path, format, answers)``
    per file read; notes : what a reader left out or assumed, in words.
    """

    example_ids: tuple[str, ...]
    options: tuple[str, ...]
    correct: tuple[bool, ...]
    files: tuple[tuple[str, str, int], ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.example_ids)
        if len(self.options) != n or len(self.correct) != n:
            raise InputError(f"answers: example_ids, options and correct must have the same "
                             f"length, got {n}, {len(self.options)}, {len(self.correct)}")

    def __len__(self) -> int:
        return len(self.example_ids)

    def option_names(self) -> tuple[str, ...]:
        """The options in the order they first appear."""
        return tuple(dict.fromkeys(self.options))


@dataclass(frozen=True, kw_only=True)
class OptionCounts:
    """Right answers of one option: ``correct`` of ``total``, with the 95% Jeffreys interval.

    accuracy : correct / total [0..1]; low, high : the interval [0..1];
    posterior_mean : (correct + ½) / (total + 1), the Jeffreys posterior mean [0..1].
    """

    option: str
    correct: int
    total: int
    level: float = 0.95

    def __post_init__(self) -> None:
        _check_counts("correct", self.correct, self.total)
        if not 0 < self.level < 1:
            raise InputError(f"level: must be between 0 and 1, got {self.level!r}")

    @property
    def accuracy(self) -> float:
        return self.correct / self.total

    @property
    def posterior_mean(self) -> float:
        return (self.correct + 0.5) / (self.total + 1)

    @property
    def interval(self) -> tuple[float, float]:
        low, high = jeffreys_interval(self.correct, self.total, self.level)
        return float(low), float(high)


@dataclass(frozen=True, kw_only=True)
class PairedComparison:
    """Two options graded on the same examples: the four cells of the paired table.

    both : right with both; first_only (b), second_only (c) : right with one only;
    neither : wrong with both [examples].
    """

    first: str
    second: str
    both: int
    first_only: int
    second_only: int
    neither: int
    level: float = 0.95

    def __post_init__(self) -> None:
        for name in ("both", "first_only", "second_only", "neither"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise InputError(f"{name}: must be a whole number ≥ 0, got {value!r}")
        if self.pairs == 0:
            raise InputError(f"{self.first} vs {self.second}: no example graded on both")

    @property
    def pairs(self) -> int:
        """Examples graded on both options."""
        return self.both + self.first_only + self.second_only + self.neither

    @property
    def first_accuracy(self) -> float:
        return (self.both + self.first_only) / self.pairs

    @property
    def second_accuracy(self) -> float:
        return (self.both + self.second_only) / self.pairs

    @property
    def difference(self) -> float:
        """First's accuracy minus second's on the shared examples: (b − c) / pairs [share]."""
        return (self.first_only - self.second_only) / self.pairs

    @property
    def mcnemar_p(self) -> float:
        """Two-sided exact McNemar p-value (:func:`mcnemar_exact_p`)."""
        return mcnemar_exact_p(self.first_only, self.second_only)

    @property
    def prob_first_better(self) -> float:
        """P(first more accurate than second) (:func:`prob_first_better`)."""
        return float(prob_first_better(self.first_only, self.second_only))

    def difference_interval(self, *, draws: int = 200_000,
                            seed: int | np.random.Generator = 0) -> tuple[float, float]:
        """Equal-tailed interval of the accuracy difference under the Dirichlet(a+½, b+½,
        c+½, d+½) posterior, from ``draws`` posterior draws [share]."""
        return difference_interval(self.both, self.first_only, self.second_only,
                                   self.neither, level=self.level, draws=draws, seed=seed)


@dataclass(frozen=True, kw_only=True)
class EvalSummary:
    """Per-option counts (order of first appearance) and every pair sharing examples (the more
    accurate option of each pair first)."""

    counts: tuple[OptionCounts, ...]
    comparisons: tuple[PairedComparison, ...] = ()

    def counts_by_option(self) -> dict[str, tuple[int, int]]:
        """``{option: (correct, total)}``."""
        return {c.option: (c.correct, c.total) for c in self.counts}


# ---- statistics -------------------------------------------------------------------------------

def _check_counts(name: str, correct: Any, total: Any) -> None:
    for what, value in ((name, correct), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise InputError(f"{what}: must be a whole number, got {value!r}")
    if total < 1:
        raise InputError(f"total: must be at least 1, got {total}")
    if not 0 <= correct <= total:
        raise InputError(f"{name}: must be between 0 and total ({total}), got {correct}")


def jeffreys_interval(correct: Any, total: Any, level: float = 0.95
                      ) -> tuple[Any, Any]:
    """Equal-tailed ``level`` interval of an accuracy after ``correct`` right of ``total``
    answers: the ``(1 − level)/2`` and ``(1 + level)/2`` quantiles of Beta(k+½, n−k+½) [0..1].

    Scalars in give floats out; arrays broadcast. The interval is the Jeffreys interval of
    Brown, Cai & DasGupta (2001), without their ad-hoc end-point change at k = 0 or k = n.

    >>> low, high = jeffreys_interval(174, 200)
    >>> print(f"{low:.4f} {high:.4f}")
    0.8182 0.9112
    """
    k = np.asarray(correct, dtype=float)
    n = np.asarray(total, dtype=float)
    if np.any(n < 1) or np.any(k < 0) or np.any(k > n):
        raise InputError(f"jeffreys_interval: need 0 ≤ correct ≤ total and total ≥ 1, got "
                         f"{limits.shorten(correct)} of {limits.shorten(total)}")
    if not 0 < level < 1:
        raise InputError(f"level: must be between 0 and 1, got {level!r}")
    low, high = posterior_interval(k, n, level)   # one Jeffreys interval in the project
    if np.ndim(low) == 0:
        return float(low), float(high)
    return low, high


def mcnemar_exact_p(first_only: int, second_only: int) -> float:
    """Two-sided exact McNemar p-value: under "equally accurate" each discordant pair is a fair
    coin, so ``b ~ Binomial(b + c, ½)``; p = min(1, 2 P(X ≤ min(b, c))). No discordant pair: 1.

    >>> round(mcnemar_exact_p(15, 7), 4)
    0.1338
    """
    b, c = int(first_only), int(second_only)
    if b < 0 or c < 0:
        raise InputError(f"mcnemar_exact_p: counts must be ≥ 0, got {b}, {c}")
    if b + c == 0:
        return 1.0
    return float(min(1.0, 2 * stats.binom.cdf(min(b, c), b + c, 0.5)))


def prob_first_better(first_only: Any, second_only: Any) -> Any:
    """P(first option more accurate) = P(θ > ½) with θ ~ Beta(b+½, c+½): the posterior of the
    paired table under a Dirichlet(½, ½, ½, ½) prior (see the module's docstring). Equal
    discordant counts give ½; arrays broadcast.

    >>> round(float(prob_first_better(15, 7)), 3)
    0.957
    """
    b = np.asarray(first_only, dtype=float)
    c = np.asarray(second_only, dtype=float)
    if np.any(b < 0) or np.any(c < 0):
        raise InputError("prob_first_better: counts must be ≥ 0")
    p = stats.beta.sf(0.5, b + 0.5, c + 0.5)
    return float(p) if np.ndim(p) == 0 else p


def difference_interval(both: int, first_only: int, second_only: int, neither: int, *,
                        level: float = 0.95, draws: int = 200_000,
                        seed: int | np.random.Generator = 0) -> tuple[float, float]:
    """Equal-tailed ``level`` interval of ``π_b − π_c`` (first's accuracy minus second's) under
    the Dirichlet(a+½, b+½, c+½, d+½) posterior of the paired table, from ``draws`` draws of a
    generator seeded by ``seed`` (an int or a ``numpy.random.Generator``) [share]."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    alpha = np.array([both, first_only, second_only, neither], dtype=float) + 0.5
    cells = rng.dirichlet(alpha, size=int(draws))
    diff = cells[:, 1] - cells[:, 2]
    tail = (1 - level) / 2
    low, high = np.quantile(diff, [tail, 1 - tail])
    return float(low), float(high)


# ---- counting ---------------------------------------------------------------------------------

def count(answers: GradedAnswers, level: float = 0.95) -> tuple[OptionCounts, ...]:
    """Right answers per option, in the order the options first appear."""
    right: dict[str, int] = {}
    total: dict[str, int] = {}
    for option, ok in zip(answers.options, answers.correct):
        total[option] = total.get(option, 0) + 1
        right[option] = right.get(option, 0) + bool(ok)
    return tuple(OptionCounts(option=o, correct=right[o], total=total[o], level=level)
                 for o in total)


def compare(answers: GradedAnswers, first: str, second: str, level: float = 0.95
            ) -> PairedComparison | None:
    """The paired table of ``first`` and ``second`` over the examples graded on both
    (``None`` when they share none)."""
    known = set(answers.options)
    for name in (first, second):
        if name not in known:
            raise InputError(f"compare: no answers for option {name!r} "
                             f"(options: {', '.join(answers.option_names())})")
    return _pair(_by_option(answers), first, second, level)


def _by_option(answers: GradedAnswers) -> dict[str, dict[str, bool]]:
    graded: dict[str, dict[str, bool]] = {}
    for example, option, ok in zip(answers.example_ids, answers.options, answers.correct):
        graded.setdefault(option, {})[example] = bool(ok)
    return graded


def _pair(graded: Mapping[str, Mapping[str, bool]], first: str, second: str, level: float
          ) -> PairedComparison | None:
    cells = [0, 0, 0, 0]  # both, first only, second only, neither
    other = graded[second]
    for example, a in graded[first].items():
        b = other.get(example)
        if b is not None:
            cells[_cell(a, b)] += 1
    if sum(cells) == 0:
        return None
    return PairedComparison(first=first, second=second, both=cells[0], first_only=cells[1],
                            second_only=cells[2], neither=cells[3], level=level)


def _cell(first_right: bool, second_right: bool) -> int:
    if first_right and second_right:
        return 0
    if first_right:
        return 1
    if second_right:
        return 2
    return 3


def summarize(answers: GradedAnswers, level: float = 0.95) -> EvalSummary:
    """Counts per option and the paired comparison of every two options sharing examples,
    each pair ordered so that the more accurate one on the shared examples comes first."""
    if not len(answers):
        raise InputError("no graded answer to summarize")
    counts = count(answers, level)
    graded = _by_option(answers)
    names = [c.option for c in counts]
    comparisons = []
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            pair = _pair(graded, first, second, level)
            if pair is None:
                continue
            if pair.second_only > pair.first_only:
                pair = PairedComparison(first=second, second=first, both=pair.both,
                                        first_only=pair.second_only,
                                        second_only=pair.first_only, neither=pair.neither,
                                        level=level)
            comparisons.append(pair)
    return EvalSummary(counts=counts, comparisons=tuple(comparisons))


# ---- reading ----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Columns:
    """How to read a graded answer: column (or field) names the user gave (``None``: found by
    the aliases above), the pass ``threshold`` for scores, and the Inspect ``scorer`` to read
    (``None``: the log's first)."""

    id: str | None = None
    option: str | None = None
    correct: str | None = None
    score: str | None = None
    threshold: float = 0.5
    scorer: str | None = None

    def __post_init__(self) -> None:
        value = self.threshold
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            raise InputError(f"threshold: must be a finite number, got {value!r}")
        if self.correct is not None and self.score is not None:
            raise InputError("give a correct column or a score column, not both")


Row = tuple[str, str, bool, str]
"""``(example id, option, right, where)``: one graded answer and the place it was read."""


def read_graded(paths: str | Path | Sequence[str | Path], *, format: str = "auto",
                columns: Columns | None = None) -> GradedAnswers:
    """Read graded answers from one or more files (see the module's docstring for the shapes).

    Refused, with the file and line: a file that is missing, empty or unreadable, a malformed
    line, a missing column (naming the names tried), an unreadable right/wrong value or score,
    and an example graded twice for the same option (in one file or across files).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if format not in FORMATS:
        raise InputError(f"format: must be one of {', '.join(FORMATS)}, got {format!r}")
    columns = Columns() if columns is None else columns
    if not paths:
        raise InputError("no eval file given")
    ids: list[str] = []
    options: list[str] = []
    right: list[bool] = []
    seen: dict[tuple[str, str], str] = {}
    files: list[tuple[str, str, int]] = []
    notes: list[str] = []
    for path in paths:
        fmt, doc = _sniff(Path(path), format)
        n = 0
        for example, option, ok, where in _rows(Path(path), fmt, doc, columns, notes):
            first = seen.setdefault((example, option), where)
            if first is not where:
                raise InputError(f"{where}: example {limits.shorten(example)} is graded twice "
                                 f"for option {limits.shorten(option)} (first at {first}); "
                                 f"each (example, option) must appear once")
            ids.append(example)
            options.append(option)
            right.append(ok)
            n += 1
            if len(ids) > MAX_ANSWERS:
                raise InputError(f"{where}: more than {MAX_ANSWERS:,} graded answers")
        if n == 0:
            raise InputError(f"{path}: no graded answer in the file")
        files.append((str(path), fmt, n))
    return GradedAnswers(example_ids=tuple(ids), options=tuple(options), correct=tuple(right),
                         files=tuple(files), notes=tuple(notes))


def _sniff(path: Path, format: str) -> tuple[str, Any]:
    """The file's format and, for a whole JSON document already parsed to tell it, the
    document."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
        while head and not head.strip():
            head = fh.read(1 << 16)
    if not head.strip():
        raise InputError(f"{path}: the file is empty: no graded answers")
    if head.startswith(b"PK\x03\x04"):
        if format not in ("auto", "inspect"):
            raise InputError(f"{path}: a zip archive (an Inspect .eval log?), not {format}")
        return "inspect", None
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if format == "csv" or (format == "auto" and first not in (b"{", b"[")):
        return "csv", None
    if format == "auto" and path.suffix.lower() in (".csv", ".tsv"):
        return "csv", None
    line = _first_line_object(path)
    if line is not None and not _is_document(line):
        if format == "auto":
            return ("promptfoo" if _is_promptfoo_result(line) else "jsonl"), None
        return format, None
    doc = _parse_document(path)
    if format != "auto":
        return format, doc
    if isinstance(doc, list):
        return "jsonl", doc
    if isinstance(doc, dict) and _is_promptfoo_output(doc):
        return "promptfoo", doc
    if isinstance(doc, dict) and "eval" in doc and ("samples" in doc or "status" in doc):
        return "inspect", doc
    if isinstance(doc, dict):
        return "jsonl", [doc]
    raise InputError(f"{path}: a JSON {type(doc).__name__}, not graded answers")


def _first_line_object(path: Path) -> dict | None:
    """The file's first non-blank line parsed as a JSON object (``None``: it is not one, or it
    is longer than a JSONL line may be)."""
    with path.open("rb") as fh:
        for _, line in limits.bounded_lines(fh):
            if line is limits.TOO_LONG:
                return None
            if line.strip():
                try:
                    value = json.loads(line.lstrip(b"\xef\xbb\xbf"))
                except (ValueError, RecursionError):
                    return None
                return value if isinstance(value, dict) else None
    return None


def _is_document(obj: Mapping) -> bool:
    return _is_promptfoo_output(obj) or ("eval" in obj and "samples" in obj)


def _is_promptfoo_output(doc: Mapping) -> bool:
    results = doc.get("results")
    return isinstance(results, dict) and isinstance(results.get("results"), list)


def _is_promptfoo_result(obj: Mapping) -> bool:
    return "testIdx" in obj and "provider" in obj and ("success" in obj
                                                       or "gradingResult" in obj)


def _parse_document(path: Path) -> Any:
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise InputError(f"{path}: {size:,} bytes: a whole-document eval file is at most "
                         f"{MAX_DOCUMENT_BYTES / 2**20:g} MiB (write JSONL instead)")
    return limits.parse_json(path.read_bytes(), field=str(path), max_bytes=MAX_DOCUMENT_BYTES,
                             max_depth=MAX_DOCUMENT_DEPTH, strict_numbers=False)


def _rows(path: Path, fmt: str, doc: Any, columns: Columns, notes: list[str]) -> Iterator[Row]:
    if fmt == "csv":
        return _csv_rows(path, columns, notes)
    if fmt == "inspect":
        return _inspect_rows(path, doc, columns, notes)
    records = _json_records(path) if doc is None else _document_records(path, doc, fmt)
    if fmt == "promptfoo":
        return _promptfoo_rows(path, records, columns, notes)
    return _generic_rows(path, records, columns, notes)


def _json_records(path: Path) -> Iterator[tuple[str, Any]]:
    """``(where, object)`` for each non-blank line of a JSONL file."""
    with path.open("rb") as fh:
        for line_no, line in limits.bounded_lines(fh):
            where = f"{path}, line {line_no}"
            if line is limits.TOO_LONG:
                raise InputError(f"{where}: {limits.line_too_long()}")
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{where}: not UTF-8 text (byte {exc.start})") from None
            try:
                yield where, json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"{where}: not valid JSON: {exc.msg} at column {exc.colno}") \
                    from None
            except RecursionError:
                raise InputError(f"{where}: nested too deeply") from None
            except ValueError as exc:  # an integer over Python's 4,300 digits
                raise InputError(f"{where}: unreadable number: {limits.shorten(str(exc), 80)}") \
                    from None


def _document_records(path: Path, doc: Any, fmt: str) -> Iterator[tuple[str, Any]]:
    if fmt == "promptfoo":
        if not (isinstance(doc, dict) and _is_promptfoo_output(doc)):
            raise InputError(f"{path}: not a promptfoo output file: expected "
                             f"{{\"results\": {{\"results\": [...]}}}} (promptfoo eval -o "
                             f"results.json)")
        records = doc["results"]["results"]
        return ((f"{path}, results[{i}]", r) for i, r in enumerate(records))
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        raise InputError(f"{path}: expected JSON objects, one per graded answer")
    return ((f"{path}, item {i + 1}", r) for i, r in enumerate(doc))


# ---- values -------------------------------------------------------------------------------------

def _text_value(value: Any, what: str, where: str) -> str:
    if type(value) is str:  # the common case, fast
        text = value.strip()
        if text and len(text) <= MAX_NAME_CHARS:
            return text
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise InputError(f"{where}: {what} must be text or a number, got "
                         f"{limits.shorten(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text:
        raise InputError(f"{where}: {what} is empty")
    if len(text) > MAX_NAME_CHARS:
        raise InputError(f"{where}: {what} {limits.shorten(text)} is too long: at most "
                         f"{MAX_NAME_CHARS} characters")
    return text


def parse_correct(value: Any, where: str = "value") -> bool:
    """A right/wrong value: ``True``/``False``, 1/0, or one of the words in
    :data:`TRUE_WORDS` / :data:`FALSE_WORDS` (any case)."""
    if isinstance(value, bool):
        return value
    if type(value) is str:  # the common case, fast
        word = _WORDS.get(value) if value in _WORDS else _WORDS.get(value.strip().lower())
        if word is not None:
            return word
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS:
        return True
    if isinstance(value, str) and value.strip().lower() in FALSE_WORDS:
        return False
    raise InputError(f"{where}: {limits.shorten(value)} is not right or wrong: expected 1/0, "
                     f"true/false, yes/no, pass/fail or C/I (a score: --score-column with "
                     f"--threshold)")


def parse_score(value: Any, where: str = "value") -> float:
    """A finite number (a numeric string is read as one)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise InputError(f"{where}: score {limits.shorten(value)} is not a number") \
                from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{where}: score {limits.shorten(value)} is not a finite number")
    return float(value)


def inspect_value(value: Any, where: str = "value") -> float:
    """An Inspect ``Score.value`` as Inspect's default ``value_to_float`` reads it: ``C`` 1,
    ``P`` 0.5, ``I`` and ``N`` 0, yes/true 1, no/false 0, numbers as they are."""
    if isinstance(value, str):
        letter = {"C": 1.0, "P": 0.5, "I": 0.0, "N": 0.0}.get(value.strip())
        if letter is not None:
            return letter
        word = value.strip().lower()
        if word in ("yes", "true"):
            return 1.0
        if word in ("no", "false"):
            return 0.0
    if isinstance(value, (dict, list)) or value is None:
        raise InputError(f"{where}: score value {limits.shorten(value)} is not one number "
                         f"(a scorer with several values: choose one with --scorer)")
    return parse_score(value, where)


# ---- CSV and generic JSON rows ------------------------------------------------------------------

def _pick(names: Sequence[str], given: str | None, aliases: Sequence[str]) -> str | None:
    """The first of ``names`` (lower-cased) that is ``given`` (when given) or an alias."""
    wanted = [given.strip().lower()] if given else list(aliases)
    present = set(names)
    return next((w for w in wanted if w in present), None)


def _printable(name: str, width: int = 40) -> str:
    """A column name shown on one line: unprintable characters as ``?``, at most ``width``."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in name)
    return clean if len(clean) <= width else clean[:width - 1] + "…"


def _missing(where: str, what: str, flag: str, aliases: Sequence[str], given: str | None,
             names: Sequence[str]) -> InputError:
    shown = ", ".join(_printable(n) for n in names[:20]) + (" …" if len(names) > 20 else "")
    if given:
        return InputError(f"{where}: no {what} column {given!r} ({flag}); columns: {shown}")
    return InputError(f"{where}: no {what} column: tried {', '.join(aliases)}; columns: "
                      f"{shown} (name it with {flag})")


def _layout(where: str, names: Sequence[str], columns: Columns
            ) -> tuple[str, str | None, str, bool]:
    """``(id name, option name or None, right/score name, is a score)`` for these names."""
    ident = _pick(names, columns.id, ID_ALIASES)
    if ident is None:
        raise _missing(where, "example-id", "--id-column", ID_ALIASES, columns.id, names)
    option = _pick(names, columns.option, OPTION_ALIASES)
    if option is None and columns.option:
        raise _missing(where, "option", "--option-column", OPTION_ALIASES, columns.option,
                       names)
    if columns.score:
        grade = _pick(names, columns.score, SCORE_ALIASES)
        if grade is None:
            raise _missing(where, "score", "--score-column", SCORE_ALIASES, columns.score,
                           names)
        return ident, option, grade, True
    grade = _pick(names, columns.correct, CORRECT_ALIASES)
    if grade is not None:
        return ident, option, grade, False
    if columns.correct:
        raise _missing(where, "correct", "--correct-column", CORRECT_ALIASES, columns.correct,
                       names)
    grade = _pick(names, None, SCORE_ALIASES)
    if grade is None:
        raise _missing(where, "correct (or score)", "--correct-column or --score-column",
                       CORRECT_ALIASES + SCORE_ALIASES, None, names)
    return ident, option, grade, True


def _grade(value: Any, is_score: bool, columns: Columns, where: str) -> bool:
    if is_score:
        return parse_score(value, where) >= columns.threshold
    return parse_correct(value, where)


def _file_option(path: Path, notes: list[str]) -> str:
    name = path.stem or path.name
    notes.append(f"{path}: no option column (tried {', '.join(OPTION_ALIASES)}): its answers "
                 f"are option {name!r}, the file's name")
    return name


def _csv_rows(path: Path, columns: Columns, notes: list[str]) -> Iterator[Row]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            yield from _csv_stream(path, fh, columns, notes)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _csv_stream(path: Path, fh: io.TextIOBase, columns: Columns, notes: list[str]
                ) -> Iterator[Row]:
    sample = fh.read(1 << 16)
    fh.seek(0)
    first = sample.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or ("\t" in first and "," not in first) \
        else ";" if (";" in first and "," not in first) else ","
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        header = next(reader)
        names = [h.strip().lower() for h in header]
        ident, option, grade, is_score = _layout(f"{path}, line 1", names, columns)
        at = {n: names.index(n) for n in (ident, option, grade) if n is not None}
        default = None if option is not None else _file_option(path, notes)
        for fields_ in reader:
            where = f"{path}, line {reader.line_num}"
            if len(fields_) <= 1 and not "".join(fields_).strip():
                continue
            if len(fields_) < len(names):
                raise InputError(f"{where}: {len(fields_)} field(s), the header has "
                                 f"{len(names)}")
            example = _text_value(fields_[at[ident]], f"example id ({ident})", where)
            name = default if option is None else _text_value(fields_[at[option]],
                                                               f"option ({option})", where)
            yield example, name, _grade(fields_[at[grade]], is_score, columns, where), where
    except csv.Error as exc:
        raise InputError(f"{path}, line {reader.line_num}: not valid CSV: {exc}") from None
    except StopIteration:  # pragma: no cover - the file is known not to be blank
        raise InputError(f"{path}: no header row") from None


def _generic_rows(path: Path, records: Iterable[tuple[str, Any]], columns: Columns,
                  notes: list[str]) -> Iterator[Row]:
    default = None
    for where, record in records:
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object (one graded answer), got "
                             f"{limits.shorten(record)}")
        lowered = {str(k).strip().lower(): v for k, v in record.items()}
        names = list(lowered)
        ident, option, grade, is_score = _layout(where, names, columns)
        if option is None and default is None:
            default = _file_option(path, notes)
        example = _text_value(lowered[ident], f"example id ({ident})", where)
        name = default if option is None else _text_value(lowered[option],
                                                           f"option ({option})", where)
        yield example, name, _grade(lowered[grade], is_score, columns, where), where


# ---- promptfoo --------------------------------------------------------------------------------

def _promptfoo_rows(path: Path, records: Iterable[tuple[str, Any]], columns: Columns,
                    notes: list[str]) -> Iterator[Row]:
    """promptfoo results: the option is the provider (with the prompt when the file has several
    prompts for one provider), the example the test, right its ``success``."""
    raw = []
    errors = 0
    for where, result in records:
        if not isinstance(result, dict):
            raise InputError(f"{where}: expected a promptfoo result object, got "
                             f"{limits.shorten(result)}")
        if result.get("failureReason") == PROMPTFOO_ERROR:
            errors += 1
            continue
        raw.append((where, _promptfoo_provider(result, where), _promptfoo_prompt(result),
                    _promptfoo_example(result, columns, where),
                    _promptfoo_success(result, where)))
    if errors:
        notes.append(f"{path}: {errors} result(s) left out: the provider call failed "
                     f"(promptfoo failureReason 2), so nothing was graded")
    prompts: dict[str, set] = {}
    for _, provider, prompt, _, _ in raw:
        prompts.setdefault(provider, set()).add(prompt)
    for where, provider, prompt, example, ok in raw:
        option = provider if len(prompts[provider]) == 1 else f"{provider} · {prompt}"
        yield example, option, ok, where


def _promptfoo_provider(result: Mapping, where: str) -> str:
    provider = result.get("provider")
    if isinstance(provider, dict):
        provider = provider.get("label") or provider.get("id")
    if not provider:
        raise InputError(f"{where}: no provider (expected provider.label or provider.id)")
    return _text_value(provider, "provider", where)


def _promptfoo_prompt(result: Mapping) -> str:
    prompt = result.get("prompt")
    label = prompt.get("label") if isinstance(prompt, dict) else None
    if isinstance(label, str) and label.strip() and len(label) <= 40 and "\n" not in label:
        return label.strip()
    return f"prompt {int(result.get('promptIdx') or 0) + 1}"


def _promptfoo_example(result: Mapping, columns: Columns, where: str) -> str:
    variables = result.get("vars")
    if not isinstance(variables, dict):
        case = result.get("testCase")
        variables = case.get("vars") if isinstance(case, dict) else None
    if isinstance(variables, dict):
        lowered = {str(k).strip().lower(): v for k, v in variables.items()}
        name = _pick(list(lowered), columns.id, ID_ALIASES)
        if name is not None:
            return _text_value(lowered[name], f"example id (vars.{name})", where)
        if columns.id:
            raise InputError(f"{where}: no test variable {columns.id!r} (--id-column)")
    if "testIdx" not in result:
        raise InputError(f"{where}: no testIdx and no id variable: cannot tell the example")
    return _text_value(result["testIdx"], "testIdx", where)


def _promptfoo_success(result: Mapping, where: str) -> bool:
    value = result.get("success")
    if value is None:
        grading = result.get("gradingResult")
        value = grading.get("pass") if isinstance(grading, dict) else None
    if not isinstance(value, bool):
        raise InputError(f"{where}: no success (true/false) and no gradingResult.pass")
    return value


# ---- Inspect AI ---------------------------------------------------------------------------------

def _inspect_rows(path: Path, doc: Any, columns: Columns, notes: list[str]) -> Iterator[Row]:
    """An Inspect log (``.json`` document or ``.eval`` zip archive): one row per scored
    sample."""
    if doc is None and zipfile.is_zipfile(path):
        header, samples = _inspect_archive(path)
    else:
        doc = _parse_document(path) if doc is None else doc
        if not (isinstance(doc, dict) and "eval" in doc):
            raise InputError(f"{path}: not an Inspect log: expected an object with \"eval\" "
                             f"and \"samples\" (inspect eval --log-format json)")
        header = doc
        if not isinstance(doc.get("samples"), list):
            raise InputError(f"{path}: the Inspect log has no samples (was it written with "
                             f"--no-log-samples?)")
        samples = ((f"{path}, samples[{i}]", s) for i, s in enumerate(doc["samples"]))
    spec = header.get("eval") if isinstance(header, dict) else None
    model = spec.get("model") if isinstance(spec, dict) else None
    option = _text_value(model, "eval.model", str(path))
    if header.get("status") not in (None, "success"):
        notes.append(f"{path}: the Inspect run ended with status {header.get('status')!r}: "
                     f"only the samples it logged are read")
    yield from _inspect_samples(path, option, samples, columns, notes)


def _inspect_samples(path: Path, option: str, samples: Iterable[tuple[str, Any]],
                     columns: Columns, notes: list[str]) -> Iterator[Row]:
    scorer = columns.scorer
    unscored = 0
    for where, sample in samples:
        if not isinstance(sample, dict):
            raise InputError(f"{where}: expected a sample object, got {limits.shorten(sample)}")
        scores = sample.get("scores")
        if not isinstance(scores, dict) or not scores:
            unscored += 1
            continue
        if scorer is None:
            scorer = next(iter(scores))
            if len(scores) > 1:
                notes.append(f"{path}: scorer {scorer!r} read (the log also has "
                             f"{', '.join(k for k in scores if k != scorer)}; --scorer NAME)")
        if scorer not in scores:
            raise InputError(f"{where}: no score from scorer {scorer!r} (scorers: "
                             f"{', '.join(map(str, scores))}; --scorer NAME)")
        score = scores[scorer]
        value = score.get("value") if isinstance(score, dict) else score
        ok = inspect_value(value, where) >= columns.threshold
        example = _text_value(sample.get("id"), "sample id", where)
        epoch = sample.get("epoch", 1)
        if epoch not in (1, None):
            example = f"{example}@epoch {epoch}"
        yield example, option, ok, where
    if unscored:
        notes.append(f"{path}: {unscored} sample(s) without scores left out (an error, or "
                     f"not scored yet)")


def _inspect_archive(path: Path) -> tuple[dict, Iterator[tuple[str, Any]]]:
    """The header and the samples of an Inspect ``.eval`` archive."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: not a readable .eval archive ({exc})") from None
    names = archive.namelist()
    head = next((n for n in ("header.json", "_journal/start.json", "start.json")
                 if n in names), None)
    if head is None:
        raise InputError(f"{path}: a zip archive without header.json: not an Inspect log")
    header = _archive_json(path, archive, head)
    sample_names = sorted(n for n in names if n.startswith("samples/") and n.endswith(".json"))
    if not sample_names:
        raise InputError(f"{path}: the Inspect log has no samples (was it written with "
                         f"--no-log-samples?)")
    samples = ((f"{path}, {n}", _archive_json(path, archive, n)) for n in sample_names)
    return header, samples


def _zstd_member(path: Path, info: zipfile.ZipInfo) -> bytes:
    """A zstd-compressed member (Inspect writes ``.eval`` archives so) on a Python whose
    ``zipfile`` cannot unpack zstd (before 3.14): its raw bytes through ``zstandard``, never
    more than the size the archive declares, checked against the member's CRC."""
    try:
        import zstandard
    except ImportError:
        raise InputError(f"{path}: {info.filename} is zstd-compressed (as Inspect writes .eval "
                         f"logs); this Python needs the zstandard package to read it: pip "
                         f"install \"ftroi[inspect]\", or convert the log: inspect log convert "
                         f"{path.name} --to json") from None
    with path.open("rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"no local header for {info.filename}")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        raw = fh.read(info.compress_size)
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        data = reader.read(info.file_size + 1)
    except zstandard.ZstdError as exc:
        raise zipfile.BadZipFile(f"zstd: {exc}") from None
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile("its size or CRC does not match the archive's")
    return data


def _archive_json(path: Path, archive: zipfile.ZipFile, name: str) -> Any:
    info = archive.getinfo(name)
    if info.file_size > MAX_DOCUMENT_BYTES:
        raise InputError(f"{path}: {name} unpacks to {info.file_size:,} bytes: at most "
                         f"{MAX_DOCUMENT_BYTES / 2**20:g} MiB")
    try:
        if info.compress_type == ZIP_ZSTANDARD and not hasattr(zipfile, "ZIP_ZSTANDARD"):
            data = _zstd_member(path, info)
        else:
            data = archive.read(name)
    except NotImplementedError:
        raise InputError(f"{path}: {name} is compressed in a way this Python cannot unpack; "
                         f"convert the log: inspect log convert {path.name} --to json") \
            from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(f"{path}: {name} is damaged ({exc})") from None
    return limits.parse_json(data, field=f"{path}, {name}", max_bytes=MAX_DOCUMENT_BYTES,
                             max_depth=MAX_DOCUMENT_DEPTH, strict_numbers=False)


# ---- counts into a scenario ---------------------------------------------------------------------

def eval_options() -> tuple[str, ...]:
    """The scenario options that take eval counts: those whose section has ``eval_correct``
    (before that field exists: those with an ``accuracy`` of their own)."""
    from dataclasses import fields as dc_fields

    from .scenario import OPTIONS, SECTION_TYPES

    def has(option: str, name: str) -> bool:
        return name in {f.name for f in dc_fields(SECTION_TYPES[option])}

    with_counts = tuple(o for o in OPTIONS if has(o, "eval_correct"))
    return with_counts or tuple(o for o in OPTIONS if o != "hybrid" and has(o, "accuracy"))


def map_options(names: Sequence[str], mapping: Mapping[str, str],
                models: Mapping[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """``({name in the file: scenario option}, [names left unmapped])``.

    ``mapping`` (``--map name=option``) wins; otherwise a name that is a scenario option maps
    to itself, and a name that is an option's ``model`` in ``models`` (``{option: model}``,
    also as ``provider/model`` or ``provider:model``) maps to that option.
    """
    targets = eval_options()
    for name, option in mapping.items():
        if name not in names:
            raise InputError(f"--map {name}={option}: no option {name!r} in the eval files "
                             f"(they have: {', '.join(names)})")
        if option not in targets:
            raise InputError(f"--map {name}={option}: {option!r} is not a scenario option "
                             f"that takes eval counts ({', '.join(targets)})")
    chosen: dict[str, str] = {}
    left: list[str] = []
    for name in names:
        option = mapping.get(name)
        if option is None and name in targets:
            option = name
        if option is None and models:
            hits = [o for o, m in models.items() if o in targets and m and (
                name == m or name.endswith(("/" + m, ":" + m)))]
            option = hits[0] if len(hits) == 1 else None
        if option is None:
            left.append(name)
            continue
        other = next((n for n, o in chosen.items() if o == option), None)
        if other is not None:
            raise InputError(f"{name!r} and {other!r} both map to the scenario option "
                             f"{option!r}: map one elsewhere (--map NAME=option)")
        chosen[name] = option
    return chosen, left


_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")
_COUNT_LINE = re.compile(r"^\s*eval_(correct|total)\s*=")
_ACCURACY_LINE = re.compile(r"^\s*accuracy\s*=")


def scenario_with_counts(text: str, counts: Mapping[str, tuple[int, int]]) -> tuple[str, bool]:
    """``text`` (a scenario in TOML) with ``<option>.eval_correct`` and ``eval_total`` set for
    each ``option: (correct, total)``; returns ``(new text, comments kept)``.

    The lines are written in place (after the section's ``accuracy`` line, replacing earlier
    counts), so the file's comments stay; a file laid out otherwise (dotted keys, inline tables)
    is rewritten from its parsed fields instead, without comments.
    """
    for option, (k, n) in counts.items():
        _check_counts(f"{option}.eval_correct", k, n)
    lines = text.splitlines()
    for option, (k, n) in counts.items():
        lines = _set_counts(lines, option, k, n)
    new = "\n".join(lines) + "\n"
    if _has_counts(new, counts):
        return new, True
    data = limits.parse_toml(text, field="scenario")
    for option, (k, n) in counts.items():
        section = data.setdefault(option, {})
        if not isinstance(section, dict):
            raise InputError(f"scenario: {option} is not a table")
        section["eval_correct"], section["eval_total"] = int(k), int(n)
    import tomli_w

    return tomli_w.dumps(data), False


def _set_counts(lines: list[str], option: str, k: int, n: int) -> list[str]:
    start = next((i for i, ln in enumerate(lines)
                  if (m := _HEADER.match(ln)) and m.group(1) == option), None)
    new = [f"eval_correct = {int(k):<14} # graded by ftroi evals: {k} right of {n}",
           f"eval_total = {int(n)}"]
    if start is None:
        return [*lines, "", f"[{option}]", *new]
    end = next((i for i in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[i])),
               len(lines))
    body = [ln for ln in lines[start + 1:end] if not _COUNT_LINE.match(ln)]
    at = next((i + 1 for i, ln in enumerate(body) if _ACCURACY_LINE.match(ln)), 0)
    while at and at < len(body) and body[at].lstrip().startswith("#") \
            and body[at].startswith(" "):
        at += 1  # the accuracy line's comment continues on indented lines
    return [*lines[:start + 1], *body[:at], *new, *body[at:], *lines[end:]]


def _has_counts(text: str, counts: Mapping[str, tuple[int, int]]) -> bool:
    try:
        data = limits.parse_toml(text, field="scenario")
    except InputError:
        return False
    return all(isinstance(data.get(o), dict) and data[o].get("eval_correct") == k
               and data[o].get("eval_total") == n for o, (k, n) in counts.items())
