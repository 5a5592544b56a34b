"""ftroi in the browser: ``streamlit run app.py``.

This file only wires widgets to the core: prices are loaded (cached), keyed widgets drawn, one
scenario built (:mod:`simulator.appstate`), the core called (cached, bounded), and the answer,
charts (:mod:`simulator.charts`) and downloads drawn. No model logic here.
"""

from __future__ import annotations

import io
import json
import time
from urllib.parse import urlencode

import streamlit as st

import pricing
import pricing.genai
from pricing import PriceError
from simulator import (
    Scenario,
    app_data,
    app_traffic,
    appstate,
    charts,
    monte_carlo,
    savings_grid,
    sensitivity,
    simulate,
)
from simulator import app_evidence
from simulator.allocator import keep_freed_memory
from simulator.appstate import as_text  # every text from a user, file, log or link
from simulator.errors import InputError
from simulator.html_report import html_report
from simulator.resolve import resolve
from simulator.wording import SINGLE_ESTIMATE_APP

STARTED = time.perf_counter()
keep_freed_memory()  # the app owns its process: large arrays reuse freed pages
st.set_page_config(page_title="ftroi: fine-tune or keep prompting?", page_icon="⚖️",
                   layout="wide")

PRICE_KINDS = {"inference": "Inference (per 1M tokens)", "finetune": "Fine-tuning offerings",
               "gpus": "GPUs (per hour)", "batch": "Batch discounts",
               "lifecycle": "Lifecycle dates (last training day, last serving day, successor)"}
Overrides = tuple[tuple[str, str], ...]


# ---- cached core (bounded) ----------------------------------------------------------------------

@st.cache_resource(max_entries=8, show_spinner=False)
def price_table(overrides: Overrides = ()) -> pricing.PriceTable:
    """The shipped price table with the edited rows (CSV text per kind) merged in."""
    if not overrides:
        return pricing.default_table()
    files = {}
    for kind, text in overrides:
        f = io.StringIO(text)
        f.name = f"your {kind} edits"
        files[kind] = f
    return pricing.load_price_table(**files)


@st.cache_data(max_entries=64, show_spinner=False)
def run_core(scenario_json: str, overrides: Overrides) -> appstate.Run:
    table = price_table(overrides)
    scenario = Scenario.from_dict(json.loads(scenario_json))
    return appstate.simulate_guarded(scenario, lambda s: simulate(s, table=table))


@st.cache_data(max_entries=64, show_spinner=False)
def resolved_values(scenario_json: str, overrides: Overrides) -> dict:
    return dict(resolve(Scenario.from_dict(json.loads(scenario_json)),
                        price_table(overrides)).values)


@st.cache_data(max_entries=32, show_spinner=False)
def run_monte_carlo(scenario_json: str, overrides: Overrides, n: int, spread: float, seed: int):
    scenario = Scenario.from_dict(json.loads(scenario_json))
    dists = appstate.mc_distributions(resolved_values(scenario_json, overrides),
                                      scenario.simulated_options, spread,
                                      scenario.cost_per_error_usd)
    return monte_carlo(scenario, dists, n=n, seed=seed, table=price_table(overrides))


@st.cache_data(max_entries=32, show_spinner=False)
def run_tornado(scenario_json: str, overrides: Overrides, spread: float):
    scenario = Scenario.from_dict(json.loads(scenario_json))
    ranges = appstate.tornado_ranges(resolved_values(scenario_json, overrides),
                                     scenario.simulated_options, spread,
                                     scenario.cost_per_error_usd)
    return sensitivity(scenario, ranges, table=price_table(overrides))


@st.cache_data(max_entries=32, show_spinner=False)
def run_grid(scenario_json: str, overrides: Overrides):
    scenario = Scenario.from_dict(json.loads(scenario_json))
    values = resolved_values(scenario_json, overrides)
    prefix = (values["prompt.system_prompt_tokens"] or 0) + (values["prompt.fewshot_tokens"] or 0)
    xs, ys = appstate.grid_axes(scenario.workload.requests_per_month, prefix)
    grid = savings_grid(appstate.prefix_scenario(scenario, prefix),
                        ("workload.requests_per_month", xs), ("prompt.system_prompt_tokens", ys),
                        table=price_table(overrides))
    return grid, (scenario.workload.requests_per_month, prefix)


