"""What the browser app shows and keeps, without Streamlit: widgets ↔ scenario ↔ URL.

The app (``app.py``) draws one widget per entry of :data:`FIELDS` (and a few pickers), keyed by
the scenario path it edits (``"workload.requests_per_month"``). This module holds everything
between those widget values and the core, as pure functions that the tests call directly:

* :func:`widget_state` — a :class:`~simulator.model.scenario.Scenario` as widget values (session state);
* :func:`scenario_from_state` — widget values back to a scenario (checked by the core);
* :func:`state_to_query` / :func:`state_from_query` — the view as URL query parameters;
* :func:`state_from_json` — a scenario JSON (upload or paste) as widget values;
* :func:`read_dataset` — an uploaded training JSONL counted exactly;
* :func:`simulate_guarded` — simulate, leaving out options whose inputs are broken;
* :func:`mc_distributions`, :func:`tornado_ranges` — the app's default uncertainty;
* :func:`headline`, :func:`key_figures` — the answer in one sentence and five numbers;
* :func:`price_overrides` — edited price tables as override CSV text.

Widget values may differ from scenario values by a scale (shares are shown in percent): a
widget value is ``scenario value × scale``.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from pricing import NO_LIFECYCLE, Lifecycle
from pricing.table import standard_method

from ..core import limits
from ..core.errors import InputError
from ..core.wording import NEVER, volume_windows_cell
from ..model.lifecycle import add_months, training_closed_at_start
from ..model.result import Result, is_missing
from ..model.scenario import (
    DEFAULT_EXAMPLES,
    DEFAULT_FEWSHOT_TOKENS,
    DEFAULT_SYSTEM_PROMPT_TOKENS,
    DEFAULT_TOKENS_PER_EXAMPLE,
    OPTIONS,
    SECTION_TYPES,
    Scenario,
    check_prices,
    default_months_to_production,
    dumps_scenario,
    example_scenario,
    field_rule,
)
from ..model.throughput import BYTES_PER_PARAM, PRECISIONS, TENSOR_PARALLEL_SIZES, gpu_throughput
from ..reports.answer import FIELDS
from ..reports.export import inert_frame
from ..tokens import tokens

GROUPS = ("Workload", "Prompting", "Fine-tuning", "Self-hosting", "RAG", "Hybrid", "Quality",
          "Horizon & money", "Uncertainty")
"""The sidebar's input groups, in order."""

GROUP_OF_SECTION = {"workload": "Workload", "prompt": "Prompting", "finetune": "Fine-tuning",
                    "selfhost": "Self-hosting", "rag": "RAG", "hybrid": "Hybrid"}

OPTIONS_NEEDING = {
    "prompt": {"prompt", "rag", "hybrid"},
    "rag": {"rag"},
    "finetune": {"finetune", "hybrid", "selfhost"},
    "selfhost": {"selfhost"},
    "hybrid": {"hybrid"},
}
"""Scenario section -> the options that cannot be priced when that section is broken."""

PROMPT_MODES = ("Numbers", "Text")
DATA_MODES = ("Numbers", "Upload JSONL", "Paste JSONL")
MAX_URL_TEXT_CHARS = 2000
"""Prompt texts longer than this (together) go into a link as their token counts."""


FIELD_BY_PATH = {f.path: f for f in FIELDS}

UI_DEFAULTS: dict[str, Any] = {"ui.mc_on": True, "ui.mc_draws": 2000, "ui.spread": 0.2,
                               "ui.seed": 2026}
"""Page settings that are not part of the scenario (values in scenario units)."""

PICKERS = ("prompt.model", "prompt.provider", "finetune.offering", "selfhost.gpu", "rag.embedding_model",
           "options", "baseline", "prompt.mode", "prompt.system_prompt", "prompt.fewshot",
           "finetune.epochs_auto", "finetune.data_mode", "ui.mc_on",
           "prompt.already_built", "finetune.already_trained", "focus", "selfhost.precision",
           "selfhost.gpus_per_replica")
"""Non-numeric widget keys."""

GPUS_PER_REPLICA_CHOICES: tuple[int | None, ...] = (None, *TENSOR_PARALLEL_SIZES)
"""The GPUs-per-replica picker: ``None`` = sized from memory, else a tensor-parallel size."""


def precision_label(precision: str) -> str:
    """A serving precision as the picker shows it: ``bf16 (2 bytes/parameter)``."""
    return f"{precision} ({BYTES_PER_PARAM[precision]:g} bytes/parameter)"


def gpus_per_replica_label(n: int | None) -> str:
    """A GPUs-per-replica choice as the picker shows it."""
    return "auto: fewest that fit" if n is None else \
        f"{n} GPU{'s' if n > 1 else ''}"

WIDGET_KEYS = tuple(f.path for f in FIELDS) + PICKERS

