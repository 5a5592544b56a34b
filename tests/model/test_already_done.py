"""Issue 17: only what is still to pay (sunk costs), time to value, the focus option, a
material ROI and one price table per answer. Every figure is worked out by hand below."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from strategies import scenarios

from pricing import default_table
from pricing.table import table_fingerprint
from simulator import Scenario, monte_carlo, simulate
from simulator.core.errors import InputError
from simulator.model.uncertainty import Triangular, savings_grid, sensitivity

# A team that prompts today (prompt built), with 700 labelled examples on hand. Every rate is
# pinned so that each month can be priced by hand:
#   prompted request = (1000 × 2 + (100 + 10) × 2 + 50 × 8) / 1e6 = 0.00262 USD
#   tuned request    = ((60 + 100 + 10) × 0.4 + 50 × 1.6) / 1e6 = 0.000148 USD
#   10,000 requests a month: 26.20 USD prompted, 1.48 USD tuned.
TEAM = {
    "horizon_months": 12, "as_of": "2026-12-07", "options": ["prompt", "finetune"],
    "hourly_rate_usd": 100, "discount_rate": 0.0,
    "workload": {"requests_per_month": 10_000, "input_tokens": 100, "output_tokens": 50,
                 "chat_overhead_tokens": 10},
    "prompt": {"system_prompt_tokens": 1000, "fewshot_tokens": 0, "input_usd_per_mtok": 2.0,
               "cached_input_usd_per_mtok": 0.5, "output_usd_per_mtok": 8.0,
               "batch_discount": 0.5, "engineering_hours": 40,
               "maintenance_hours_per_month": 4, "accuracy": 0.87, "already_built": True},
    "finetune": {"chat_overhead_tokens": 10,  # the tuned model's own k_ft
                 "prompt_tokens": 60, "examples": 600, "tokens_per_example": 700, "epochs": 2,
                 "labelling_usd_per_example": 2.0, "data_prep_hours": 40,
                 "eval_usd_per_run": 50, "retrain_every_months": 6,
                 "new_examples_per_retrain": 200, "accuracy": 0.92,
                 "train_usd_per_mtok": 10.0, "input_usd_per_mtok": 0.4,
                 "output_usd_per_mtok": 1.6, "hosting_usd_per_hour": 0.0,
                 "storage_usd_per_month": 0.0, "min_charge_usd": 0.0,
                 "max_tokens_per_example": 10_000, "batch_discount": 0.5,
                 "validation_usd_per_mtok": 0.0, "examples_on_hand": 700,
                 "months_to_production": 2},
    # No hold-out: the labelling worked out below is N × $2 (tests/model/test_datacost.py works
    # the hold-out beside examples on hand).
    "data": {"holdout_share": 0.0},
}


def team(**changes) -> Scenario:
    s = Scenario.from_dict(TEAM)
    return s.with_values(**changes) if changes else s


def component(result, option: str, name: str) -> np.ndarray:
    return np.asarray(result.costs[option].get(name, np.zeros(13)), dtype=float)


def test_sunk_prompt_and_examples_on_hand_by_hand():
    r = simulate(team())
    s = r.summary.set_index("option")
    # prompt: no engineering (built), 4 h × $100 upkeep a month, 26.20 a month of inference.
    assert s.loc["prompt", "tco_usd"] == pytest.approx(12 * 400 + 12 * 26.2)
    # finetune: labelling only beyond the 700 on hand: 0 at month 0 (600 needed),
    # 100 at month 6 (800 needed), 200 at month 12 (1,000 needed), at $2 each.
    labelling = component(r, "finetune", "labelling")
    assert labelling[[0, 6, 12]].tolist() == pytest.approx([0.0, 200.0, 400.0])
    assert labelling.sum() == pytest.approx(600.0)
    # Training: 600/800/1,000 examples × 700 tokens × 2 epochs at $10 per 1M tokens.
    assert component(r, "finetune", "training")[[0, 6, 12]].tolist() == pytest.approx(
        [8.4, 11.2, 14.0])
    # Time to production, 2 months: the prompt serves (and its upkeep is paid) in months 1-2.
    inference = component(r, "finetune", "inference")
    assert inference[1:3].tolist() == pytest.approx([26.2, 26.2])
    assert inference[3:].tolist() == pytest.approx([1.48] * 10)
    engineering = component(r, "finetune", "engineering")
    assert engineering[0] == pytest.approx(4000.0)        # data preparation; prompt is built
    assert engineering[1:].sum() == pytest.approx(2 * 400 + 10 * 400)
    tco = 600 + (8.4 + 11.2 + 14.0) + 3 * 50 + 4000 + 4800 + 2 * 26.2 + 10 * 1.48
    assert s.loc["finetune", "tco_usd"] == pytest.approx(tco)
    # Both sunk items named with their amounts, in explain() too.
    sunk = {i.field: i.amount_usd for i in r.sunk}
    assert sunk == pytest.approx({"prompt.already_built": 4000.0,
                                  "finetune.examples_on_hand": 700 * 2.0})
    text = r.explain()
    assert "Not counted (already paid)" in text
    assert "prompt engineering (40 h), $4,000" in text
    assert "labelling the 700 examples on hand, $1,400" in text


def test_three_sunk_items_on_one_option_each_counted_once_by_hand():
    """Counted in turn (the trained model, then the examples on hand, then the prompt), each
    item's amount is what it adds with those before it already counted."""
    r = simulate(team(options=["finetune"], **{"finetune.already_trained": True}))
    assert r.scenario.baseline == "prompt"
    sunk = {i.field: (i.option, i.amount_usd) for i in r.sunk}
    assert list(sunk) == ["finetune.already_trained", "finetune.examples_on_hand",
                          "prompt.already_built"]
    # The first run (600 × 700 tokens × 2 epochs at $10/1M = $8.40), its evaluation ($50) and
    # the data preparation (40 h × $100); its 600 examples are among the 700 on hand.
    assert sunk["finetune.already_trained"] == ("finetune", pytest.approx(8.4 + 50 + 4000))
    # Then the 700 on hand at $2 each; the prompt (40 h × $100) is the baseline's, which is
    # always simulated.
    assert sunk["finetune.examples_on_hand"] == ("finetune", pytest.approx(700 * 2.0))
    assert sunk["prompt.already_built"] == ("prompt", pytest.approx(4000.0))
    # With all three counted, the fine-tuning road pays them all (and the prompt that serves
    # for its two months to production).
    tco = r.summary.set_index("option").loc["finetune", "tco_usd"]
    off = simulate(team(options=["finetune"], **{"prompt.already_built": False,
                                                 "finetune.examples_on_hand": 0}))
    assert off.summary.set_index("option").loc["finetune", "tco_usd"] - tco == pytest.approx(
        8.4 + 50 + 4000 + 1400 + 4000)


