"""Lifecycle dates: the calendar, the shipped facts, and migrations priced by hand."""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pricing
from pricing import PriceError, load_price_table
from pricing.table import read_shipped
from simulator import (
    Triangular,
    example_scenario,
    monte_carlo,
    savings_grid,
    sensitivity,
    simulate,
)
from simulator.core.errors import InputError
from simulator.model.lifecycle import add_months, month_label, month_of, month_start
from simulator.model.resolve import resolve
from simulator.model.scenario import Scenario, with_values

# ---- the calendar ---------------------------------------------------------------------------


def test_months_run_from_the_start_date():
    start = date(2026, 11, 23)
    assert month_start(start, 0) == start and month_start(start, 1) == start
    assert month_start(start, 2) == date(2026, 12, 23)
    assert month_of(start, date(2026, 12, 22)) == 1
    assert month_of(start, date(2026, 12, 23)) == 2
    assert month_of(start, date(2027, 1, 6)) == 2 and month_of(start, date(2027, 1, 14)) == 2
    assert month_of(start, date(2027, 1, 23)) == 3
    assert month_of(start, date(2026, 1, 1)) == 0          # before the start
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert month_label(start, 3) == "2027-01"


@given(start=st.dates(date(2000, 1, 1), date(2090, 1, 1)), m=st.integers(1, 600))
def test_every_day_of_a_month_maps_back_to_it(start, m):
    first, nxt = month_start(start, m), month_start(start, m + 1)
    assert first < nxt
    assert month_of(start, first) == m and month_of(start, nxt - timedelta(days=1)) == m


# ---- the shipped facts ----------------------------------------------------------------------

def test_every_offering_has_lifecycle_facts_with_a_source():
    facts = {(r["provider"], r["model"]): r for r in read_shipped("lifecycle")
             if r["kind"] == "finetune"}
    for row in read_shipped("finetune"):
        fact = facts.get((row["provider"], row["base_model"]))
        assert fact is not None, f"no lifecycle row for {row['provider']} {row['base_model']}"
    for r in read_shipped("lifecycle"):
        dated = [r[k] for k in ("announced_on", "training_ends", "serving_ends") if r[k]]
        assert r["source_url"].startswith("https://"), r
        assert not dated or r["checked_on"], r


def test_every_inference_row_has_lifecycle_facts():
    facts = {(r["provider"], r["model"]) for r in read_shipped("lifecycle")
             if r["kind"] == "inference"}
    for row in read_shipped("inference"):
        assert (row["provider"], row["model"]) in facts, row["model"]


def test_every_successor_can_be_priced():
    table = pricing.default_table()
    for r in read_shipped("lifecycle"):
        if not r["successor"]:
            continue
        provider, _, model = r["successor"].partition("/")
        if r["kind"] == "finetune":
            assert table.finetune_rates(provider, model).input_usd_per_mtok >= 0
        else:
            assert table.inference_rates(model, provider=provider).input_usd_per_mtok > 0


def test_openai_wind_down_as_published():
    # OpenAI deprecations page: no new fine-tuning jobs from 2027-01-06; gpt-4.1-mini and its
    # fine-tunes shut down on 2027-01-14 (so the last days are the 5th and the 13th).
    r = pricing.finetune_rates("openai", "gpt-4.1-mini")
    assert (r.training_ends, r.serving_ends) == (date(2027, 1, 5), date(2027, 1, 13))
    assert r.lifecycle.successor is None          # gpt-6-luna cannot be fine-tuned
    base = pricing.inference_rates("gpt-4.1")
    assert base.serving_ends == date(2027, 1, 13)
    assert base.lifecycle.successor == "openai/gpt-6-luna"
    assert pricing.finetune_rates("openai", "gpt-4.1-mini").lifecycle.badge(
        date(2026, 11, 23)) == "no new jobs from 2027-01-06, stops serving from 2027-01-14"
    assert pricing.finetune_rates("openai", "gpt-4.1-nano").lifecycle.badge(
        date(2026, 11, 23)) == "retired 2026-10-23"