@st.cache_data(max_entries=256, show_spinner=False)
def count_text(text: str, model: str, fewshot: bool) -> tuple[int, bool, str]:
    n = appstate.count_prompt_text(text, model, fewshot=fewshot)
    return int(n), bool(n.exact), n.note


@st.cache_data(max_entries=8, show_spinner=False)
def dataset_report(data: bytes, model: str, epochs: int | str):
    return appstate.read_dataset(data, model, epochs=epochs)


@st.cache_data(max_entries=4, show_spinner=False)
def traffic_report(data: bytes, name: str, _progress=None):
    return app_traffic.report_from_upload(data, name, _progress)


@st.cache_data(max_entries=1, show_spinner=False)
def model_lifecycles() -> dict:
    return price_table().model_lifecycles()


@st.cache_data(max_entries=4, show_spinner=False)
def default_state() -> dict:
    return appstate.default_state()


# ---- session state, once ------------------------------------------------------------------------

if "ftroi.ready" not in st.session_state:
    state, problems = appstate.state_from_query(st.query_params.to_dict(),
                                                defaults=default_state())
    for key, value in state.items():
        st.session_state[key] = value
    st.session_state["ftroi.query_problems"] = problems
    st.session_state["ftroi.scenario_error"] = None
    st.session_state["ftroi.scenario_notes"] = []
    st.session_state["ftroi.ready"] = True

# Widgets hidden in one run (the prompt texts in Numbers mode …) keep their values.
_kept = st.session_state.to_dict()
for key in (*appstate.WIDGET_KEYS, "finetune.paste", "scenario.paste", "ui.sens_option",
            "ui.mc_option"):
    if key in _kept:
        st.session_state[key] = _kept[key]


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
    """The widget of one numeric field (:data:`simulator.appstate.FIELDS`)."""
    f = appstate.FIELD_BY_PATH[path]
    label = f"{f.label} [{f.unit}]" if f.unit else f.label
    cast = int if f.integer else float
    kwargs = {"min_value": cast(f.lo), "max_value": cast(f.hi), "step": cast(f.step), "key": path,
                  "help": f.help, "disabled": disabled, "on_change": on_change}
    if f.fmt:
        kwargs["format"] = f.fmt
    if f.slider:
        st.slider(label, **kwargs)
    else:
        st.number_input(label, **kwargs)


table0 = price_table()
slots: dict[str, st.delta_generator.DeltaGenerator] = {}
dataset: dict | None = None
start = appstate.start_date(st.session_state.get("extras", {}))
horizon_months = int(st.session_state["horizon_months"])