def test_nothing_sunk_charges_everything_and_says_nothing():
    r = simulate(team(**{"prompt.already_built": False, "finetune.examples_on_hand": 0}))
    assert r.sunk == ()
    assert "Not counted" not in r.explain()
    # The prompt is written at month 0 for the prompt road, and for the fine-tuning road too,
    # which prompts until its tuned model serves.
    assert component(r, "prompt", "engineering")[0] == pytest.approx(4000.0)
    assert component(r, "finetune", "engineering")[0] == pytest.approx(4000.0 + 4000.0)
    assert component(r, "finetune", "labelling").sum() == pytest.approx(1000 * 2.0)


def test_already_trained_has_no_first_run_by_hand():
    r = simulate(team(**{"finetune.already_trained": True, "finetune.examples_on_hand": 0,
                         "finetune.months_to_production": None}))
    # The examples it was trained on (600) are on hand; no run, evaluation or data
    # preparation at month 0; one month to production by default.
    assert component(r, "finetune", "training")[0] == 0.0
    assert component(r, "finetune", "evaluation")[0] == 0.0
    assert component(r, "finetune", "engineering")[0] == 0.0
    assert component(r, "finetune", "labelling").sum() == pytest.approx(2 * 200 * 2.0)
    tco = 800 + (11.2 + 14.0) + 2 * 50 + 400 + 11 * 400 + 26.2 + 11 * 1.48
    assert r.summary.set_index("option").loc["finetune", "tco_usd"] == pytest.approx(tco)
    sunk = {i.field: i.amount_usd for i in r.sunk}
    # Labelling 600 ($1,200), the first run ($8.40), its evaluation ($50), data prep ($4,000).
    assert sunk["finetune.already_trained"] == pytest.approx(1200 + 8.4 + 50 + 4000)