# Scenario fields the widgets cover (everything else is carried along as "extras").
_COVERED = {f.path for f in FIELDS if not f.path.startswith("ui.")} | {
    "prompt.model", "prompt.provider", "prompt.system_prompt", "prompt.fewshot",
    "finetune.provider",
    "finetune.model", "selfhost.gpu", "rag.embedding_model", "options", "baseline",
    "finetune.epochs", "finetune.dataset", "prompt.already_built", "finetune.already_trained",
    "focus", "selfhost.precision", "selfhost.gpus_per_replica"}

FLAG_KEYS = ("finetune.epochs_auto", "ui.mc_on", "prompt.already_built",
             "finetune.already_trained")
"""Widget keys that hold true/false (``1``/``0`` in a link)."""


# ---- flat scenario dicts --------------------------------------------------------------------

def flatten(data: Mapping[str, Any]) -> dict[str, Any]:
    """A scenario dict (``to_dict()`` form) as ``{"section.field": value, "top": value}``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in SECTION_TYPES and isinstance(value, Mapping):
            for name, v in value.items():
                out[f"{key}.{name}"] = v
        else:
            out[key] = value
    return out


def unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`flatten`."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        section, dot, name = path.partition(".")
        if dot and section in SECTION_TYPES:
            out.setdefault(section, {})[name] = value
        else:
            out[path] = value
    return out


# ---- scenario -> widgets ----------------------------------------------------------------------

def fewshot_to_text(fewshot: Any) -> str:
    """A scenario's ``prompt.fewshot`` as text-area text (lists become JSON)."""
    if fewshot is None:
        return ""
    if isinstance(fewshot, str):
        return fewshot
    return json.dumps([dict(v) if isinstance(v, Mapping) else v for v in fewshot], indent=1,
                      ensure_ascii=False)


def fewshot_from_text(text: str) -> str | list:
    """Text-area text as ``prompt.fewshot``: a JSON list (of texts or chat messages) stays a
    list; anything else is one text."""
    limits.check_text("prompt.fewshot", text)
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            value = limits.parse_json(stripped, field="prompt.fewshot",
                                      max_bytes=4 * limits.MAX_TEXT_CHARS)
        except InputError:
            return text
        if isinstance(value, list):
            return value
    return text


# ---- lifecycle badges ---------------------------------------------------------------------------

def availability_rank(life: Lifecycle, start: date, horizon_months: int) -> int:
    """Where a model or offering goes in a picker: 0 open through the horizon, 1 closing
    inside it (or marked deprecated), 2 already closed on ``start``."""
    if training_closed_at_start(life, start):
        return 2
    end = add_months(start, horizon_months)
    dates = [d for d in (life.training_ends, life.serving_ends) if d is not None]
    if any(d < end for d in dates) or life.status != "active":
        return 1
    return 0


def model_choices(names: Iterable[str], lifecycles: Mapping[str, Lifecycle], start: date,
                  horizon_months: int) -> list[str]:
    """Model names for a picker: those open through the horizon first, then the closing and
    deprecated ones, then the retired ones (each group in name order)."""
    return sorted(names, key=lambda n: (availability_rank(
        lifecycles.get(n.lower(), NO_LIFECYCLE), start, horizon_months), n))


def choice_label(name: str, life: Lifecycle, start: date) -> str:
    """``name`` with its lifecycle badge: ``gpt-4.1 · serves until 2027-01-13``."""
    badge = life.badge(start)
    return f"{name} · {badge}" if badge else name


def offering_choices(offerings: Iterable[Any], start: date, horizon_months: int
                     ) -> dict[str, Any]:
    """One offering per provider and base model (its standard method), keyed for the
    picker, open ones first, then closing, then closed."""
    by_key: dict[str, list] = {}
    for o in offerings:
        by_key.setdefault(offering_key(o.provider, o.model), []).append(o)
    chosen = {}
    for key, group in by_key.items():
        method = standard_method(o.method for o in group)
        chosen[key] = next(o for o in group if o.method == method)
    order = sorted(chosen, key=lambda k: (availability_rank(chosen[k].lifecycle, start,
                                                            horizon_months), k))
    return {k: chosen[k] for k in order}


def start_date(extras: Mapping[str, Any]) -> date:
    """The scenario's start date from the page's extra fields (a loaded ``as_of``), else
    today: what picker badges and warnings are measured from."""
    value = extras.get("as_of")
    if isinstance(value, datetime):
        value = value.date()
    try:
        day = value if isinstance(value, date) else (
            date.fromisoformat(str(value)) if value else date.today())
    except ValueError:
        return date.today()
    # outside the calendar ftroi prices, the scenario itself says so: badges use today
    if not (date.fromisoformat(limits.EARLIEST_AS_OF) <= day
            <= date.fromisoformat(limits.LATEST_AS_OF)):
        return date.today()
    return day