def test_genai_prices_deprecated_flag_is_used():
    r = pricing.inference_rates("gemini-2.0-flash-lite", provider="google")
    assert r.lifecycle.status == "deprecated" and "genai-prices" in r.lifecycle.source


@pytest.mark.parametrize("row, column, message", [
    ("finetune,acme,m,active,,,,,https://x", "kind", None),
    ("inference,acme,m,active,,2026-01-01,,,https://x", "training_ends", "only a fine-tuning"),
    ("finetune,acme,m,deprecated,,2026-05-01,2026-04-01,,https://x", "training_ends",
     "is after serving_ends"),
    ("finetune,acme,m,retired,,,,,https://x", "serving_ends", "needs the last day"),
    ("finetune,acme,m,deprecated,,,,other-model,https://x", "successor", "provider/model"),
    ("finetune,acme,m,gone,,,,,https://x", "status", "not one of"),
    ("finetune,acme,m,active,,,2026-13-01,,https://x", "serving_ends", "not a date"),
])
def test_broken_lifecycle_rows_name_file_row_and_column(tmp_path, row, column, message):
    path = tmp_path / "life.csv"
    header = "kind,provider,model,status,announced_on,training_ends,serving_ends,successor," \
             "source_url"
    if message is None:          # a valid row loads
        path.write_text(header + "\n" + row + "\n")
        table = load_price_table(lifecycle=path, use_genai_prices=False)
        assert table.offering_lifecycle("acme", "m").status == "active"
        return
    path.write_text(header + "\n" + row + "\n")
    with pytest.raises(PriceError) as err:
        load_price_table(lifecycle=path, use_genai_prices=False)
    assert f"{path}, row 1" in str(err.value) and f"column {column!r}" in str(err.value)
    assert message in str(err.value)


# ---- migrations priced by hand ----------------------------------------------------------------

@functools.cache
def acme_table():
    """A small table: acme's old offering closes (training 2026-03-10, serving 2026-04-30)
    with a successor; its prompted model retires after 2026-05-31."""
    d = Path(tempfile.mkdtemp(prefix="ftroi-acme-"))
    (d / "inference.csv").write_text(
        "provider,model,effective_from,input_usd_per_mtok,cached_input_usd_per_mtok,"
        "output_usd_per_mtok,source_url\n"
        "acme,big-old,2024-01-01,2.0,0.5,8.0,https://example.com/old\n"
        "acme,big-new,2024-01-01,1.0,0.25,4.0,https://example.com/new\n")
    (d / "finetune.csv").write_text(
        "provider,base_model,effective_from,train_usd_per_mtok,input_usd_per_mtok,"
        "output_usd_per_mtok,hosting_usd_per_hour,storage_usd_per_month,source_url\n"
        "acme,small-new,2024-01-01,4.0,0.2,0.8,0,2.0,https://example.com/ft-new\n"
        "acme,small-old,2024-01-01,10.0,0.3,1.2,0,,https://example.com/ft-old\n")
    (d / "life.csv").write_text(
        "kind,provider,model,status,announced_on,training_ends,serving_ends,successor,"
        "source_url\n"
        "finetune,acme,small-old,deprecated,2026-01-01,2026-03-10,2026-04-30,acme/small-new,"
        "https://example.com/ft-end\n"
        "inference,acme,big-old,deprecated,2026-01-01,,2026-05-31,acme/big-new,"
        "https://example.com/end\n")
    table = load_price_table(inference=d / "inference.csv", finetune=d / "finetune.csv",
                             lifecycle=d / "life.csv", use_genai_prices=False)
    shutil.rmtree(d)
    return table


@pytest.fixture
def acme():
    return acme_table()


