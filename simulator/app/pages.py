"""The app's sidebar sections and page parts, each a named step that ``app.py`` calls in order.

Only the app's files import streamlit. No model logic here: every number comes from the core
through the cached callables in :class:`Core` (built in ``app.py``, where all caching lives);
every text from a user, a file, a log or a link is shown through :func:`appstate.as_text`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import pricing
import pricing.genai
from pricing import PriceError
from simulator.app import (
    data as app_data,
)
from simulator.app import (
    evidence as app_evidence,
)
from simulator.app import (
    state as appstate,
)
from simulator.app import (
    traffic as app_traffic,
)
from simulator.app.state import as_text  # every text from a user, file, log or link
from simulator.core.errors import InputError
from simulator.core.wording import SINGLE_ESTIMATE_APP
from simulator.reports import answer as answers
from simulator.reports import charts
from simulator.reports.html_report import html_report

PRICE_KINDS = {"inference": "Inference (per 1M tokens)", "finetune": "Fine-tuning offerings",
               "gpus": "GPUs (per hour)", "batch": "Batch discounts",
               "lifecycle": "Lifecycle dates (last training day, last serving day, successor)"}
Overrides = tuple[tuple[str, str], ...]
Slots = dict[str, DeltaGenerator]


@dataclass(frozen=True)
class Core:
    """The cached calls into the core, built once per run in ``app.py``."""

    price_table: Callable[..., pricing.PriceTable]
    run_core: Callable[[str, Overrides], appstate.Run]
    run_monte_carlo: Callable[..., Any]
    run_tornado: Callable[..., Any]
    run_grid: Callable[..., Any]
    count_text: Callable[[str, str, bool], tuple[int, bool, str]]
    dataset_report: Callable[..., Any]
    traffic_report: Callable[..., Any]
    model_lifecycles: Callable[[], dict]
    default_state: Callable[[], dict]


@dataclass(frozen=True)
class Page:
    """The answer's place and the six tabs, in the order the user sees them."""

    answer: DeltaGenerator
    be: DeltaGenerator
    bd: DeltaGenerator
    sens: DeltaGenerator
    unc: DeltaGenerator
    prices: DeltaGenerator
    data: DeltaGenerator


@dataclass
class Sidebar:
    """What the sidebar hands on: the message slots per section, a training file's counts, the
    evidence extras."""

    slots: Slots
    dataset: dict | None = None
    evidence: dict | None = None


# ---- session state -------------------------------------------------------------------------------

def init_session(core: Core) -> None:
    """Session state from the link, once; widgets hidden in one run keep their values."""
    if "ftroi.ready" not in st.session_state:
        state, problems = appstate.state_from_query(st.query_params.to_dict(),
                                                    defaults=core.default_state())
        for key, value in state.items():
            st.session_state[key] = value
        st.session_state["ftroi.query_problems"] = problems
        st.session_state["ftroi.scenario_error"] = None
        st.session_state["ftroi.scenario_notes"] = []
        st.session_state["ftroi.ready"] = True

    # Widgets hidden in one run (the prompt texts in Numbers mode …) keep their values.
    kept = st.session_state.to_dict()
    for key in (*appstate.WIDGET_KEYS, "finetune.paste", "scenario.paste", "ui.sens_option",
                "ui.mc_option"):
        if key in kept:
            st.session_state[key] = kept[key]


def apply_scenario(data: bytes | str) -> None:
    """Callback: restore every widget from a scenario JSON (upload or paste)."""
    ui = appstate.ui_settings(st.session_state)
    try:
        state, notes = appstate.state_from_json(data, ui=ui)
    except InputError as exc:
        st.session_state["ftroi.scenario_error"] = str(exc)
        return
    for key, value in state.items():
        st.session_state[key] = value
    st.session_state["ftroi.scenario_error"] = None
    st.session_state["ftroi.scenario_notes"] = notes


def on_scenario_upload() -> None:
    upload = st.session_state.get("scenario.upload")
    if upload is not None:
        apply_scenario(upload.getvalue())


def on_gpu_change() -> None:
    appstate.follow_gpu(st.session_state)


def on_scenario_paste() -> None:
    apply_scenario(st.session_state.get("scenario.paste", ""))


# ---- widgets --------------------------------------------------------------------------------------

def number(path: str, *, disabled: bool = False, on_change=None) -> None:
    """The widget of one numeric field (:data:`simulator.reports.answer.FIELDS`)."""
    f = appstate.FIELD_BY_PATH[path]
    label = f"{f.label} [{f.unit}]" if f.unit else f.label
    cast = int if f.integer else float
    kwargs = {"min_value": cast(f.lo), "max_value": cast(f.hi), "step": cast(f.step), "key": path,
              "help": f.help, "disabled": disabled, "on_change": on_change}
    if f.fmt:
        kwargs["format"] = f.fmt
    if f.optional:   # may be left empty (the box's default): the field unset, the core
        kwargs.update(value=None, placeholder=f.auto)   # picks its value
    if f.slider:
        st.slider(label, **kwargs)
    else:
        st.number_input(label, **kwargs)


# ---- sidebar ---------------------------------------------------------------------------------------

