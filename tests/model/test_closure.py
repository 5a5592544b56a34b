"""Unannounced closures: the hazard calibrated from the dated closure list, and Monte Carlo draws
that close the fine-tuning road (back to prompting for closed models, to an equivalent host for
open-weight adapters)."""

from __future__ import annotations

import io
import math
from datetime import date

import numpy as np
import pytest

import pricing
from pricing.table import with_overrides
from simulator import simulate
from simulator.core.errors import InputError
from simulator.model.closure import calibrate, closure_months, offering_kind
from simulator.model.lifecycle import month_start
from simulator.model.scenario import Scenario
from simulator.model.uncertainty import Triangular, monte_carlo

TODAY = date(2026, 12, 7)


def test_calibration_counts_closures_per_offering_year_by_hand():
    rows = [
        {"kind": "finetune", "provider": "openai", "model": "a", "training_ends": date(2025, 7, 1)},
        {"kind": "finetune", "provider": "openai", "model": "b", "training_ends": None},
        {"kind": "finetune", "provider": "openai", "model": "c", "training_ends": date(2027, 1, 5)},
        {"kind": "finetune", "provider": "together", "model": "d", "training_ends": None},
        {"kind": "inference", "provider": "openai", "model": "e", "training_ends": None},
    ]
    c = calibrate(rows, date(2026, 1, 1))
    # closed-model: a closed after 181 days; b and c were open the whole 365 days
    years = (181 + 365 + 365) / 365.25
    assert c["closed-model"].closures == 1
    assert c["closed-model"].offering_years == pytest.approx(years)
    assert c["closed-model"].yearly == pytest.approx(1 - math.exp(-1 / years))
    assert (c["open-weight"].closures, c["open-weight"].yearly) == (0, 0.0)
    with pytest.raises(ValueError, match="must come after the window start"):
        calibrate(rows, date(2024, 1, 1))


def test_shipped_list_calibration():
    c = calibrate(pricing.default_table().lifecycle, TODAY)
    closed, open_ = c["closed-model"], c["open-weight"]
    # closed: Gemini API tuning, Cohere, Vertex 2.0 Flash and three 2.5 models, OpenAI
    # gpt-3.5-turbo, gpt-4.1-nano and o4-mini; open: Databricks, Prime Intellect shared LoRA
    assert (closed.closures, open_.closures) == (9, 2)
    assert closed.yearly == pytest.approx(1 - math.exp(-9 / closed.offering_years))
    assert 0.1 < closed.yearly < 0.3 and 0.03 < open_.yearly < 0.15
    assert "9 closures in" in closed.words() and "2025-01-01 to 2026-12-07" in closed.words()


def test_offering_kinds():
    assert [offering_kind(p) for p in ("openai", "Azure", "aws", "together", "tinker")] == [
        "closed-model", "closed-model", "closed-model", "open-weight", "open-weight"]


def test_closure_months_follow_the_yearly_chance():
    months = closure_months(0.3, 12, 40_000, np.random.default_rng(1))
    assert set(np.unique(months[np.isfinite(months)])) <= set(range(1, 13))
    assert np.mean(np.isfinite(months)) == pytest.approx(0.3, abs=0.01)
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        closure_months(1.0, 12, 1, np.random.default_rng(1))


def scenario(provider: str, model: str, hazard) -> Scenario:
    return Scenario.from_dict({
        "as_of": "2026-12-07", "horizon_months": 12, "options": ["prompt", "finetune"],
        "discount_rate": 0, "price_decline": 0, "hourly_rate_usd": 100,
        "workload": {"requests_per_month": 50_000, "input_tokens": 300, "output_tokens": 100,
                     "chat_overhead_tokens": 10},
        "prompt": {"model": "gpt-6-luna", "system_prompt_tokens": 800, "fewshot_tokens": 0,
                   "cached_share": 0, "batch_share": 0, "engineering_hours": 10},
        "finetune": {"provider": provider, "model": model, "prompt_tokens": 50,
                     "examples": 1000, "tokens_per_example": 500, "epochs": 2,
                     "retrain_every_months": 6, "new_examples_per_retrain": 100,
                     "eval_usd_per_run": 50, "migration_hours": 40,
                     "closure_hazard": hazard},
    })