def acme_scenario(**changes) -> Scenario:
    data = {
        "horizon_months": 6, "as_of": "2026-01-15", "discount_rate": 0, "price_decline": 0,
        "options": ["prompt", "finetune", "hybrid"], "hourly_rate_usd": 100,
        "workload": {"requests_per_month": 1000, "input_tokens": 100, "output_tokens": 50,
                     "chat_overhead_tokens": 10},
        "prompt": {"model": "big-old", "provider": "acme", "system_prompt_tokens": 200,
                   "fewshot_tokens": 300, "engineering_hours": 10,
                   "maintenance_hours_per_month": 1},
        "finetune": {"chat_overhead_tokens": 10,  # the tuned model's own k_ft
                     "provider": "acme", "model": "small-old", "prompt_tokens": 20,
                     "examples": 100, "tokens_per_example": 500, "epochs": 2,
                     "labelling_usd_per_example": 1.0, "data_prep_hours": 5,
                     "eval_usd_per_run": 20, "retrain_every_months": 3,
                     "new_examples_per_retrain": 50, "months_to_production": 0},
        "hybrid": {"finetuned_share": 0.5},
    }
    s = Scenario.from_dict(data)
    return with_values(s, changes) if changes else s


def cells(result, option, component):
    rows = result.monthly.query("option == @option and component == @component")
    out = np.zeros(result.scenario.horizon_months + 1)
    out[rows.month.to_numpy()] = rows.cost_usd.to_numpy()
    return out


def test_migration_to_the_successor_by_hand(acme):
    r = simulate(acme_scenario(), table=acme)
    # Months start on the 15th. Training closes after 2026-03-10 (month 2), so the retraining
    # of month 3 (2026-03-15) cannot run; serving would end in month 4. The road moves in 3.
    training = cells(r, "finetune", "training")
    assert training[0] == pytest.approx(100 * 500 * 2 * 10 / 1e6)
    assert training[3] == 0.0
    # month 3: a run on the successor with the 150 examples labelled by then, its evaluation
    # and 40 h of engineering at 100 USD/h
    migration = cells(r, "finetune", "migration")
    assert migration[3] == pytest.approx(150 * 500 * 2 * 4.0 / 1e6 + 20 + 40 * 100)
    assert migration.sum() == pytest.approx(migration[3])
    # month 6: the next retraining runs on the successor, at its rate, on 200 examples
    assert training[6] == pytest.approx(200 * 500 * 2 * 4.0 / 1e6)
    assert cells(r, "finetune", "labelling")[[0, 3, 6]].tolist() == [100.0, 50.0, 50.0]
    inference = cells(r, "finetune", "inference")
    old, new = (130 * 0.3 + 50 * 1.2) / 1e6 * 1000, (130 * 0.2 + 50 * 0.8) / 1e6 * 1000
    np.testing.assert_allclose(inference[1:], [old, old, new, new, new, new])
    np.testing.assert_allclose(cells(r, "finetune", "hosting")[1:], [0, 0, 2, 2, 2, 2])


def test_prompted_model_moves_to_its_successor_by_hand(acme):
    r = simulate(acme_scenario(), table=acme)
    # last day 2026-05-31, so June 1st (month 5, from 2026-05-15) is the first without it
    old, new = ((610 * 2.0 + 50 * 8.0) / 1e6 * 1000, (610 * 1.0 + 50 * 4.0) / 1e6 * 1000)
    np.testing.assert_allclose(cells(r, "prompt", "inference")[1:],
                               [old, old, old, old, new, new])
    assert cells(r, "prompt", "migration").tolist() == [0, 0, 0, 0, 0, 1600.0, 0]
    # the hybrid pays the prompt's move too, and the offering's migration
    assert cells(r, "hybrid", "migration")[5] == pytest.approx(1600.0)
    assert cells(r, "hybrid", "migration")[3] == pytest.approx(150 * 500 * 2 * 4 / 1e6 + 4020)


def test_the_reader_is_told_dates_months_and_cost(acme):
    r = simulate(acme_scenario(), table=acme)
    text = r.explain()
    assert "takes no new fine-tuning jobs from 2026-03-11 (month 2)" in text
    assert "the retraining planned for month 3 (2026-03-15) cannot run" in text
    assert "migrates to acme small-new (sft)" in text and "$4,021" in text
    assert "big-old stops serving from 2026-06-01 (month 5)" in text
    assert "moves to acme big-new" in text and "$1,600 (16 h)" in text
    assert r.lifecycle and all(n in r.notes for n in r.lifecycle)
    assert r.start_date == date(2026, 1, 15)