def sidebar(core: Core, table0: pricing.PriceTable) -> Sidebar:
    """Every input section, top to bottom, then the link's problems under their sections."""
    start = appstate.start_date(st.session_state.get("extras", {}))
    horizon_months = int(st.session_state["horizon_months"])
    side = Sidebar(slots={})
    with st.sidebar:
        st.header("Inputs")
        st.caption("Defaults: the example scenario (`ftroi example`). Hover the ? icons for what "
                   "each input means.")
        with st.expander("Workload", expanded=True):
            workload_section(core, side.slots)
        with st.expander("Prompting", expanded=True):
            prompting_section(core, table0, start, horizon_months, side.slots)
        with st.expander("Fine-tuning"):
            side.dataset = finetune_section(core, table0, start, horizon_months, side.slots)
        app_data.draw_sidebar(st, table0.inference_models())
        with st.expander("Self-hosting"):
            selfhost_section(table0, side.slots)
        with st.expander("RAG"):
            rag_section(table0, side.slots)
        with st.expander("Hybrid"):
            number("hybrid.finetuned_share")
            side.slots["Hybrid"] = st.container()
        with st.expander("Quality"):
            quality_section(side.slots)
        with st.expander("Evidence"):
            side.evidence = app_evidence.panel(st.session_state.get("extras") or {})
        with st.expander("Horizon & money"):
            horizon_section(side.slots)
        with st.expander("Uncertainty"):
            uncertainty_section(side.slots)

    for problem in st.session_state["ftroi.query_problems"]:
        slot_for(side.slots, problem).warning(as_text(f"Link: {problem}"))
    return side


def slot_for(slots: Slots, message: str) -> DeltaGenerator:
    """Where a message about an input goes: under the widget of the field it names when that
    widget has its own place, else at the end of the widget's sidebar section."""
    head = message.split(":", 1)[0].strip()
    return slots.get(head) or slots[appstate.error_group(message)]


def workload_section(core: Core, slots: Slots) -> None:
    """Request logs (optional) fill the volume and token fields; their histograms after."""
    logs = st.file_uploader(
        "Your traffic: request logs", type=["jsonl", "json", "csv"], key="workload.logs",
        help="Chat request JSONL, Batch API input/output JSONL or a usage CSV "
             "(timestamp, prompt_tokens, completion_tokens): fills the fields below "
             "(and the static prompt's tokens in Numbers mode) from what the logs show.")
    traffic = None
    if logs is not None:
        traffic = read_logs(core, logs)
    for p in ("workload.requests_per_month", "workload.growth_per_month",
              "workload.input_tokens", "workload.output_tokens"):
        number(p)
    if traffic is not None:
        st.caption(as_text(app_traffic.traffic_caption(traffic)))
        for label, stats in (("User input tokens per request", traffic.input_tokens),
                             ("Output tokens per request", traffic.output_tokens)):
            if stats is not None:
                st.caption(label)
                st.bar_chart(app_traffic.histogram_frame(stats), x="tokens", y="requests",
                             height=140)
    slots["Workload"] = st.container()


def read_logs(core: Core, logs) -> Any:
    """The uploaded logs' traffic report (a progress bar meanwhile); a new file sets the
    widgets once."""
    traffic = None
    bar = st.progress(0.0, text="Reading your logs…")
    try:
        traffic = core.traffic_report(logs.getvalue(), logs.name, lambda done, total:
                                      bar.progress(done / max(total, 1),
                                                   text="Reading your logs…"))
    except (InputError, ValueError, OSError, RecursionError) as exc:
        st.error(as_text(f"Request logs not read: {exc}"))
    bar.empty()
    if traffic is not None and st.session_state.get("ftroi.logs_id") != logs.file_id:
        numbers_mode = st.session_state["prompt.mode"] == "Numbers"
        for key, value in app_traffic.widget_values(traffic,
                                                    numbers_mode=numbers_mode).items():
            st.session_state[key] = value
        st.session_state["ftroi.logs_id"] = logs.file_id
    return traffic


def prompting_section(core: Core, table0: pricing.PriceTable, start, horizon_months: int,
                      slots: Slots) -> None:
    """The prompted model, its host, the static prompt and the prompting costs."""
    lifecycles = core.model_lifecycles()
    models = appstate.model_choices(table0.inference_models(), lifecycles, start,
                                    horizon_months)
    if st.session_state["prompt.model"] not in models:
        models = [st.session_state["prompt.model"], *models]
    st.selectbox("Prompted model", models, key="prompt.model",
                 format_func=lambda m: appstate.choice_label(
                     m, lifecycles.get(m.lower(), pricing.NO_LIFECYCLE), start),
                 help="The large model you would keep prompting; every model with a price "
                      "(ftroi's table and genai-prices) is listed, those that serve "
                      "through your horizon first, retired ones last.")
    hosts = table0.inference_hosts(st.session_state["prompt.model"])
    if st.session_state.get("prompt.provider", "") not in ("", *hosts):
        st.session_state["prompt.provider"] = ""   # the new model is not sold there
    st.selectbox("Provider", ["", *hosts], key="prompt.provider",
                 format_func=lambda h: h or "default host (the model's maker first)",
                 help="Where you call the model; several hosts sell some models at "
                      "different rates. The default is the model's maker, else the most "
                      "common host; the Prices tab's rates say which one was used.")
    prompt_life = lifecycles.get(st.session_state["prompt.model"].lower())
    if prompt_life is not None and (warning := appstate.closing_warning(
            st.session_state["prompt.model"], prompt_life, start, horizon_months)):
        st.warning(as_text(warning))
    st.radio("Static prompt given as", appstate.PROMPT_MODES, key="prompt.mode",
             horizontal=True,
             help="Numbers: type token counts. Text: paste the prompt and the few-shot "
                  "examples; they are counted exactly with the model's tokenizer.")
    static_prompt(core)
    for p in ("prompt.cached_share", "prompt.batch_share", "prompt.engineering_hours",
              "prompt.maintenance_hours_per_month"):
        number(p)
    st.checkbox("Prompt already written and in use", key="prompt.already_built",
                help="Its engineering hours are sunk: charged to no option, listed as "
                     "not counted.")
    slots["Prompting"] = st.container()