def closing_warning(subject: str, life: Lifecycle, start: date, horizon_months: int
                    ) -> str | None:
    """A warning for a picker whose choice closes inside the horizon, or None."""
    if availability_rank(life, start, horizon_months) != 1:
        return None
    badge = life.badge(start) or "marked deprecated"
    successor = f" Its successor: {life.successor}." if life.successor else ""
    return (f"{subject}: {badge}, inside your {horizon_months}-month horizon from "
            f"{start.isoformat()}. The answer prices the way out (see the headline)."
            f"{successor}")


def offering_key(provider: str, model: str) -> str:
    """The fine-tuning picker's value for an offering."""
    return f"{provider}/{model}"


def split_offering(key: str) -> tuple[str, str]:
    """``"openai/gpt-4.1-mini"`` -> ``("openai", "gpt-4.1-mini")`` (models may hold slashes)."""
    provider, _, model = key.partition("/")
    return provider, model


def widget_state(scenario: Scenario, *, ui: Mapping[str, Any] | None = None
                 ) -> tuple[dict[str, Any], list[str]]:
    """Session-state values for every widget, from ``scenario``; and notes for the user.

    Values outside a widget's range are clamped (a note says so). Fields no widget edits
    (pinned rates, titles …) are kept under the ``"extras"`` key, so nothing is lost.
    """
    flat = flatten(scenario.to_dict())
    notes: list[str] = []
    state: dict[str, Any] = {}
    ui_values = dict(UI_DEFAULTS, **(ui or {}))
    for f in FIELDS:
        if f.path.startswith("ui."):
            value = ui_values[f.path]
        else:
            value = flat.get(f.path)
        if value is None and f.optional:
            state[f.path] = None   # unset: the core picks the value (the widget is empty)
            continue
        if value is None or value == "auto":
            value = _numeric_default(f.path, scenario)
        widget = f.to_widget(value)
        if not f.lo <= float(value) * f.scale <= f.hi:
            notes.append(f"{f.path}: {value!r} is outside this page's range "
                         f"{f.lo / f.scale:g}..{f.hi / f.scale:g}; shown as {widget / f.scale:g}")
        state[f.path] = widget
    pc, fc = scenario.prompt, scenario.finetune
    text_mode = pc.system_prompt is not None or pc.fewshot is not None
    state["prompt.mode"] = "Text" if text_mode else "Numbers"
    state["prompt.model"] = pc.model
    state["prompt.provider"] = pc.provider or ""
    state["prompt.system_prompt"] = pc.system_prompt or ""
    state["prompt.fewshot"] = fewshot_to_text(pc.fewshot)
    state["finetune.offering"] = offering_key(fc.provider, fc.model)
    state["finetune.epochs_auto"] = fc.epochs == "auto"
    state["finetune.data_mode"] = "Numbers"
    if fc.dataset is not None:
        notes.append(f"finetune.dataset: the page cannot open {fc.dataset!r} from a scenario; "
                     "upload the file under Fine-tuning (the example numbers are used until "
                     "then)")
    state["selfhost.gpu"] = scenario.selfhost.gpu
    state["selfhost.precision"] = scenario.selfhost.precision
    state["selfhost.gpus_per_replica"] = scenario.selfhost.gpus_per_replica
    state["rag.embedding_model"] = scenario.rag.embedding_model
    state["options"] = list(scenario.options)
    state["baseline"] = scenario.baseline
    state["ui.mc_on"] = bool(ui_values["ui.mc_on"])
    state["prompt.already_built"] = bool(pc.already_built)
    state["finetune.already_trained"] = bool(fc.already_trained)
    state["focus"] = scenario.focus or ""
    state["extras"] = {k: v for k, v in flat.items() if k not in _COVERED}
    return state, notes


def _numeric_default(path: str, scenario: Scenario) -> float:
    defaults = {"finetune.months_to_production": default_months_to_production(
                    "finetune", scenario.finetune.already_trained),
                "selfhost.months_to_production": default_months_to_production("selfhost"),
                "prompt.system_prompt_tokens": DEFAULT_SYSTEM_PROMPT_TOKENS,
                "prompt.fewshot_tokens": DEFAULT_FEWSHOT_TOKENS,
                "finetune.examples": DEFAULT_EXAMPLES,
                "finetune.tokens_per_example": DEFAULT_TOKENS_PER_EXAMPLE,
                "finetune.epochs": 3,
                "finetune.maintenance_hours_per_month":
                    scenario.prompt.maintenance_hours_per_month}
    if path in defaults:
        return defaults[path]
    if path in THROUGHPUT_FALLBACK:
        # The published figure for the scenario's GPU and model size; where none is published,
        # the former assumption (the page pins the widget's value either way).
        published = published_throughputs(scenario.selfhost.gpu,
                                          scenario.selfhost.model_params_b)[path]
        return THROUGHPUT_FALLBACK[path] if published is None else published
    raise InputError(f"{path}: no value and no default")  # pragma: no cover - all covered


