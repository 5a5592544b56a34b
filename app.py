"""ftroi in the browser: ``streamlit run app.py``.

A page of wiring: the page set up, the core's calls cached (bounded; caching lives only here),
session state initialised once, then the sidebar, the prices, the answer and the tabs drawn by
the named steps of :mod:`simulator.app.pages`, which get the cached calls as one :class:`Core`.
No model logic here.
"""

from __future__ import annotations

import io
import json
import time

import streamlit as st

import pricing
from simulator import Scenario, monte_carlo, savings_grid, sensitivity, simulate
from simulator.app import pages as app_pages
from simulator.app import state as appstate
from simulator.app import traffic as app_traffic
from simulator.app.pages import Overrides
from simulator.core.allocator import keep_freed_memory
from simulator.model.resolve import resolve
from simulator.reports import answer

STARTED = time.perf_counter()
keep_freed_memory()  # the app owns its process: large arrays reuse freed pages
st.set_page_config(page_title="ftroi: fine-tune or keep prompting?", page_icon="⚖️",
                   layout="wide")


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
    dists = answer.mc_distributions(resolved_values(scenario_json, overrides),
                                      scenario.simulated_options, spread,
                                      scenario.cost_per_error_usd)
    return monte_carlo(scenario, dists, n=n, seed=seed, table=price_table(overrides))


@st.cache_data(max_entries=32, show_spinner=False)
def run_tornado(scenario_json: str, overrides: Overrides, spread: float):
    scenario = Scenario.from_dict(json.loads(scenario_json))
    ranges = answer.tornado_ranges(resolved_values(scenario_json, overrides),
                                     scenario.simulated_options, spread,
                                     scenario.cost_per_error_usd)
    return sensitivity(scenario, ranges, table=price_table(overrides))


@st.cache_data(max_entries=32, show_spinner=False)
def run_grid(scenario_json: str, overrides: Overrides):
    scenario = Scenario.from_dict(json.loads(scenario_json))
    values = resolved_values(scenario_json, overrides)
    prefix = (values["prompt.system_prompt_tokens"] or 0) + (values["prompt.fewshot_tokens"] or 0)
    xs, ys = answer.grid_axes(scenario.workload.requests_per_month, prefix)
    grid = savings_grid(answer.prefix_scenario(scenario, prefix),
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


# ---- the page, step by step ---------------------------------------------------------------------

core = app_pages.Core(
    price_table=price_table, run_core=run_core, run_monte_carlo=run_monte_carlo,
    run_tornado=run_tornado, run_grid=run_grid, count_text=count_text,
    dataset_report=dataset_report, traffic_report=traffic_report,
    model_lifecycles=model_lifecycles, default_state=default_state)
app_pages.init_session(core)
table0 = price_table()
side = app_pages.sidebar(core, table0)
page = app_pages.page()
rates_slot = app_pages.rates_place(page)   # filled once the answer is computed
overrides = app_pages.price_edits_in_use()
state = app_pages.scenario_state(side.evidence, overrides)
ui = appstate.ui_settings(state)
run, core_error = app_pages.run_scenario(core, state, side.dataset, overrides, side.slots)
if run is not None:
    app_pages.results(core, page, rates_slot, run, ui, overrides, side.slots)
else:
    app_pages.answer_error(page, core_error)
with page.data:
    app_pages.keep_and_share(core, state)
with page.prices:  # after the answer: the editable tables cost the browser seconds to draw
    app_pages.prices_tab(core, table0, overrides)

st.caption(f"Computed in {(time.perf_counter() - STARTED) * 1000:.0f} ms on the server.")