def static_prompt(core: Core) -> None:
    """System prompt and few-shot examples: texts counted with the tokenizer, or numbers."""
    text_mode = st.session_state["prompt.mode"] == "Text"
    model = st.session_state["prompt.model"]
    for path, fewshot, label in (("prompt.system_prompt", False, "System prompt"),
                                 ("prompt.fewshot", True, "Few-shot examples")):
        if text_mode:
            st.text_area(label, key=path, height=110,
                         help="Sent with every request. Few-shot: plain text, a JSON list "
                              "of texts, or a JSON list of {role, content} messages.")
            text = st.session_state[path]
            if not text.strip():
                st.warning(f"{label} is empty: it counts as 0 tokens. Paste it, or switch "
                           "to Numbers.")
            else:
                try:
                    n, exact, note = core.count_text(text, model, fewshot)
                except InputError as exc:
                    st.error(as_text(exc))
                else:
                    st.caption(f"**{n:,} tokens** · exact ({as_text(model)} tokenizer)"
                               if exact else f"**~{n:,} tokens** · estimate: {as_text(note)}")
        else:
            number(f"{path}_tokens")


def finetune_section(core: Core, table0: pricing.PriceTable, start, horizon_months: int,
                     slots: Slots) -> dict | None:
    """The offering, the training data (numbers or a file) and the fine-tuning costs; returns
    the training file's counts, if one was read."""
    finetune_offering(table0, start, horizon_months)
    number("finetune.prompt_tokens")
    st.radio("Training data", appstate.DATA_MODES, key="finetune.data_mode",
             horizontal=True,
             help="Numbers: examples × tokens. Upload or paste a JSONL training file to "
                  "count the billed tokens exactly and check every line.")
    st.checkbox("Epochs: provider's 'auto' rule", key="finetune.epochs_auto",
                help="OpenAI's default: 3 epochs, adjusted so examples × epochs stays "
                     "within 100..25,000.")
    dataset = training_file(core)
    using_file = dataset is not None
    for p in ("finetune.examples", "finetune.tokens_per_example"):
        number(p, disabled=using_file)
    number("finetune.epochs", disabled=st.session_state["finetune.epochs_auto"])
    for p in ("finetune.labelling_usd_per_example", "finetune.data_prep_hours",
              "finetune.eval_usd_per_run", "finetune.maintenance_hours_per_month",
              "finetune.retrain_every_months",
              "finetune.new_examples_per_retrain", "finetune.examples_on_hand",
              "finetune.months_to_production", "finetune.adapters_per_deployment"):
        number(p)
    slots["finetune.adapters_per_deployment"] = st.container()
    st.checkbox("A tuned model already exists", key="finetune.already_trained",
                help="No first training run, evaluation or data preparation (sunk); "
                     "its examples are on hand.")
    slots["Fine-tuning"] = st.container()
    return dataset


def finetune_offering(table0: pricing.PriceTable, start, horizon_months: int) -> None:
    """The offering picker (open ones first) and its closing warning."""
    offerings = appstate.offering_choices(table0.finetune_offerings(), start, horizon_months)
    keys = list(offerings)
    if st.session_state["finetune.offering"] not in offerings:
        keys = [st.session_state["finetune.offering"], *keys]

    def offering_label(key: str) -> str:
        o = offerings.get(key)
        provider, model_name = appstate.split_offering(key)
        if o is None:
            return f"{provider} · {model_name}"
        train = (f"${o.train_usd_per_mtok:g}/1M training tokens" if o.train_usd_per_mtok
                 is not None else f"${o.train_usd_per_hour:g}/training hour")
        badge = o.lifecycle.badge(start)
        return (f"{provider} · {model_name.split('/')[-1]} ({train})"
                + (f" · {badge}" if badge else ""))

    st.selectbox("Fine-tuning offering", keys, key="finetune.offering",
                 format_func=offering_label,
                 help="Provider and base model to tune; rates from the Prices tab. "
                      "Offerings open through your horizon come first, closed ones last.")
    chosen = offerings.get(st.session_state["finetune.offering"])
    if chosen is not None and (warning := appstate.closing_warning(
            f"{chosen.provider} {chosen.model} fine-tuning", chosen.lifecycle, start,
            horizon_months)):
        st.warning(as_text(warning))