def test_the_field_is_checked():
    with pytest.raises(InputError, match=r"finetune.closure_hazard"):
        scenario("aws", "amazon.nova-micro-v1:0", 1.5)
    with pytest.raises(InputError, match=r"finetune.closure_hazard"):
        scenario("aws", "amazon.nova-micro-v1:0", "often")


def test_off_by_default_and_no_spread_equals_simulate():
    s = scenario("aws", "amazon.nova-micro-v1:0", 0.0)
    mc = monte_carlo(s, {}, n=3, seed=4)
    det = simulate(s).summary.set_index("option").tco_usd
    np.testing.assert_allclose(mc.tco_usd["finetune"], det["finetune"])
    assert "finetune.closure_month" not in mc.draws


def test_a_closed_model_closure_falls_back_to_prompting_like_an_announced_one():
    s = scenario("aws", "amazon.nova-micro-v1:0", 0.6)
    mc = monte_carlo(s, {}, n=400, seed=7)
    months = mc.draws["finetune.closure_month"].to_numpy()
    assert np.isinf(months).any() and (months == 5).any()
    # the same scenario with the offering announced to close on month 5's first day
    last = month_start(TODAY, 5).toordinal() - 1
    day = date.fromordinal(last).isoformat()
    table = with_overrides(pricing.default_table(), lifecycle=io.StringIO(
        "kind,provider,model,status,training_ends,serving_ends,source_url\n"
        f"finetune,aws,amazon.nova-micro-v1:0,deprecated,{day},{day},test\n"))
    announced = simulate(scenario("aws", "amazon.nova-micro-v1:0", 0.0), table=table)
    assert "falls back to prompting" in announced.explain()
    tco = announced.summary.set_index("option").tco_usd["finetune"]
    np.testing.assert_allclose(mc.tco_usd["finetune"][months == 5], tco)
    calm = simulate(scenario("aws", "amazon.nova-micro-v1:0", 0.0))
    np.testing.assert_allclose(mc.tco_usd["finetune"][np.isinf(months)],
                               calm.summary.set_index("option").tco_usd["finetune"])


def test_an_open_weight_closure_pays_a_move_to_an_equal_host_by_hand():
    s = scenario("together", "qwen/qwen3-8b", 0.6)
    mc = monte_carlo(s, {"workload.requests_per_month": Triangular(low=5e4, mode=5e4,
                                                                   high=5e4)}, n=400, seed=3)
    months = mc.draws["finetune.closure_month"].to_numpy()
    calm = simulate(scenario("together", "qwen/qwen3-8b", 0.0))
    base = calm.summary.set_index("option").tco_usd["finetune"]
    # closing in month 4 (no retraining then): a run on the 1,000 examples labelled so far,
    # 1,000 × 500 tokens × 2 epochs at 0.48 USD per 1M, its 50 USD evaluation, 40 h at 100 USD
    move = 1000 * 500 * 2 * 0.48 / 1e6 + 50 + 40 * 100
    assert (months == 4).any()
    np.testing.assert_allclose(mc.tco_usd["finetune"][months == 4], base + move)


def test_auto_uses_the_calibrated_rate_and_says_how():
    s = scenario("together", "qwen/qwen3-8b", "auto")
    r = simulate(s)
    note = next(n for n in r.notes if n.startswith("finetune.closure_hazard auto"))
    assert "open-weight fine-tuning: 2 closures in" in note
    mc1 = monte_carlo(s, {}, n=50, seed=11)
    mc2 = monte_carlo(s, {}, n=50, seed=11)
    np.testing.assert_array_equal(mc1.draws["finetune.closure_month"],
                                  mc2.draws["finetune.closure_month"])