THROUGHPUT_FALLBACK = {"selfhost.serve_tokens_per_second": 2500.0,
                       "selfhost.train_tokens_per_second": 3000.0}
"""Widget values where ``gpu_throughput.csv`` publishes no figure for the GPU and size."""


def published_throughputs(gpu: str, params_b: float) -> dict[str, float | None]:
    """The published training and serving throughput of one ``gpu`` for a model of
    ``params_b`` billion parameters [tokens/s], by widget path; None where
    ``gpu_throughput.csv`` has no figure."""
    out: dict[str, float | None] = {}
    for path in THROUGHPUT_FALLBACK:
        task = "serve" if path.startswith("selfhost.serve") else "train"
        try:
            out[path] = gpu_throughput(gpu, task, float(params_b)).tokens_per_second
        except InputError:
            out[path] = None
    return out


def follow_gpu(state: MutableMapping[str, Any]) -> None:
    """After the GPU or the model size changed: the throughput widgets take the published
    figures of the new choice (a slower card is never priced at a faster card's speed); a
    widget with no published figure keeps its value, which :func:`throughput_warnings` then
    calls the user's assumption."""
    for path, value in published_throughputs(state["selfhost.gpu"],
                                             state["selfhost.model_params_b"]).items():
        if value is not None:
            state[path] = FIELD_BY_PATH[path].to_widget(value)


def throughput_warnings(state: Mapping[str, Any]) -> list[str]:
    """One sentence per throughput widget whose value no published figure backs."""
    gpu, size = state["selfhost.gpu"], float(state["selfhost.model_params_b"])
    out = []
    for path, value in published_throughputs(gpu, size).items():
        if value is None:
            what = "serving" if path.startswith("selfhost.serve") else "training"
            out.append(f"No published {what} throughput for {gpu} and a model of {size:g}B "
                       f"parameters in gpu_throughput.csv: the {what} throughput below "
                       f"({float(state[path]):,.0f} tokens/s) is your assumption; set it from "
                       f"a benchmark of your own.")
    return out


def default_state() -> dict[str, Any]:
    """Widget values of the example scenario with the default page settings."""
    return widget_state(example_scenario())[0]


# ---- widgets -> scenario ----------------------------------------------------------------------

def scenario_dict(state: Mapping[str, Any], *,
                  dataset: Mapping[str, float] | None = None) -> dict[str, Any]:
    """The scenario dict (``Scenario.from_dict`` form) that the widget values describe.

    ``dataset`` (from :func:`dataset_values`) replaces the example count and length when a
    training file was given.
    """
    flat: dict[str, Any] = dict(state.get("extras") or {})
    for f in FIELDS:
        if f.path.startswith("ui.") or f.path == "finetune.epochs":
            continue
        value = f.to_scenario(state.get(f.path) if f.optional else state[f.path])
        if value is not None:     # an empty optional widget leaves its field unset
            flat[f.path] = value
    if flat.get("finetune.maintenance_hours_per_month") == flat.get(
            "prompt.maintenance_hours_per_month"):
        # Equal upkeep is the default (symmetric unless the user says otherwise).
        flat.pop("finetune.maintenance_hours_per_month")
    flat["prompt.model"] = state["prompt.model"]
    flat["prompt.provider"] = state.get("prompt.provider") or None   # "" = the default host
    if flat["prompt.provider"] is None:
        flat.pop("prompt.provider")
    if state["prompt.mode"] == "Text":
        flat.pop("prompt.system_prompt_tokens", None)
        flat.pop("prompt.fewshot_tokens", None)
        flat["prompt.system_prompt"] = state["prompt.system_prompt"]
        flat["prompt.fewshot"] = fewshot_from_text(state["prompt.fewshot"])
    provider, model = split_offering(state["finetune.offering"])
    flat["finetune.provider"], flat["finetune.model"] = provider, model
    flat["finetune.epochs"] = ("auto" if state["finetune.epochs_auto"]
                               else int(state["finetune.epochs"]))
    if dataset:
        flat.update(dataset)
    flat["selfhost.gpu"] = state["selfhost.gpu"]
    if state.get("selfhost.precision"):
        flat["selfhost.precision"] = state["selfhost.precision"]
    if state.get("selfhost.gpus_per_replica") is not None:   # None: sized from memory
        flat["selfhost.gpus_per_replica"] = int(state["selfhost.gpus_per_replica"])
    published = published_throughputs(state["selfhost.gpu"], flat["selfhost.model_params_b"])
    for path, value in published.items():
        # The published figure is the default: leave it to the table, which follows the GPU.
        if value is not None and flat.get(path) == value:
            flat.pop(path)
    flat["rag.embedding_model"] = state["rag.embedding_model"]
    flat["options"] = list(state["options"])
    flat["baseline"] = state["baseline"]
    flat["prompt.already_built"] = bool(state.get("prompt.already_built", False))
    flat["finetune.already_trained"] = bool(state.get("finetune.already_trained", False))
    trained = flat["finetune.already_trained"]
    waits = {f"{road}.months_to_production": default_months_to_production(road, trained)
             for road in ("finetune", "selfhost")}
    for path, default in waits.items():
        if flat.get(path) == default:
            flat.pop(path)   # the documented default: left unset, as in the scenario
    focus = state.get("focus") or None
    if focus in (*flat["options"], flat["baseline"]):
        flat["focus"] = focus     # a focus whose option was removed falls back to the default
    return unflatten(flat)