def training_file(core: Core) -> dict | None:
    """The uploaded or pasted training file, read and checked; its counts, or None."""
    epochs = "auto" if st.session_state["finetune.epochs_auto"] else int(
        st.session_state["finetune.epochs"])
    mode = st.session_state["finetune.data_mode"]
    raw = None
    if mode == "Upload JSONL":
        upload = st.file_uploader("Training file (JSONL)", type=["jsonl", "json", "txt"],
                                  key="finetune.upload",
                                  help="Chat format ({\"messages\": [...]}) or legacy "
                                       "{prompt, completion}; one example per line.")
        raw = upload.getvalue() if upload is not None else None
        if raw is None:
            st.info("No file yet: the numbers below are used.")
    elif mode == "Paste JSONL":
        st.text_area("Training examples (JSONL, one per line)", key="finetune.paste",
                     height=110)
        pasted = st.session_state.get("finetune.paste", "")
        raw = pasted.encode("utf-8") if pasted.strip() else None
        if raw is None:
            st.info("Nothing pasted yet: the numbers below are used.")
    if raw is None:
        return None
    base_model = appstate.split_offering(st.session_state["finetune.offering"])[1]
    try:
        report = core.dataset_report(raw, base_model, epochs)
    except InputError as exc:
        st.error(as_text(f"Training file: {exc}"))
        return None
    training_file_report(report)
    return appstate.dataset_values(report)


def training_file_report(report) -> None:
    """The training file's counts, its over-long examples and its bad lines."""
    st.caption(
        f"**{report.n_examples:,} examples** on {report.n_lines:,} lines · "
        f"{report.tokens_total:,} tokens (median {report.tokens_median:,.0f} per "
        f"example) · **{report.billed_tokens_per_epoch:,} billed tokens per "
        f"epoch** × {report.epochs} epochs ({report.epochs_rule}) = "
        f"**{report.billed_training_tokens:,} billed training tokens** · "
        + ("exact" if report.exact else f"estimate: {as_text(report.note)}"))
    if report.over_limit_lines:
        st.warning(f"{len(report.over_limit_lines)} example(s) exceed the "
                   f"{report.max_tokens_per_example:,}-token limit and are billed "
                   f"at the limit (lines "
                   f"{', '.join(map(str, report.over_limit_lines[:10]))}"
                   f"{'…' if len(report.over_limit_lines) > 10 else ''}).")
    if report.n_errors:
        shown = report.errors[:12]
        more = report.n_errors - len(shown)
        st.error(f"{report.n_errors} bad line(s) in the training file; the numbers "
                 "below are used until it is fixed:\n\n"
                 + "\n".join(f"- line {e.line}: {as_text(e.message)}"
                             for e in shown)
                 + (f"\n- … and {more} more" if more > 0 else ""))


def selfhost_section(table0: pricing.PriceTable, slots: Slots) -> None:
    gpus = table0.gpu_names()
    if st.session_state["selfhost.gpu"] not in gpus:
        gpus = [st.session_state["selfhost.gpu"], *gpus]
    st.selectbox("GPU", gpus, key="selfhost.gpu", on_change=on_gpu_change,
                 help="Rented GPU type; its cheapest on-demand price in the table is used, "
                      "and its published throughput for the model size.")
    number("selfhost.model_params_b", on_change=on_gpu_change)
    for warning in appstate.throughput_warnings(st.session_state):
        st.warning(as_text(warning))
    replica_widgets(slots)
    for p in ("selfhost.train_tokens_per_second", "selfhost.serve_tokens_per_second",
              "selfhost.training_gpus", "selfhost.utilisation", "selfhost.min_replicas",
              "selfhost.ops_hours_per_month", "selfhost.months_to_production"):
        number(p)
    slots["Self-hosting"] = st.container()


def replica_widgets(slots: Slots) -> None:
    """The serving precision and the GPUs per replica (automatic: sized from memory), each
    with its own place for the error that names it."""
    st.selectbox("Serving precision", appstate.PRECISIONS, key="selfhost.precision",
                 format_func=appstate.precision_label,
                 help="Number format of the weights when serving. Fewer bytes per parameter "
                      "need less GPU memory, so a replica may need fewer GPUs; bf16 is the "
                      "usual choice, fp8 or int4 are quantised.")
    slots["selfhost.precision"] = st.container()
    st.selectbox("GPUs per replica", appstate.GPUS_PER_REPLICA_CHOICES,
                 key="selfhost.gpus_per_replica",
                 format_func=appstate.gpus_per_replica_label,
                 placeholder=appstate.gpus_per_replica_label(None),  # None shows as empty
                 help="GPUs one copy of the model is split over (tensor parallelism). "
                      "Automatic = the fewest of 1, 2, 4, 8 whose memory holds the weights at "
                      "the serving precision plus a KV-cache reserve; pick more for headroom. "
                      "Too few for the model is refused.")
    slots["selfhost.gpus_per_replica"] = st.container()


def rag_section(table0: pricing.PriceTable, slots: Slots) -> None:
    embedders = [m for m in table0.inference_models() if "embed" in m]
    if st.session_state["rag.embedding_model"] not in embedders:
        embedders = [st.session_state["rag.embedding_model"], *embedders]
    st.selectbox("Embedding model", embedders, key="rag.embedding_model",
                 help="Prices the one-time and monthly embedding of the corpus.")
    for p in ("rag.context_tokens", "rag.corpus_tokens", "rag.reembed_share_per_month",
              "rag.vector_store_usd_per_month"):
        number(p)
    slots["RAG"] = st.container()