def test_fallback_to_prompting_by_hand(acme):
    r = simulate(acme_scenario(**{"finetune.on_retirement": "prompt"}), table=acme)
    # from month 3 the fine-tune option pays the prompt's inference and upkeep instead,
    # plus the prompt's 10 h of engineering in month 3, and no more training or storage
    prompted = (610 * 2.0 + 50 * 8.0) / 1e6 * 1000
    inference = cells(r, "finetune", "inference")
    np.testing.assert_allclose(inference[3:5], [prompted, prompted])
    migration = cells(r, "finetune", "migration")
    assert migration[3] == pytest.approx(10 * 100)
    assert migration[5] == pytest.approx(1600.0)   # then the prompted model retires too
    assert cells(r, "finetune", "training")[3:].sum() == 0.0
    assert cells(r, "finetune", "labelling")[3:].sum() == 0.0
    assert "falls back to prompting big-old (finetune.on_retirement is 'prompt')" in r.explain()


def test_a_fallback_stops_the_fine_tunes_labelling_not_self_hostings(acme):
    """Fine-tuning and self-hosting label the same examples (priced once for both) until the
    fine-tuning road falls back to prompting: from then on only self-hosting labels its
    retraining examples."""
    s = acme_scenario(**{"finetune.on_retirement": "prompt", "selfhost.gpu_usd_per_hour": 2.0})
    s = dataclasses.replace(s, options=("prompt", "finetune", "selfhost"))
    r = simulate(s, table=acme)
    finetune, selfhost = cells(r, "finetune", "labelling"), cells(r, "selfhost", "labelling")
    assert finetune[0] == selfhost[0] > 0
    assert finetune[3:].sum() == 0.0
    assert selfhost[3] == selfhost[6] == pytest.approx(50 * 1.0)   # 50 new examples at $1


def test_no_successor_falls_back_and_says_why(acme, tmp_path):
    life = tmp_path / "life.csv"
    life.write_text("kind,provider,model,status,training_ends,serving_ends,source_url\n"
                    "finetune,acme,small-old,deprecated,2026-03-10,2026-04-30,https://x.org\n")
    table = dataclasses.replace(acme, lifecycle=tuple(
        load_price_table(lifecycle=life, use_genai_prices=False).lifecycle))
    r = simulate(acme_scenario(), table=table)
    assert "names no fine-tunable successor" in r.explain()
    assert cells(r, "finetune", "migration")[3] == pytest.approx(1000.0)


def test_migrate_to_a_named_offering(acme):
    s = acme_scenario(**{"finetune.migrate_to": "acme/small-new"})
    assert cells(simulate(s, table=acme), "finetune", "migration")[3] == pytest.approx(4020.6)
    with pytest.raises(InputError, match=r"^finetune\.migrate_to: acme/nothing"):
        simulate(acme_scenario(**{"finetune.migrate_to": "acme/nothing"}), table=acme)


def test_a_start_before_the_dates_has_no_migration(acme):
    r = simulate(acme_scenario(as_of=date(2024, 6, 1)), table=acme)
    assert not r.lifecycle
    assert cells(r, "finetune", "migration").sum() == 0.0
    no_dates = dataclasses.replace(acme, lifecycle=())
    same = simulate(acme_scenario(as_of=date(2024, 6, 1)), table=no_dates)
    assert r.summary.tco_usd.tolist() == pytest.approx(same.summary.tco_usd.tolist())


def test_closed_roads_are_refused_at_the_start(acme):
    with pytest.raises(InputError, match=r"^finetune\.model: acme small-old cannot be "
                                         r"fine-tuned from the start date 2026-04-01: it takes "
                                         r"no new fine-tuning jobs since 2026-03-10 \(its "
                                         r"successor: acme/small-new\)"):
        simulate(acme_scenario(as_of=date(2026, 4, 1)), table=acme)
    with pytest.raises(InputError, match=r"^prompt\.model: big-old cannot be prompted"):
        simulate(acme_scenario(as_of=date(2026, 7, 1),
                               **{"finetune.model": "small-new"}), table=acme)