def scenario_from_state(state: Mapping[str, Any], *,
                        dataset: Mapping[str, float] | None = None) -> Scenario:
    """The :class:`Scenario` the widget values describe; :class:`InputError` if invalid."""
    return Scenario.from_dict(scenario_dict(state, dataset=dataset))


def ui_settings(state: Mapping[str, Any]) -> dict[str, Any]:
    """The page settings (Monte Carlo on/off, draws, spread, seed) in scenario units."""
    out = {"ui.mc_on": bool(state.get("ui.mc_on", UI_DEFAULTS["ui.mc_on"]))}
    for path in ("ui.mc_draws", "ui.spread", "ui.seed"):
        out[path] = FIELD_BY_PATH[path].to_scenario(state[path])
    out["ui.mc_draws"] = int(out["ui.mc_draws"])
    out["ui.seed"] = int(out["ui.seed"])
    return out


def error_group(message: str) -> str:
    """The sidebar group an error message belongs to, from the field path it starts with."""
    head = message.split(":", 1)[0].strip()
    section = head.split(".", 1)[0].split("[", 1)[0]
    if head in FIELD_BY_PATH:
        return FIELD_BY_PATH[head].group
    if section in GROUP_OF_SECTION:
        return GROUP_OF_SECTION[section]
    if section in ("options", "baseline", "horizon_months", "discount_rate", "price_decline",
                   "hourly_rate_usd"):
        return "Horizon & money"
    if section == "cost_per_error_usd":
        return "Quality"
    return "Horizon & money"


# ---- text from users, files, logs and links ---------------------------------------------------

_ALWAYS_ESCAPED = frozenset("\\`*[]<>#!|~$&")
"""Characters Streamlit's markdown reads as syntax wherever they stand: images and links
(``![x](url)``), HTML tags and entities, emphasis, code, headings, tables, strikethrough and
``$…$`` LaTeX. ``(``, ``)``, ``.`` and ``-`` do nothing without them, except at a line start."""

_LINE_START = re.compile(r"^(\s*)([-+=]|\d+[.)])", re.MULTILINE)


def as_text(value: Any) -> str:
    """``value`` as text that Streamlit's markdown shows exactly as written, never as markup.

    Every message, caption or heading that holds text from a user, a file, a log, a price file
    or a link goes through here: a model name ``![x](http://host/m.png)`` is shown as those
    characters, and the viewer's browser fetches nothing. Escaped with a backslash: markdown's
    and Streamlit's syntax characters (:data:`_ALWAYS_ESCAPED`); ``_`` except inside a word
    (``input_usd_per_mtok`` stays as it is, which CommonMark never reads as emphasis); ``:``
    before a non-space (``:red[…]``, ``:material/…:`` and emoji codes), and a list or heading
    marker at a line start. Control characters other than a newline are dropped; a newline
    is a visible line break.

    >>> print(as_text("**bold** :red[x] input_usd: ![i](u)"))
    \\*\\*bold\\*\\* \\:red\\[x\\] input_usd: \\!\\[i\\](u)
    """
    text = value if isinstance(value, str) else str(value)
    text = "".join(ch for ch in text if ch == "\n" or not (
        ch < " " or "\x7f" <= ch < "\xa0" or ch in "\u2028\u2029"))
    out = []
    n = len(text)
    for i, ch in enumerate(text):
        if ch in _ALWAYS_ESCAPED:
            out.append("\\" + ch)
        elif ch == "_" and not (0 < i < n - 1 and text[i - 1].isalnum()
                                and text[i + 1].isalnum()):
            out.append("\\_")
        elif ch == ":" and i < n - 1 and not text[i + 1].isspace():
            out.append("\\:")
        else:
            out.append(ch)
    escaped = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if len(m.group(2)) == 1
                              else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1],
                              "".join(out))
    return escaped.replace("\n", "  \n")


# ---- URL ----------------------------------------------------------------------------------------