def test_errors_are_the_prompts_until_the_tuned_model_serves():
    r = simulate(team(cost_per_error_usd=1.0))
    errors = component(r, "finetune", "errors")
    assert errors[1:3].tolist() == pytest.approx([10_000 * 0.13] * 2)
    assert errors[3:].tolist() == pytest.approx([10_000 * 0.08] * 10)


def test_selfhost_pays_the_prompt_until_it_serves():
    s = team(options=["prompt", "selfhost"], **{
        "selfhost.months_to_production": 3, "selfhost.gpu_usd_per_hour": 2.0,
        "selfhost.train_tokens_per_second": 1000, "selfhost.serve_tokens_per_second": 1000,
        "selfhost.ops_hours_per_month": 10})
    r = simulate(s)
    hosting = component(r, "selfhost", "hosting")
    assert hosting[1:4].tolist() == [0.0, 0.0, 0.0]
    assert hosting[4:].tolist() == pytest.approx([730 * 2.0] * 9)   # one GPU, min_replicas 1
    assert component(r, "selfhost", "inference")[1:4].tolist() == pytest.approx([26.2] * 3)
    assert component(r, "selfhost", "inference")[4:].sum() == 0.0
    # Prompt upkeep (4 h) while prompting, operations (10 h) once it serves.
    assert component(r, "selfhost", "engineering")[1:].tolist() == pytest.approx(
        [400.0] * 3 + [1000.0] * 9)


def test_payback_counts_from_today_not_from_production():
    # Errors priced high enough that the fine-tune pays back soon after it serves (month 3).
    r = simulate(team(cost_per_error_usd=1.0))
    payback = r.summary.set_index("option").loc["finetune", "payback_month"]
    cum_ft = np.cumsum([sum(float(a[m]) for a in r.costs["finetune"].values())
                        for m in range(13)])
    cum_p = np.cumsum([sum(float(a[m]) for a in r.costs["prompt"].values())
                       for m in range(13)])
    assert payback == int(np.argmax(cum_ft <= cum_p + 1e-9))
    assert payback >= 3


def test_dataset_sample_measures_tokens_for_a_larger_set(tmp_path):
    line = ('{"messages": [{"role": "user", "content": "Where is my parcel?"}, '
            '{"role": "assistant", "content": "shipping"}]}\n')
    (tmp_path / "sample.jsonl").write_text(line * 200)
    data = {**TEAM, "finetune": {**TEAM["finetune"], "dataset": "sample.jsonl"}}
    del data["finetune"]["tokens_per_example"]
    s = Scenario.from_dict(data, source_dir=tmp_path)
    r = simulate(s)
    per_example = simulate(Scenario.from_dict(
        {**data, "finetune": {k: v for k, v in data["finetune"].items() if k != "examples"}},
        source_dir=tmp_path))
    # Same tokens per example, but 600 examples priced, not the file's 200.
    t600 = float(component(r, "finetune", "training")[0])
    t200 = float(component(per_example, "finetune", "training")[0])
    assert t600 == pytest.approx(3 * t200)
    assert any("a sample: the set of 600 examples" in n for n in r.notes)