def quality_section(slots: Slots) -> None:
    for p in ("prompt.accuracy", "finetune.accuracy", "selfhost.accuracy",
              "cost_per_error_usd"):
        number(p)
    st.caption("Errors cost accuracy gap × requests × cost per error; at 0 USD/error the "
               "comparison is cost only.")
    slots["Quality"] = st.container()


def horizon_section(slots: Slots) -> None:
    st.multiselect("Options to compare", list(charts.OPTION_LABELS), key="options",
                   format_func=charts.label,
                   help="Which roads are priced; the baseline is always included.")
    st.selectbox("Baseline", list(charts.OPTION_LABELS), key="baseline",
                 format_func=charts.label,
                 help="What the others are compared with (savings, break-even, ROI).")
    focus_choices = ["", *[o for o in charts.OPTION_LABELS
                           if o in st.session_state["options"]]]
    if st.session_state.get("focus") not in focus_choices:
        st.session_state["focus"] = ""
    st.selectbox("Question", focus_choices, key="focus",
                 format_func=lambda o: "Fine-tuning (default)" if not o
                 else f"{charts.label(o)} against the baseline",
                 help="The option the headline, the cards, the tornado and the Monte "
                      "Carlo chart talk about.")
    for p in ("horizon_months", "discount_rate", "price_decline", "price_decline_tokens",
              "price_decline_training", "price_decline_gpu_hours", "hourly_rate_usd"):
        number(p)
    slots["Horizon & money"] = st.container()


def uncertainty_section(slots: Slots) -> None:
    st.toggle("Monte Carlo", key="ui.mc_on",
              help="Draw the uncertain inputs many times to see how sure the answer is.")
    for p in ("ui.mc_draws", "ui.spread", "ui.seed"):
        number(p)
    slots["Uncertainty"] = st.container()


# ---- page --------------------------------------------------------------------------------------------

def page() -> Page:
    """The title, the answer's place and the tabs."""
    st.title("Fine-tune, or keep prompting?")
    answer = st.container()
    tabs = st.tabs(["Break-even", "Breakdown", "Sensitivity", "Uncertainty", "Prices",
                    "Data & export"])
    return Page(answer, *tabs)


def rates_place(page: Page) -> DeltaGenerator:
    """The top of the Prices tab, where the rates in use go once the answer is computed."""
    with page.prices:
        return st.container()


PRICE_EDITS_IN_USE = "prices.in_use"
"""Session key of the price edits the answer was computed with (kind, CSV text) pairs."""


def price_edits_in_use() -> Overrides:
    """The price edits that loaded when the editable tables were last drawn; the answer is
    computed with them before the tables are drawn again (below it, see :func:`prices_tab`)."""
    return tuple(st.session_state.get(PRICE_EDITS_IN_USE) or ())


def prices_tab(core: Core, table0: pricing.PriceTable, in_use: Overrides) -> None:
    """Where the rates come from, a button to refresh them and the editable tables.

    Drawn after the answer: five editable tables cost a browser seconds to draw, and the
    charts should not wait for them. The answer used ``in_use``, the edits that loaded when
    the tables were drawn last; when this run's edits differ (a cell was just changed), they
    are kept and the page runs again at once, so the answer always uses the tables shown."""
    carried = dict((st.session_state.get("extras") or {}).get("prices") or {})
    if carried:
        st.info("This scenario carries its own price rows for "
                f"{as_text(', '.join(sorted(carried)))}; they apply on top of the table "
                "below. Edit them in a scenario file, or remove them with the scenario JSON.")
    price_snapshot()
    st.subheader("Override the price table")
    st.caption("Edit a cell or add a row (a row replaces every shipped row with the same "
               "provider and model, or GPU and provider); the simulation uses your rows at "
               "once. Deleting a row has no effect. Dates are YYYY-MM-DD; an empty cell means "
               "'not offered'.")
    override_list = []
    for kind, title in PRICE_KINDS.items():
        text = price_editor(core, table0, kind, title)
        if text is not None:
            override_list.append((kind, text))
            st.success(f"Your {kind} edits are in use.")
    edits = tuple(override_list)
    if edits != in_use:
        st.session_state[PRICE_EDITS_IN_USE] = edits
        st.rerun()


def price_snapshot() -> None:
    """The genai-prices snapshot in use and the button that fetches a newer one."""
    snapshot = pricing.genai.snapshot_info()
    if snapshot.warning:
        st.warning(as_text(snapshot.warning))
    st.caption(f"Inference rates that ftroi's own files lack come from {as_text(snapshot.label)}"
               + (f", fetched {snapshot.fetched_on.isoformat()}" if snapshot.fetched_on
                  else "") + ".")
    if st.button("Fetch the latest genai-prices data", key="prices.update",
                 help="Downloads genai-prices' newest price file into your user cache, which "
                      "later runs use. The only time ftroi goes online, and only when asked."):
        # The except is broad on purpose: this runs an HTTP client, genai-prices' parser on
        # data from the internet and a cache write, whose errors are no closed set (the CLI's
        # narrower list falls back on its top-level catch-all; a page has none). Whatever
        # fails, the page says so in one line and the old prices stay, never a traceback.
        try:
            snapshot = pricing.genai.update()
        except Exception as exc:  # noqa: BLE001 - see above: one line, the old prices stay
            st.error(as_text(f"Prices not updated: {exc}"))
        else:
            st.cache_data.clear()
            st.cache_resource.clear()
            st.success(f"Prices updated: {as_text(snapshot.label)}; the answer above uses them.")