def _query_value(value: Any) -> str:
    if value is None:
        return ""   # an optional field left unset
    if isinstance(value, Mapping):
        return json.dumps(dict(value), ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, str) and "," not in v for v in value):
            return ",".join(value)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def state_to_query(state: Mapping[str, Any], *, defaults: Mapping[str, Any] | None = None,
                   token_counts: Mapping[str, int] | None = None,
                   max_text_chars: int = MAX_URL_TEXT_CHARS) -> dict[str, str]:
    """URL query parameters for the values that differ from ``defaults``.

    Keys are widget keys (scenario paths); the carried-along extras are written under their
    own paths. Prompt texts longer than ``max_text_chars`` together are replaced by their
    counts ``token_counts`` (``{"prompt.system_prompt_tokens": n, "prompt.fewshot_tokens":
    m}``), so a link stays short: the link then reproduces the numbers, not the text.
    """
    defaults = default_state() if defaults is None else defaults
    state = dict(state)
    out: dict[str, str] = {}
    if state.get("prompt.mode") == "Text":
        long = len(state.get("prompt.system_prompt", "")) + len(state.get("prompt.fewshot", ""))
        if long > max_text_chars and token_counts:
            state["prompt.mode"] = "Numbers"
            for path, n in token_counts.items():
                state[path] = FIELD_BY_PATH[path].to_widget(n)
    skip_text = state.get("prompt.mode") != "Text"
    for key in WIDGET_KEYS:
        if key in ("finetune.data_mode",):
            continue
        if skip_text and key in ("prompt.system_prompt", "prompt.fewshot"):
            continue
        if key == "finetune.epochs" and state.get("finetune.epochs_auto", True):
            continue
        if key not in state:
            continue
        value = state[key]
        if key in defaults and _same(value, defaults[key]):
            continue
        out[key] = _query_value(value)
    default_extras = defaults.get("extras") or {}
    for path, value in (state.get("extras") or {}).items():
        if path in default_extras and _same(value, default_extras[path]):
            continue
        out[path] = _query_value(value)
    for path in default_extras:
        if path not in (state.get("extras") or {}):
            out[path] = ""  # removed: an empty value means "not set"
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def _parse_number(text: str) -> float:
    value = float(text.replace("_", "").strip())
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def state_from_query(params: Mapping[str, Any], *, defaults: Mapping[str, Any] | None = None
                     ) -> tuple[dict[str, Any], list[str]]:
    """Widget values from URL query parameters on top of ``defaults``; and problems found.

    Unknown keys and unreadable values are reported and ignored; the rest still applies.
    Numbers are clamped to the widget's range.
    """
    defaults = default_state() if defaults is None else defaults
    state = {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v)
             for k, v in defaults.items()}
    problems: list[str] = []
    for key, raw in params.items():
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else ""
        raw = str(raw)
        try:
            if key in FIELD_BY_PATH and FIELD_BY_PATH[key].optional \
                    and raw.strip().lower() in ("", "auto"):
                state[key] = None
            elif key in FIELD_BY_PATH:
                f = FIELD_BY_PATH[key]
                x = _parse_number(raw)
                clamped = min(max(x, f.lo), f.hi)
                if clamped != x:
                    problems.append(f"{key}: {raw} is outside {f.lo:g}..{f.hi:g}; "
                                    f"using {clamped:g}")
                state[key] = round(clamped) if f.integer else float(clamped)
            elif key in FLAG_KEYS:
                if raw not in ("0", "1", "true", "false"):
                    raise ValueError(raw)
                state[key] = raw in ("1", "true")
            elif key == "options":
                state[key] = [o for o in raw.split(",") if o]
                bad = [o for o in state[key] if o not in OPTIONS]
                if bad:
                    state[key] = [o for o in state[key] if o in OPTIONS]
                    problems.append(f"options: unknown option(s) {', '.join(bad)} left out "
                                    f"(known: {', '.join(OPTIONS)})")
            elif key == "prompt.mode":
                if raw not in PROMPT_MODES:
                    raise ValueError(raw)
                state[key] = raw
            elif key == "selfhost.precision":
                if raw.strip().lower() not in PRECISIONS:
                    raise InputError(f"must be one of {', '.join(PRECISIONS)}, got "
                                     f"{limits.shorten(raw)}")
                state[key] = raw.strip().lower()
            elif key == "selfhost.gpus_per_replica":
                state[key] = gpus_per_replica_from_text(raw)
            elif key in PICKERS:
                state[key] = raw
            else:
                _set_extra(state, key, raw)
        except (ValueError, InputError) as exc:
            detail = str(exc) if isinstance(exc, InputError) else f"cannot read {raw!r}"
            problems.append(f"{key}: {detail}; ignored")
    if {"selfhost.gpu", "selfhost.model_params_b"} & set(params):
        # As when the GPU or the size is changed by hand (follow_gpu): the throughputs the
        # link does not give take the published figures of its GPU and size, never those of
        # the defaults' smaller model.
        for path, value in published_throughputs(state["selfhost.gpu"],
                                                 state["selfhost.model_params_b"]).items():
            if path not in params and value is not None:
                state[path] = FIELD_BY_PATH[path].to_widget(value)
    return state, problems