with st.sidebar:
    st.header("Inputs")
    st.caption("Defaults: the example scenario (`ftroi example`). Hover the ? icons for what "
               "each input means.")
    with st.expander("Workload", expanded=True):
        logs = st.file_uploader(
            "Your traffic: request logs", type=["jsonl", "json", "csv"], key="workload.logs",
            help="Chat request JSONL, Batch API input/output JSONL or a usage CSV "
                 "(timestamp, prompt_tokens, completion_tokens): fills the fields below "
                 "(and the static prompt's tokens in Numbers mode) from what the logs show.")
        traffic = None
        if logs is not None:
            bar = st.progress(0.0, text="Reading your logs…")
            try:
                traffic = traffic_report(logs.getvalue(), logs.name, lambda done, total:
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

    with st.expander("Prompting", expanded=True):
        lifecycles = model_lifecycles()
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
                        n, exact, note = count_text(text, model, fewshot)
                    except InputError as exc:
                        st.error(as_text(exc))
                    else:
                        st.caption(f"**{n:,} tokens** · exact ({as_text(model)} tokenizer)"
                                   if exact else f"**~{n:,} tokens** · estimate: {as_text(note)}")
            else:
                number(f"{path}_tokens")
        for p in ("prompt.cached_share", "prompt.batch_share", "prompt.engineering_hours",
                  "prompt.maintenance_hours_per_month"):
            number(p)
        st.checkbox("Prompt already written and in use", key="prompt.already_built",
                    help="Its engineering hours are sunk: charged to no option, listed as "
                         "not counted.")
        slots["Prompting"] = st.container()

    with st.expander("Fine-tuning"):
        offerings = appstate.offering_choices(table0.finetune_offerings(), start,
                                              horizon_months)
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
        number("finetune.prompt_tokens")
        st.radio("Training data", appstate.DATA_MODES, key="finetune.data_mode",
                 horizontal=True,
                 help="Numbers: examples × tokens. Upload or paste a JSONL training file to "
                      "count the billed tokens exactly and check every line.")
        st.checkbox("Epochs: provider's 'auto' rule", key="finetune.epochs_auto",
                    help="OpenAI's default: 3 epochs, adjusted so examples × epochs stays "
                         "within 100..25,000.")
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
        if raw is not None:
            base_model = appstate.split_offering(st.session_state["finetune.offering"])[1]
            try:
                report = dataset_report(raw, base_model, epochs)
            except InputError as exc:
                st.error(as_text(f"Training file: {exc}"))
            else:
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
                dataset = appstate.dataset_values(report)
        using_file = dataset is not None
        for p in ("finetune.examples", "finetune.tokens_per_example"):
            number(p, disabled=using_file)
        number("finetune.epochs", disabled=st.session_state["finetune.epochs_auto"])
        for p in ("finetune.labelling_usd_per_example", "finetune.data_prep_hours",
                  "finetune.eval_usd_per_run", "finetune.maintenance_hours_per_month",
                  "finetune.retrain_every_months",
                  "finetune.new_examples_per_retrain", "finetune.examples_on_hand",
                  "finetune.months_to_production"):
            number(p)
        st.checkbox("A tuned model already exists", key="finetune.already_trained",
                    help="No first training run, evaluation or data preparation (sunk); "
                         "its examples are on hand.")
        slots["Fine-tuning"] = st.container()

    app_data.draw_sidebar(st, table0.inference_models())

    with st.expander("Self-hosting"):
        gpus = table0.gpu_names()
        if st.session_state["selfhost.gpu"] not in gpus:
            gpus = [st.session_state["selfhost.gpu"], *gpus]
        st.selectbox("GPU", gpus, key="selfhost.gpu", on_change=on_gpu_change,
                     help="Rented GPU type; its cheapest on-demand price in the table is used, "
                          "and its published throughput for the model size.")
        number("selfhost.model_params_b", on_change=on_gpu_change)
        for warning in appstate.throughput_warnings(st.session_state):
            st.warning(as_text(warning))
        for p in ("selfhost.train_tokens_per_second", "selfhost.serve_tokens_per_second",
                  "selfhost.training_gpus", "selfhost.utilisation", "selfhost.min_replicas",
                  "selfhost.ops_hours_per_month", "selfhost.months_to_production"):
            number(p)
        slots["Self-hosting"] = st.container()

    with st.expander("RAG"):
        embedders = [m for m in table0.inference_models() if "embed" in m]
        if st.session_state["rag.embedding_model"] not in embedders:
            embedders = [st.session_state["rag.embedding_model"], *embedders]
        st.selectbox("Embedding model", embedders, key="rag.embedding_model",
                     help="Prices the one-time and monthly embedding of the corpus.")
        for p in ("rag.context_tokens", "rag.corpus_tokens", "rag.reembed_share_per_month",
                  "rag.vector_store_usd_per_month"):
            number(p)
        slots["RAG"] = st.container()

    with st.expander("Hybrid"):
        number("hybrid.finetuned_share")
        slots["Hybrid"] = st.container()

    with st.expander("Quality"):
        for p in ("prompt.accuracy", "finetune.accuracy", "selfhost.accuracy",
                  "cost_per_error_usd"):
            number(p)
        st.caption("Errors cost accuracy gap × requests × cost per error; at 0 USD/error the "
                   "comparison is cost only.")
        slots["Quality"] = st.container()

    with st.expander("Evidence"):
        evidence = app_evidence.panel(st.session_state.get("extras") or {})

    with st.expander("Horizon & money"):
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
        for p in ("horizon_months", "discount_rate", "price_decline", "hourly_rate_usd"):
            number(p)
        slots["Horizon & money"] = st.container()

    with st.expander("Uncertainty"):
        st.toggle("Monte Carlo", key="ui.mc_on",
                  help="Draw the uncertain inputs many times to see how sure the answer is.")
        for p in ("ui.mc_draws", "ui.spread", "ui.seed"):
            number(p)
        slots["Uncertainty"] = st.container()

for problem in st.session_state["ftroi.query_problems"]:
    slots[appstate.error_group(problem)].warning(as_text(f"Link: {problem}"))


# ---- page ---------------------------------------------------------------------------------------

st.title("Fine-tune, or keep prompting?")
answer = st.container()
tab_be, tab_bd, tab_sens, tab_unc, tab_prices, tab_data = st.tabs(
    ["Break-even", "Breakdown", "Sensitivity", "Uncertainty", "Prices", "Data & export"])

# Prices first: their edits feed the simulation.
with tab_prices:
    rates_slot = st.container()
    carried = dict((st.session_state.get("extras") or {}).get("prices") or {})
    if carried:
        st.info("This scenario carries its own price rows for "
                f"{as_text(', '.join(sorted(carried)))}; they apply on top of the table "
                "below. Edit them in a scenario file, or remove them with the scenario JSON.")
    snapshot = pricing.genai.snapshot_info()
    if snapshot.warning:
        st.warning(as_text(snapshot.warning))
    st.caption(f"Inference rates that ftroi's own files lack come from {as_text(snapshot.label)}"
               + (f", fetched {snapshot.fetched_on.isoformat()}" if snapshot.fetched_on
                  else "") + ".")
    if st.button("Fetch the latest genai-prices data", key="prices.update",
                 help="Downloads genai-prices' newest price file into your user cache, which "
                      "later runs use. The only time ftroi goes online, and only when asked."):
        try:
            snapshot = pricing.genai.update()
        except Exception as exc:  # no network, an HTTP error, bad data: the old prices stay
            st.error(as_text(f"Prices not updated: {exc}"))
        else:
            st.cache_data.clear()
            st.cache_resource.clear()
            st.success(f"Prices updated: {as_text(snapshot.label)}; the answer above uses them.")
    st.subheader("Override the price table")
    st.caption("Edit a cell or add a row (a row replaces every shipped row with the same "
               "provider and model, or GPU and provider); the simulation uses your rows at "
               "once. Deleting a row has no effect. Dates are YYYY-MM-DD; an empty cell means "
               "'not offered'.")
    override_list = []
    for kind, title in PRICE_KINDS.items():
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
        if text is not None:
            try:
                price_table(((kind, text),))
            except (PriceError, InputError, ValueError) as exc:
                st.error(as_text(f"These edits are not used: {exc}"))
            else:
                override_list.append((kind, text))
                st.success(f"Your {kind} edits are in use.")
    overrides: Overrides = tuple(override_list)

state = {key: st.session_state[key] for key in appstate.WIDGET_KEYS}
# The price edits travel with the scenario: in its JSON download and in the share link.
state["extras"] = appstate.with_price_edits(evidence, overrides)
state["extras"] = app_data.extras_with_data(state["extras"], st.session_state)
ui = appstate.ui_settings(state)

run = None
core_error = None
try:
    scenario = appstate.scenario_from_state(state, dataset=dataset)
    scenario_json = appstate.scenario_json(scenario)
    run = run_core(scenario_json, overrides)
except (InputError, PriceError, ValueError) as exc:
    core_error = str(exc)
    slots[appstate.error_group(core_error)].error(as_text(core_error))

if run is not None:
    for group, message in run.dropped:
        slots[group].error(as_text(message))
    result = run.result
    sim_json = appstate.scenario_json(run.scenario)
    horizon = run.scenario.horizon_months
    baseline = run.scenario.baseline
    mc = mc_error = None

    def draw_answer(mc, mc_error, pending: bool = False) -> dict:
        """The headline and key figures; ``pending``: Monte Carlo still to come."""
        figures = appstate.key_figures(result.summary, baseline, horizon,
                                       None if mc is None else mc.summary, result.focus)
        if pending:
            figures["p_text"] = "…"
        challenger = figures["challenger"]
        st.markdown("### " + as_text(appstate.headline(result.summary, baseline, horizon,
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

    # The answer and the first charts first; Monte Carlo, the grid and the tornado after,
    # the headline drawn again once Monte Carlo is in (issue 23).
    answer_slot = answer.empty()
    with answer_slot.container():
        challenger = draw_answer(None, None, pending=ui["ui.mc_on"])["challenger"]

    non_base = [o for o in result.summary["option"] if o != baseline]

    def option_picker(key: str) -> str | None:
        if not non_base:
            st.info("Add an option besides the baseline (Horizon & money) to compare.")
            return None
        if st.session_state.get(key) not in non_base:
            st.session_state[key] = challenger if challenger in non_base else non_base[0]
        return st.selectbox("Option", non_base, key=key, format_func=charts.label)

    with tab_be:
        st.plotly_chart(charts.cumulative_cost(result), key="chart.cumulative")
        st.caption("Month 0 holds the one-time costs (engineering, labelling, first training). "
                   "A star marks the month from which an option stays at or below the "
                   "baseline; a circle the month it first pays for itself, when earlier.")
        app_evidence.charts(result, result.focus)
    with tab_bd:
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
    if ui["ui.mc_on"]:
        try:
            mc = run_monte_carlo(sim_json, overrides, ui["ui.mc_draws"], ui["ui.spread"],
                                 ui["ui.seed"])
        except (InputError, PriceError, ValueError) as exc:
            mc_error = str(exc)
        with answer_slot.container():
            draw_answer(mc, mc_error)
    with tab_sens:
        option = option_picker("ui.sens_option")
        if option:
            try:
                grid, today = run_grid(sim_json, overrides)
            except (InputError, ValueError) as exc:
                st.info(as_text(f"No savings grid for this scenario: {exc}"))
            else:
                st.plotly_chart(charts.savings_heatmap(grid, option, current=today),
                                key="chart.heatmap")
                st.caption("Prompt length is the whole static prefix (system prompt + few-shot) "
                           "the large model gets on every request; black dots trace where "
                           "savings are zero.")
            try:
                frame = run_tornado(sim_json, overrides, ui["ui.spread"])
            except (InputError, ValueError) as exc:
                st.info(as_text(f"No tornado for this scenario: {exc}"))
            else:
                labels = {f.path: f.label for f in appstate.FIELDS}
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
    with tab_unc:
        if mc is None:
            st.info(as_text(mc_error) if mc_error else (
                "Monte Carlo is off: turn it on under Uncertainty in the sidebar."))
        else:
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
    with rates_slot:
        st.subheader("Rates in use")
        st.dataframe(result.prices, hide_index=True, width="stretch", column_config={
            "source_url": st.column_config.LinkColumn("source_url")})
        st.caption("Every rate the simulation used, with its source and the date it was "
                   "checked. 'scenario' rows are your inputs.")
    with tab_data:
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
                result, mc, table=price_table(overrides), spread=ui["ui.spread"],
                hint=SINGLE_ESTIMATE_APP),
            file_name="ftroi-report.html", mime="text/html", key="dl.report",
            help="One self-contained file that opens offline: the recommendation, the headline "
                 "figures, every chart, the summary and the assumptions with their sources.")
        st.subheader("Monthly costs")
        st.dataframe(result.monthly, hide_index=True, width="stretch", height=260,
                     column_config={"cost_usd": st.column_config.NumberColumn(
                         "cost [USD]", format="$%.2f")})

with answer:
    if run is None:
        st.error(as_text(f"Fix this input to see the answer: {core_error}"))

# ---- keep and share -----------------------------------------------------------------------------

with tab_data:
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

    counts = None
    if state["prompt.mode"] == "Text":
        try:
            counts = {"prompt.system_prompt_tokens":
                      count_text(state["prompt.system_prompt"], state["prompt.model"], False)[0],
                      "prompt.fewshot_tokens":
                      count_text(state["prompt.fewshot"], state["prompt.model"], True)[0]}
        except InputError:
            counts = None
    target = appstate.state_to_query(state, defaults=default_state(), token_counts=counts)
    if st.query_params.to_dict() != target:
        st.query_params.from_dict(target)
    st.subheader("Share")
    st.caption("The address bar always holds this view; copy it to share. Only inputs that "
               "differ from the defaults are in it; an uploaded training file is not (its "
               "counts are).")
    st.code("?" + urlencode(target) if target else "(all defaults: the plain address)",
            language=None)

st.caption(f"Computed in {(time.perf_counter() - STARTED) * 1000:.0f} ms on the server.")