def test_uncertainty_grid_and_tornado_keep_working(acme):
    s = acme_scenario()
    base = simulate(s, table=acme).summary.set_index("option")
    mc = monte_carlo(s, {"workload.requests_per_month": Triangular(low=1000, mode=1000, high=1000)}, n=50,
                     seed=1, table=acme)
    assert mc.summary.set_index("option").loc["finetune", "savings_mean_usd"] == \
        pytest.approx(base.loc["finetune", "savings_usd"])
    tornado = sensitivity(s, {"workload.requests_per_month": (500, 2000)}, table=acme)
    assert np.isfinite(tornado.swing_usd).all()
    grid = savings_grid(s, ("workload.requests_per_month", [0, 1000, 5000]),
                        ("prompt.engineering_hours", [5, 10]), table=acme)
    assert np.isfinite(grid.frame().savings_usd).all()


# ---- the shipped table, on the dates ---------------------------------------------------

OPENAI = {"finetune": {"provider": "openai", "model": "gpt-4.1-mini", "months_to_production": 0},
          "prompt": {"model": "gpt-4.1"}, "options": ["prompt", "finetune"],
          "horizon_months": 24}


def test_openai_from_2026_11_23_names_the_dates_and_charges_the_move():
    r = simulate(Scenario.from_dict({**OPENAI, "as_of": "2026-11-23"}))
    text = r.explain()
    assert "2027-01-06" in text and "2027-01-14" in text
    assert "month 2" in text and "cannot run" in text
    assert cells(r, "finetune", "migration")[2] > 0
    assert cells(r, "prompt", "migration")[2] == pytest.approx(16 * 100)


def test_openai_from_2024_06_01_has_no_migration_and_2026_11_23_exactly_the_difference():
    table = pricing.default_table()
    no_dates = dataclasses.replace(table, lifecycle=())
    # (gpt-4.1-mini fine-tuning is priced from 2025-04-14: 18 months from 2025-06-01 end
    # before the wind-down; the 2024-06-01 case is test_a_start_before_the_dates_…)
    early = Scenario.from_dict({**OPENAI, "as_of": "2025-06-01", "horizon_months": 18})
    assert not simulate(early).lifecycle
    late = Scenario.from_dict({**OPENAI, "as_of": "2026-11-23"})
    moved = simulate(late, table=table).summary.set_index("option")
    stayed = simulate(late, table=no_dates).summary.set_index("option")
    # prompt: 16 h of re-engineering in month 2, then gpt-6-luna's rates for months 2..24
    old, new = pricing.inference_rates("gpt-4.1"), pricing.inference_rates("gpt-6-luna")
    s = late.prompt
    def per_request(r):
        # k = 11: system + user messages in o200k_base (3 + 1 each, 3 to prime the reply)
        return ((s.system_prompt_tokens or 1200) + (s.fewshot_tokens or 1800) + 400 + 11) \
            * r.input_usd_per_mtok / 1e6 + 150 * r.output_usd_per_mtok / 1e6
    months_after = 24 - 2 + 1
    expected = 16 * 100 + months_after * 60_000 * (per_request(new) - per_request(old))
    assert moved.loc["prompt", "tco_usd"] - stayed.loc["prompt", "tco_usd"] == \
        pytest.approx(expected)


def test_the_default_scenario_crosses_no_lifecycle_date():
    s = example_scenario()
    inputs = resolve(s)
    assert inputs.moves == {}
    result = simulate(s)
    assert not result.lifecycle
    # counting only what is still to pay (the prompt is built, 600 examples are on hand),
    # prompting stays cheapest at 60,000 requests a month; at 200,000 fine-tuning wins
    summary = result.summary.set_index("option")
    assert summary.tco_usd.idxmin() == "prompt"
    busy = simulate(s.with_values(**{"workload.requests_per_month": 200_000})).summary
    assert busy.set_index("option").tco_usd.idxmin() == "finetune"
    idle = simulate(s.with_values(**{"workload.requests_per_month": 0})).summary
    assert idle.set_index("option").tco_usd.idxmin() == "prompt"