def price_editor(core: Core, table0: pricing.PriceTable, kind: str, title: str) -> str | None:
    """One kind's editable table; the edits as CSV text if they load, else None."""
    original = table0.frame(kind)
    st.markdown(f"**{title}**")
    edited = st.data_editor(original, key=f"prices.{kind}", num_rows="dynamic",
                            hide_index=True, width="stretch",
                            column_config={"source_url": st.column_config.LinkColumn(
                                "source_url")})
    edits = st.session_state.get(f"prices.{kind}") or {}
    touched = any(edits.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))
    try:
        text = appstate.price_overrides(original, edited) if touched else None
    except InputError as exc:
        st.error(as_text(f"These edits are not used: {exc}"))
        text = None
    if text is None:
        return None
    try:
        core.price_table(((kind, text),))
    except (PriceError, InputError, ValueError) as exc:
        st.error(as_text(f"These edits are not used: {exc}"))
        return None
    return text


def scenario_state(evidence: dict | None, overrides: Overrides) -> dict:
    """Every widget's value, with the evidence and the price edits as the scenario's extras."""
    state = {key: st.session_state[key] for key in appstate.WIDGET_KEYS}
    # The price edits travel with the scenario: in its JSON download and in the share link.
    state["extras"] = appstate.with_price_edits(evidence, overrides)
    state["extras"] = app_data.extras_with_data(state["extras"], st.session_state)
    return state


def run_scenario(core: Core, state: dict, dataset: dict | None, overrides: Overrides,
                 slots: Slots) -> tuple[appstate.Run | None, str | None]:
    """The scenario built and simulated; its error shown under its sidebar section."""
    try:
        scenario = appstate.scenario_from_state(state, dataset=dataset)
        scenario_json = appstate.scenario_json(scenario)
        return core.run_core(scenario_json, overrides), None
    except (InputError, PriceError, ValueError) as exc:
        core_error = str(exc)
        slot_for(slots, core_error).error(as_text(core_error))
        return None, core_error


# ---- the answer and the tabs ------------------------------------------------------------------

def results(core: Core, page: Page, rates_slot: DeltaGenerator, run: appstate.Run,
            ui: dict, overrides: Overrides, slots: Slots) -> None:
    """The answer and the first charts first; Monte Carlo, the grid and the tornado after,
    the headline drawn again once Monte Carlo is in (issue 23)."""
    for _group, message in run.dropped:
        slot_for(slots, message).error(as_text(message))
    result = run.result
    sim_json = appstate.scenario_json(run.scenario)
    baseline = run.scenario.baseline
    mc = mc_error = None

    answer_slot = page.answer.empty()
    with answer_slot.container():
        challenger = draw_answer(run, None, None, pending=ui["ui.mc_on"])["challenger"]
    non_base = [o for o in result.summary["option"] if o != baseline]

    def option_picker(key: str) -> str | None:
        if not non_base:
            st.info("Add an option besides the baseline (Horizon & money) to compare.")
            return None
        if st.session_state.get(key) not in non_base:
            st.session_state[key] = challenger if challenger in non_base else non_base[0]
        return st.selectbox("Option", non_base, key=key, format_func=charts.label)

    with page.be:
        break_even_tab(result)
    with page.bd:
        breakdown_tab(result, baseline)
    if ui["ui.mc_on"]:
        try:
            mc = core.run_monte_carlo(sim_json, overrides, ui["ui.mc_draws"], ui["ui.spread"],
                                      ui["ui.seed"])
        except (InputError, PriceError, ValueError) as exc:
            mc_error = str(exc)
        with answer_slot.container():
            draw_answer(run, mc, mc_error)
    with page.sens:
        sensitivity_tab(core, sim_json, overrides, ui, option_picker)
    with page.unc:
        uncertainty_tab(mc, mc_error, baseline, ui, option_picker)
    with rates_slot:
        rates_in_use(result)
    with page.data:
        downloads(core, run, mc, overrides, ui)