def gpus_per_replica_from_text(raw: str) -> int | None:
    """A link's ``selfhost.gpus_per_replica``: empty or ``auto`` = sized from memory
    (``None``), else one of the tensor-parallel sizes; :class:`InputError` otherwise."""
    text = raw.strip().lower()
    if text in ("", "auto"):
        return None
    try:
        n = _parse_number(text)
    except ValueError:
        n = math.nan
    if n not in TENSOR_PARALLEL_SIZES:
        raise InputError(f"must be empty (sized from memory) or one of "
                         f"{', '.join(map(str, TENSOR_PARALLEL_SIZES))}, got "
                         f"{limits.shorten(raw)}")
    return int(n)


def _set_extra(state: dict[str, Any], key: str, raw: str) -> None:
    """A query parameter for a scenario field no widget edits."""
    extras = dict(state.get("extras") or {})
    if raw == "":
        extras.pop(key, None)
        state["extras"] = extras
        return
    if key == "prices":  # price rows carried by the scenario: {kind: CSV text} as JSON
        extras[key] = dict(check_prices(limits.parse_json(raw, field="prices")))
        state["extras"] = extras
        return
    section, dot, name = key.partition(".")
    known = (dot and section in SECTION_TYPES
             and name in {f for f in SECTION_TYPES[section].__dataclass_fields__})
    top = not dot and key in Scenario.__dataclass_fields__ and key not in ("source_dir", "notes")
    if not (known or top):
        raise InputError("not a scenario field")
    try:
        field_rule(key)
        value: Any = _parse_number(raw)
        if value.is_integer() and field_rule(key).integer:
            value = int(value)
    except InputError:
        value = raw
    except ValueError:
        value = raw
    extras[key] = value
    state["extras"] = extras


# ---- scenario files -----------------------------------------------------------------------------

def state_from_json(data: bytes | str, *, ui: Mapping[str, Any] | None = None
                    ) -> tuple[dict[str, Any], list[str]]:
    """Widget values from a scenario JSON document (an upload or pasted text).

    Raises :class:`InputError` with a readable message for text that is not JSON or a scenario
    with unknown or invalid fields.
    """
    if isinstance(data, (bytes, bytearray)):
        limits.check_size("scenario file", len(data), limits.MAX_DOCUMENT_BYTES)
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"scenario file: not UTF-8 text (byte {exc.start})") from None
    if not isinstance(data, str):
        raise InputError(f"scenario file: expected text, got {type(data).__name__}")
    if not data.strip():
        raise InputError("scenario file: it is empty")
    parsed = limits.parse_json(data, field="scenario file")
    scenario = Scenario.from_dict(parsed)
    state, notes = widget_state(scenario, ui=ui)
    return state, list(scenario.notes) + notes