@settings(max_examples=25, deadline=None)
@given(start=st.dates(date(2025, 1, 1), date(2026, 3, 10)))
def test_before_the_switch_month_nothing_changes(start):
    """Months before a road moves cost exactly what they cost with no lifecycle facts."""
    acme = acme_table()
    s = acme_scenario(as_of=start)
    with_dates = simulate(s, table=acme)
    without = simulate(s, table=dataclasses.replace(acme, lifecycle=()))
    inputs = resolve(s, acme)
    first = min([m.month for m in inputs.moves.values()], default=7)
    def totals(result):
        early = result.monthly[result.monthly.month < first]
        return early.groupby(["option", "month"]).cost_usd.sum()
    a, b = totals(with_dates), totals(without)
    assert list(a.index) == list(b.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())
    assert (with_dates.monthly.cost_usd >= 0).all()


# ---- what the reader sees: notes, pickers, the command line ------------------------------------

def test_a_calm_horizon_says_what_was_checked():
    r = simulate(example_scenario().with_values(as_of=date(2026, 11, 23)))
    assert ("No announced retirement or closing date falls inside the horizon (2026-11-23 to "
            "2028-11-22) for OpenAI gpt-6.1-terra or AWS Bedrock amazon.nova-micro-v1:0 "
            "fine-tuning.") in r.notes


def test_pickers_list_open_choices_first_and_warn_about_closing_ones():
    from simulator.app import state as appstate

    table = pricing.default_table()
    start = date(2026, 11, 23)
    lifecycles = table.model_lifecycles()
    order = appstate.model_choices(["gpt-4.1", "gpt-3.5-turbo", "gpt-6.1-terra"], lifecycles,
                                   start, 24)
    assert order == ["gpt-6.1-terra", "gpt-4.1", "gpt-3.5-turbo"]
    assert appstate.choice_label("gpt-4.1", lifecycles["gpt-4.1"], start) == \
        "gpt-4.1 · stops serving from 2027-01-14"
    offerings = appstate.offering_choices(table.finetune_offerings(), start, 24)
    ranks = [appstate.availability_rank(o.lifecycle, start, 24) for o in offerings.values()]
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == 2
    assert len(offerings) == len({(o.provider, o.model) for o in table.finetune_offerings()})
    ft = offerings["openai/gpt-4.1-mini"]
    warning = appstate.closing_warning("OpenAI gpt-4.1-mini fine-tuning", ft.lifecycle, start, 24)
    assert warning.startswith("OpenAI gpt-4.1-mini fine-tuning: no new jobs from 2027-01-06, "
                              "stops serving from 2027-01-14, inside your 24-month horizon")
    assert appstate.closing_warning("x", offerings["aws/amazon.nova-micro-v1:0"].lifecycle,
                                    start, 24) is None


def test_headline_names_the_moves():
    from simulator.reports import answer

    r = simulate(Scenario.from_dict({**OPENAI, "as_of": "2026-11-23"}))
    text = answer.headline(r.summary, "prompt", 24, lifecycle=r.lifecycle_short)
    assert "Priced with the calendar: OpenAI gpt-4.1-mini fine-tuning closes in month 2" in text
    assert "OpenAI gpt-4.1 retires in month 2: moving to OpenAI gpt-6-luna costs $1,600" in text


def test_cli_prices_show_lifecycle(capsys):
    from simulator.cli.main import main

    assert main(["prices", "--finetune", "--provider", "openai"]) == 0
    out = capsys.readouterr().out
    assert "closes from" in out and "retired 2026-10-23" in out
    # each closing offering in words, first day without the service, one spelling
    assert ("note: openai gpt-4.1-mini fine-tuning: no new jobs from 2027-01-06, stops serving "
            "from 2027-01-14") in out
    assert main(["prices", "--finetune", "--provider", "openai", "--wide"]) == 0
    assert "no new jobs from 2027-01-06, stops serving from 2027-01-14" in capsys.readouterr().out


def test_cli_simulate_names_the_dates(tmp_path, capsys):
    from simulator.cli.main import main

    path = tmp_path / "s.json"
    path.write_text(json.dumps({**OPENAI, "as_of": "2026-11-23"}))
    assert main(["simulate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2027-01-06" in out and "2027-01-14" in out and "falls back to prompting" in out