def draw_answer(run: appstate.Run, mc, mc_error: str | None, pending: bool = False) -> dict:
    """The headline and key figures; ``pending``: Monte Carlo still to come."""
    result = run.result
    baseline = run.scenario.baseline
    horizon = run.scenario.horizon_months
    figures = answers.key_figures(result.summary, baseline, horizon,
                                   None if mc is None else mc.summary, result.focus)
    if pending:
        figures["p_text"] = "…"
    challenger = figures["challenger"]
    st.markdown("### " + as_text(answers.headline(result.summary, baseline, horizon,
                                           None if mc is None else mc.summary,
                                           None if mc is None else mc.n,
                                           result.lifecycle_short, result.focus)))
    if result.sunk:
        st.caption(as_text(result.sunk_sentence()))
    for sentence in (*result.lifecycle, *result.warnings):
        st.warning(as_text(sentence))
    c1, c2, c3, c4, c5 = st.columns([1.5, 1, 1.1, 0.8, 1.2])
    c1.metric("Best option", charts.label(figures["winner"]),
              help="Lowest total cost of ownership over the horizon.")
    vs = charts.label(challenger) if challenger else "—"
    c2.metric("Break-even", figures["breakeven_text"],
              help=f"First month from which {vs} stays at or below the baseline's "
                   "cumulative cost.")
    c3.metric(f"Savings over {horizon} months", figures["savings_text"],
              help=f"Baseline total cost minus {vs}'s [USD].")
    c4.metric("ROI", figures["roi_text"],
              help=f"Savings of {vs} divided by its upfront investment.")
    c5.metric("P(cheaper than baseline)", figures["p_text"],
              help=f"Share of Monte Carlo draws in which {vs} costs less than the baseline.")
    st.caption(f"Break-even, savings, ROI and probability are for **{vs}** against the "
               f"baseline, **{charts.label(baseline)}**.")
    for group, message in run.dropped:
        st.error(as_text(f"Left out: {message} (see {group} in the sidebar)"))
    if mc_error:
        st.warning(as_text(f"Monte Carlo not run: {mc_error}"))
    with st.expander("How this was worked out"):
        st.markdown(as_text(result.explain(mc)))
        for note in result.notes:
            st.caption(as_text(f"Note: {note}"))
    return figures


def break_even_tab(result) -> None:
    st.plotly_chart(charts.cumulative_cost(result), key="chart.cumulative")
    st.caption("Month 0 holds the one-time costs (engineering, labelling, first training). "
               "A star marks the month from which an option stays at or below the "
               "baseline; a circle the month it first pays for itself, when earlier.")
    app_evidence.charts(result, result.focus)


def breakdown_tab(result, baseline: str) -> None:
    st.plotly_chart(charts.cost_breakdown(result), key="chart.breakdown")
    shown = appstate.summary_table(result.summary, baseline, result.volume_windows)
    shown["option"] = shown["option"].map(charts.label)
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "tco_usd": st.column_config.NumberColumn("TCO [USD]", format="dollar"),
        "npv_usd": st.column_config.NumberColumn("NPV [USD]", format="dollar"),
        "upfront_usd": st.column_config.NumberColumn("upfront [USD]", format="dollar"),
        "requests": st.column_config.NumberColumn("requests", format="localized"),
        "cost_per_request_usd": st.column_config.NumberColumn("per request [USD]",
                                                              format="$%.5f"),
        "savings_usd": st.column_config.NumberColumn("savings [USD]", format="dollar"),
        "roi": st.column_config.NumberColumn("ROI [×]", format="%.2f"),
        "breakeven_month": st.column_config.TextColumn("break-even [month]"),
        "payback_month": st.column_config.TextColumn("pays for itself [month]"),
        "crossing_months": st.column_config.TextColumn("curves cross [months]"),
        "breakeven_volume": st.column_config.NumberColumn("cheaper from [requests/month]",
                                                          format="localized"),
        "breakeven_volume_status": None,
        "cheaper_at_volumes": st.column_config.TextColumn(
            "cheaper at month-1 volumes [requests/month]"),
        "accuracy": st.column_config.NumberColumn("accuracy", format="%.3f")})
    app_data.draw_panel(st, result)


def sensitivity_tab(core: Core, sim_json: str, overrides: Overrides, ui: dict,
                    option_picker: Callable[[str], str | None]) -> None:
    """The savings grid and the tornado for the picked option."""
    option = option_picker("ui.sens_option")
    if not option:
        return
    try:
        grid, today = core.run_grid(sim_json, overrides)
    except (InputError, ValueError) as exc:
        st.info(as_text(f"No savings grid for this scenario: {exc}"))
    else:
        st.plotly_chart(charts.savings_heatmap(grid, option, current=today),
                        key="chart.heatmap")
        st.caption("Prompt length is the whole static prefix (system prompt + few-shot) "
                   "the large model gets on every request; black dots trace where "
                   "savings are zero.")
    try:
        frame = core.run_tornado(sim_json, overrides, ui["ui.spread"])
    except (InputError, ValueError) as exc:
        st.info(as_text(f"No tornado for this scenario: {exc}"))
    else:
        labels = {f.path: f.label for f in answers.FIELDS}
        labels.update({"prompt.input_usd_per_mtok": "Prompted model input price",
                       "prompt.output_usd_per_mtok": "Prompted model output price",
                       "finetune.train_usd_per_mtok": "Training price",
                       "finetune.input_usd_per_mtok": "Tuned model input price",
                       "finetune.output_usd_per_mtok": "Tuned model output price",
                       "selfhost.gpu_usd_per_hour": "GPU price"})
        st.plotly_chart(charts.tornado(frame, option, labels=labels),
                        key="chart.tornado")
        st.caption(f"Each input moved alone by ±{ui['ui.spread']:.0%} (set under "
                   "Uncertainty).")