def scenario_json(scenario: Scenario) -> str:
    """The scenario as JSON text (the download)."""
    return dumps_scenario(scenario, "json")


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV text safe to open in a spreadsheet (text cells cannot run as formulas)."""
    return inert_frame(frame).to_csv(index=False)


def count_prompt_text(text: str, model: str, *, fewshot: bool = False) -> tokens.TokenCount:
    """Tokens of a system prompt or of few-shot examples as typed in a text area [tokens].

    Few-shot text that is a JSON list of texts is counted text by text; a JSON list of chat
    messages is counted with the chat rule minus the reply priming (which every request pays
    once anyway, as ``workload.chat_overhead_tokens``), as the engine counts it.
    """
    value = fewshot_from_text(text) if fewshot else text
    if isinstance(value, str):
        return tokens.count_tokens(value, model)
    if all(isinstance(v, str) for v in value):
        counts = [tokens.count_tokens(v, model) for v in value]
        return tokens.TokenCount(sum(counts), exact=all(c.exact for c in counts),
                                 note=next((c.note for c in counts if not c.exact), ""))
    if not all(isinstance(v, Mapping) for v in value):
        raise InputError("prompt.fewshot: a JSON list must hold only texts or only "
                         "{role, content} messages")
    counted = tokens.count_chat_tokens(list(value), model)
    return tokens.TokenCount(max(int(counted) - tokens.REPLY_PRIMING_TOKENS, 0),
                             exact=counted.exact, note=counted.note)


# ---- training files -----------------------------------------------------------------------------

def read_dataset(data: bytes, model: str, *, epochs: int | str = "auto"
                 ) -> tokens.DatasetReport:
    """Count a training JSONL given as bytes (an upload or pasted text) for ``model``."""
    if not isinstance(data, (bytes, bytearray)):
        raise InputError(f"training file: expected bytes, got {type(data).__name__}")
    return tokens.analyze_dataset(io.BytesIO(bytes(data)), model, epochs=epochs)


def dataset_values(report: tokens.DatasetReport) -> dict[str, float] | None:
    """The scenario numbers a clean training file gives (examples, billed tokens per example);
    None when the file has errors or no examples."""
    if not report.ok:
        return None
    return {"finetune.examples": int(report.n_examples),
            "finetune.tokens_per_example": report.billed_tokens_per_epoch / report.n_examples}


# ---- running the core -------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True, eq=False)
class Run:
    """What one guarded simulation gives the page.

    result : the :class:`~simulator.model.result.Result` of the options that could be priced
    scenario : the scenario actually simulated (broken options left out)
    dropped : (group, message) for every input problem that made the page leave options out
    """

    result: Result
    scenario: Scenario
    dropped: tuple[tuple[str, str], ...]


def simulate_guarded(scenario: Scenario, simulate: Callable[[Scenario], Result]) -> Run:
    """``simulate(scenario)``; if an input error names a section, leave out the options that
    need it and try again, so the rest of the page still works.

    Raises the :class:`InputError` when the baseline itself cannot be priced.
    """
    dropped: list[tuple[str, str]] = []
    current = scenario
    for _ in range(len(OPTIONS)):
        try:
            return Run(result=simulate(current), scenario=current, dropped=tuple(dropped))
        except InputError as exc:
            message = str(exc)
            section = message.split(":", 1)[0].split(".", 1)[0].strip()
            affected = OPTIONS_NEEDING.get(section, set())
            if current.baseline in affected or not affected & set(current.options):
                raise
            dropped.append((error_group(message), message))
            keep = [o for o in current.options if o not in affected]
            current = current.with_values(options=tuple(keep or [current.baseline]))
    raise InputError("options: no option could be priced")  # pragma: no cover


# ---- the answer ---------------------------------------------------------------------------------


def summary_table(summary: pd.DataFrame, baseline: str,
                  volume_windows: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The summary as the app's table shows it: the baseline's comparison cells (savings,
    ROI, break-even) empty and the break-even and payback months as text, ``never`` where
    they are missing. With ``volume_windows`` (a result's), ``cheaper_at_volumes`` lists
    every interval of month-1 volume where the option is cheaper (``4,400,000–5,300,000;
    ≥ 10,070,000``)."""
    out = summary.copy()
    base = out["option"] == baseline
    for col in ("savings_usd", "roi", "breakeven_volume"):
        out[col] = out[col].astype("Float64").mask(base)
    for col in ("breakeven_month", "payback_month"):
        if col in out.columns:
            out[col] = ["" if b else NEVER if is_missing(m) else str(int(m))
                        for b, m in zip(base, out[col])]
    if volume_windows is not None:
        out["cheaper_at_volumes"] = [
            "" if b or o not in volume_windows
            else volume_windows_cell(volume_windows[o].intervals)
            for b, o in zip(base, out["option"])]
    return out


def mc_table(mc_summary: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """The Monte Carlo summary as the app's table shows it: without the baseline (it has
    nothing to compare), break-even month percentiles as text, ``never`` where missing."""
    out = mc_summary[mc_summary["option"] != baseline].copy()
    for col in [c for c in out.columns if c.startswith("breakeven_month_p")]:
        out[col] = [NEVER if is_missing(m) else str(int(m)) for m in out[col]]
    return out


# ---- prices -------------------------------------------------------------------------------------

def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def with_price_edits(extras: Mapping[str, Any], edits: Iterable[tuple[str, str]]
                     ) -> dict[str, Any]:
    """``extras`` whose ``prices`` (the rows a scenario carries) include the page's price
    edits (``(kind, CSV text)`` pairs, as :func:`price_overrides` makes them), so they travel
    in the scenario JSON and the share link."""
    edits = dict(edits)
    if not edits:
        return dict(extras)
    return dict(extras, prices={**dict(extras.get("prices") or {}), **edits})


def price_overrides(original: pd.DataFrame, edited: pd.DataFrame) -> str | None:
    """Rows of ``edited`` that are new or differ from ``original``, as override CSV text for
    :func:`pricing.load_price_table`; None when nothing changed."""
    cols = list(original.columns)
    before = {tuple(_cell(v) for v in row) for row in original[cols].itertuples(index=False)}
    rows = [[_cell(v) for v in row] for row in edited.reindex(columns=cols).itertuples(index=False)]
    for i, row in enumerate(rows, start=1):
        for col, cell in zip(cols, row):
            if len(cell) > limits.MAX_CELL_CHARS:
                raise InputError(f"price table, row {i}, column {col}: {limits.shorten(cell)} "
                                 f"is too long: at most {limits.MAX_CELL_CHARS:,} characters")
    changed = [r for r in rows if tuple(r) not in before and any(r)]
    if not changed:
        return None
    buf = io.StringIO()
    pd.DataFrame(changed, columns=cols).to_csv(buf, index=False)
    return buf.getvalue()