def test_flags_refuse_numbers():
    with pytest.raises(InputError, match=r"prompt.already_built: must be true or false"):
        Scenario.from_dict({"prompt": {"already_built": 1}})
    with pytest.raises(InputError, match=r"finetune.months_to_production"):
        Scenario.from_dict({"finetune": {"months_to_production": -1}})
    with pytest.raises(InputError, match=r"finetune.examples_on_hand"):
        Scenario.from_dict({"finetune": {"examples_on_hand": -5}})


# ---- focus and ROI --------------------------------------------------------------------------------

def test_focus_is_finetune_by_default_and_rag_roi_is_not_a_five_digit_multiple():
    s = team(options=["prompt", "rag", "finetune"], **{
        "rag.embedding_usd_per_mtok": 0.02, "rag.corpus_tokens": 5_000_000,
        "rag.context_tokens": 0, "rag.vector_store_usd_per_month": 0.0})
    assert s.focus_option == "finetune"
    r = simulate(s)
    summary = r.summary.set_index("option")
    assert summary.loc["rag", "upfront_usd"] == pytest.approx(0.10)   # 5M tokens × $0.02/M
    assert summary.loc["rag", "roi"] is pd.NA or np.isnan(summary.loc["rag", "roi"])
    text = r.explain()
    assert text.startswith(("Keep prompt rather than finetune",
                            "finetune wins against prompt"))
    assert "rag" in text.split(".", 2)[-1]          # listed after, not the headline
    assert "-52" not in text and "×" not in text
    assert "n/a" in r.table()


def test_focus_can_name_another_option():
    s = team(options=["prompt", "rag", "finetune"], focus="rag")
    assert simulate(s).explain().split(":")[0] in ("Keep prompt rather than rag",
                                                   "rag wins against prompt")
    with pytest.raises(InputError, match="focus: 'selfhost' is not among the options"):
        team(focus="selfhost")


def test_roi_is_quoted_only_on_a_material_upfront():
    from simulator.model.engine import material_upfront
    assert not material_upfront(99.0, 1000.0)       # under $100
    assert not material_upfront(150.0, 20_000.0)    # under 1% of the option's TCO
    assert material_upfront(250.0, 20_000.0)


# ---- one price table per answer -------------------------------------------------------------------

def test_monte_carlo_of_a_result_uses_its_table_and_explain_refuses_another():
    shipped = default_table()
    mine = replace(shipped, inference=shipped.inference)   # same rows, another object
    cheaper = replace(shipped, gpus=shipped.gpus[:-1])       # another set of rows
    s = team(options=["prompt", "finetune"])
    r = simulate(s, table=cheaper)
    assert r.table_name.startswith("a price table of your own (rows ")
    # The same rows in another object have the shipped rows' fingerprint; other rows another.
    assert simulate(s, table=mine).table_name.endswith(f"(rows {table_fingerprint(shipped)})")
    assert not r.table_name.endswith(f"(rows {table_fingerprint(shipped)})")
    dist = {"workload.requests_per_month": Triangular(low=5_000, mode=10_000, high=20_000)}
    on_shipped = monte_carlo(s, dist, n=100, seed=1)
    with pytest.raises(InputError, match=r"priced on the shipped price table, this result on "
                                         r"a price table of your own"):
        r.explain(on_shipped)
    same = monte_carlo(r, dist, n=100, seed=1)
    assert same.table_name == r.table_name
    assert "Monte Carlo draws" in r.explain(same)
    # sensitivity and the grid take the result too.
    assert not sensitivity(r, {"workload.requests_per_month": (5_000, 20_000)}).empty
    grid = savings_grid(r, ("workload.requests_per_month", [5_000, 10_000]),
                        ("finetune.accuracy", [0.9, 0.95]))
    assert grid.savings_usd["finetune"].shape == (2, 2)