def uncertainty_tab(mc, mc_error: str | None, baseline: str, ui: dict,
                    option_picker: Callable[[str], str | None]) -> None:
    """The Monte Carlo savings distribution and its table, or why there is none."""
    if mc is None:
        st.info(as_text(mc_error) if mc_error else (
            "Monte Carlo is off: turn it on under Uncertainty in the sidebar."))
        return
    option = option_picker("ui.mc_option")
    if option:
        st.plotly_chart(charts.savings_distribution(mc, option), key="chart.mc")
    table = appstate.mc_table(mc.summary, baseline)
    table["option"] = table["option"].map(charts.label)
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "p_cheaper": st.column_config.NumberColumn("P(cheaper)", format="percent"),
        "p_breakeven": st.column_config.NumberColumn("P(breaks even)",
                                                     format="percent"),
        **{c: st.column_config.NumberColumn(c.replace("_usd", " [USD]"),
                                            format="dollar")
           for c in table.columns if c.endswith("_usd")}})
    st.caption(f"{mc.n:,} draws, seed {ui['ui.seed']}: volumes, token counts, hours and "
               f"per-token prices drawn from triangular distributions "
               f"±{ui['ui.spread']:.0%} around today's values.")


def rates_in_use(result) -> None:
    st.subheader("Rates in use")
    st.dataframe(result.prices, hide_index=True, width="stretch", column_config={
        "source_url": st.column_config.LinkColumn("source_url")})
    st.caption("Every rate the simulation used, with its source and the date it was "
               "checked. 'scenario' rows are your inputs.")


def downloads(core: Core, run: appstate.Run, mc, overrides: Overrides, ui: dict) -> None:
    """The CSV and JSON downloads, the HTML report (built only when clicked) and the months."""
    result = run.result
    st.subheader("Download")
    d1, d2, d3, d4 = st.columns(4)
    d1.download_button("Monthly costs (CSV)", appstate.csv_text(result.monthly),
                       file_name="monthly.csv", mime="text/csv", key="dl.monthly")
    d2.download_button("Summary (CSV)", appstate.csv_text(result.summary),
                       file_name="summary.csv", mime="text/csv", key="dl.summary")
    d3.download_button("Prices used (CSV)", appstate.csv_text(result.prices),
                       file_name="prices.csv", mime="text/csv", key="dl.prices")
    d4.download_button("Scenario (JSON)", appstate.scenario_json(run.scenario),
                       file_name="scenario.json", mime="application/json",
                       key="dl.scenario")
    st.download_button(  # built only when clicked: every chart, plotly.js inlined (~5 MB)
        "Report to hand over (HTML)", lambda: html_report(
            result, mc, table=core.price_table(overrides), spread=ui["ui.spread"],
            hint=SINGLE_ESTIMATE_APP),
        file_name="ftroi-report.html", mime="text/html", key="dl.report",
        help="One self-contained file that opens offline: the recommendation, the headline "
             "figures, every chart, the summary and the assumptions with their sources.")
    st.subheader("Monthly costs")
    monthly = result.monthly
    paid = monthly[monthly.cost_usd != 0]
    st.dataframe(paid, hide_index=True, width="stretch", height=260,
                 column_config={"cost_usd": st.column_config.NumberColumn(
                     "cost [USD]", format="$%.2f")})
    if len(paid) < len(monthly):
        st.caption(f"{len(monthly) - len(paid):,} rows of $0 (a component an option does not "
                   f"pay that month) are left out here; the CSV above has all {len(monthly):,}.")


def answer_error(page: Page, core_error: str | None) -> None:
    with page.answer:
        st.error(as_text(f"Fix this input to see the answer: {core_error}"))


# ---- keep and share ---------------------------------------------------------------------------

def keep_and_share(core: Core, state: dict) -> None:
    """Restore a scenario from a file or a paste; keep the address bar in step and show it."""
    st.subheader("Restore a scenario")
    st.file_uploader("Scenario JSON", type=["json"], key="scenario.upload",
                     on_change=on_scenario_upload,
                     help="A scenario.json downloaded from this page or written by hand; every "
                          "input is set from it.")
    st.text_area("…or paste scenario JSON", key="scenario.paste", height=100)
    st.button("Load pasted scenario", key="scenario.load", on_click=on_scenario_paste)
    if st.session_state["ftroi.scenario_error"]:
        st.error(as_text(f"Scenario not loaded: "
                         f"{st.session_state['ftroi.scenario_error']}"))
    for note in st.session_state["ftroi.scenario_notes"]:
        st.warning(as_text(note))
    share_link(core, state)


def share_link(core: Core, state: dict) -> None:
    """The query string of this view: written to the address bar and shown to copy."""
    counts = None
    if state["prompt.mode"] == "Text":
        try:
            counts = {"prompt.system_prompt_tokens":
                      core.count_text(state["prompt.system_prompt"], state["prompt.model"],
                                      False)[0],
                      "prompt.fewshot_tokens":
                      core.count_text(state["prompt.fewshot"], state["prompt.model"], True)[0]}
        except InputError:
            counts = None
    target = appstate.state_to_query(state, defaults=core.default_state(), token_counts=counts)
    if st.query_params.to_dict() != target:
        st.query_params.from_dict(target)
    st.subheader("Share")
    st.caption("The address bar always holds this view; copy it to share. Only inputs that "
               "differ from the defaults are in it; an uploaded training file is not (its "
               "counts are).")
    st.code("?" + urlencode(target) if target else "(all defaults: the plain address)",
            language=None)