# ---- properties -------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(scenarios(options=["prompt", "finetune", "selfhost", "hybrid"]))
def test_sunk_items_add_up_to_what_they_leave_out(s):
    """Turning every "already done" flag off adds exactly the listed amounts to the options
    that pay them, and never lowers any option's cost."""
    r = simulate(s)
    off = s.with_values(**{"prompt.already_built": False, "finetune.already_trained": False,
                           "finetune.examples_on_hand": 0,
                           "finetune.months_to_production":
                               r.scenario.finetune.months_to_production
                               if r.scenario.finetune.months_to_production is not None
                               else (1 if s.finetune.already_trained else 2)})
    r_off = simulate(off)
    tco = r.summary.set_index("option")["tco_usd"]
    tco_off = r_off.summary.set_index("option")["tco_usd"]
    assert (tco_off >= tco - 1e-6 * (1 + tco.abs())).all()
    for item in r.sunk:
        assert item.amount_usd > 0
    by_option: dict[str, float] = {}
    for item in r.sunk:
        by_option[item.option] = by_option.get(item.option, 0.0) + item.amount_usd
    for option, amount in by_option.items():
        if option == "prompt" or all(i.option == option for i in r.sunk):
            assert tco_off[option] - tco[option] == pytest.approx(amount, rel=1e-6, abs=1e-4)


@settings(max_examples=25, deadline=None)
@given(scenarios(options=["prompt", "rag", "finetune", "selfhost", "hybrid"]))
def test_sunk_amounts_are_the_one_by_one_differences(s):
    """Priced together (one chain, a row per item), each amount is still the option's TCO with
    its item and the ones before it counted less with only the ones before: priced here one
    item at a time."""
    from simulator.model.cost import option_costs, total_usd
    from simulator.model.engine import SUNK_FIELDS, sunk_items
    from simulator.model.resolve import resolve

    inputs = resolve(s)
    options = set(inputs.options)
    values, want = dict(inputs.values), []

    def tco(option):
        return float(np.sum(total_usd(option_costs(option, values, inputs.horizon_months))))

    for path, users in SUNK_FIELDS:
        option = next((o for o in users if o in options), None)
        if not values.get(path) or option is None:
            continue
        before = tco(option)
        values[path] = 0.0
        after = tco(option)
        # a difference of two TCOs carries their rounding: about 1e-16 of their size per
        # addition (0.12 of $563,189,820 came out 0.11999989 one way and 0.12000000 the other)
        noise = 1e-8 + 1e-14 * max(abs(before), abs(after))
        want.append((path, option, after - before, noise))
    r = simulate(s)
    got = {i.field: (i.option, i.amount_usd) for i in r.sunk}
    assert list(got) == [p for p, *_ in want if p in got]          # in SUNK_FIELDS order
    for path, option, amount, noise in want:
        # listed when it adds something (rounding may tip an amount of a millionth of a cent)
        if amount > noise or path in got:
            assert got[path] == (option, pytest.approx(amount, rel=1e-9, abs=noise))
    assert sunk_items(inputs, r.costs) == r.sunk


# ---- the seeds' case, three ways ---------------------------------------------------------------

def test_the_seeds_case_gives_one_answer_from_python_the_cli_and_the_app(tmp_path, capsys):
    """The example (2,000 tickets a day, prompt built, 600 examples on hand, two months to
    production): the same savings and the same sunk items in Python, `ftroi simulate` and the
    app's cards."""
    from streamlit.testing.v1 import AppTest

    from simulator import example_scenario
    from simulator.cli.main import main
    from simulator.core.wording import format_usd
    from simulator.model.scenario import example_scenario_text

    result = simulate(example_scenario())
    saving = result.summary.set_index("option").loc["finetune", "savings_usd"]
    assert saving < 0                                     # keep prompting, by about $460
    path = tmp_path / "scenario.toml"
    path.write_text(example_scenario_text())
    assert main(["simulate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"finetune {format_usd(-saving)} more" in out
    assert "Not counted (already paid): labelling the 600 examples on hand, $1,200; " \
           "prompt engineering (40 h), $4,000." in out
    app = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"),
                            default_timeout=60).run()
    cards = {m.label: m.value for m in app.metric}
    assert cards["Savings over 24 months"] == format_usd(saving)
    assert cards["Best option"] == "Prompting"
