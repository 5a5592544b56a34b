"""Issue 11's audit cases, with every month and interval worked out by hand, and the
properties that tie the volume intervals and the payback month to direct simulation."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import pinned, scenarios

from simulator import Scenario, simulate
from simulator.model.scenario import with_values

AS_OF = date(2026, 11, 23)


def assert_intervals(got, expected, rel=1e-8):
    assert len(got) == len(expected), (got, expected)
    for (lo, hi), (elo, ehi) in zip(got, expected):
        assert lo == pytest.approx(elo, rel=rel, abs=1e-9)
        assert hi == pytest.approx(ehi, rel=rel)


# ---- 1. a retraining spike: paid for in month 5, dearer after month 12, cheaper from 15 -------

def spike_scenario() -> Scenario:
    # prompt: 1,000 requests a month of 1,000 output tokens at 100 USD/1M = 100 USD a month;
    # fine-tune: 100 examples × 4 USD + 40 USD evaluation = 440 USD at month 0, retraining at
    # month 12 on 240 new examples: 960 + 40 = 1,000 USD; nothing else costs anything.
    return Scenario.from_dict(pinned({
        "horizon_months": 20, "discount_rate": 0, "options": ["prompt", "finetune"],
        "hourly_rate_usd": 0, "as_of": AS_OF.isoformat(),
        "workload": {"requests_per_month": 1000, "input_tokens": 0, "output_tokens": 1000,
                     "chat_overhead_tokens": 0},
        "prompt": {"system_prompt_tokens": 0, "fewshot_tokens": 0, "output_usd_per_mtok": 100.0},
        "finetune": {"chat_overhead_tokens": 0,  # the tuned model's own k_ft
                     "prompt_tokens": 0, "examples": 100, "tokens_per_example": 10,
                     "epochs": 1, "labelling_usd_per_example": 4.0, "eval_usd_per_run": 40,
                     "retrain_every_months": 12, "new_examples_per_retrain": 240,
                     "train_usd_per_mtok": 0.0, "input_usd_per_mtok": 0.0,
                     "output_usd_per_mtok": 0.0, "hosting_usd_per_hour": 0.0,
                     "storage_usd_per_month": 0.0, "min_charge_usd": 0.0},
    }))


def test_retraining_spike_payback_and_every_crossing():
    r = simulate(spike_scenario())
    row = r.summary.set_index("option").loc["finetune"]
    # cumulative: prompt 100 m; fine-tune 440 before month 12, 1,440 from it.
    # 440 > 400 (m=4), 440 ≤ 500 (m=5); 1,440 > 1,200 (m=12) … 1,440 > 1,400 (m=14),
    # 1,440 ≤ 1,500 (m=15) and stays below to month 20 (1,440 ≤ 2,000).
    assert row["payback_month"] == 5
    assert row["breakeven_month"] == 15
    assert row["crossing_months"] == "5, 12, 15"
    assert r.crossings["finetune"] == ((5, True), (12, False), (15, True))
    assert row["tco_usd"] == pytest.approx(1440.0) and row["savings_usd"] == pytest.approx(560.0)
    text = r.explain()
    assert "from month 15 on" in text
    assert "It first pays for itself in month 5" in text
    assert ("its cumulative cost is at or below prompt's from month 5, dearer again from "
            "month 12, at or below again from month 15") in text
    # TCO difference 1,440 − 20 × 0.1 V: cheaper from V = 720 requests/month on
    assert_intervals(r.volume_windows["finetune"].intervals, [(720.0, math.inf)], rel=1e-12)
    assert r.volume_windows["finetune"].exact
    assert "above 720 requests/month" in text


# ---- 2–4. self-hosting whose replica steps open windows ----------------------------------------

# Prompt: 500 input + 150 output tokens at 0.40 USD/1M each, c_p = 650 × 0.4e-6 = 2.6e-4 USD a
# request, plus 20 h of prompt engineering at 100 USD/h (2,000 USD). Self-host: 650 tokens a
# request, one training run of 1 token (p / 3.6e6 USD), nothing else; 12 months, no growth.
C_P = 650 * 0.4e-6
H = 12


def selfhost_scenario(gpu_usd_per_hour: float, serve_tokens_per_second: float) -> Scenario:
    return Scenario.from_dict(pinned({
        "horizon_months": H, "discount_rate": 0, "options": ["prompt", "selfhost"],
        "hourly_rate_usd": 100, "as_of": AS_OF.isoformat(),
        "workload": {"requests_per_month": 5_000_000, "input_tokens": 500,
                     "output_tokens": 150, "chat_overhead_tokens": 0},
        "prompt": {"system_prompt_tokens": 0, "fewshot_tokens": 0, "engineering_hours": 20,
                   "maintenance_hours_per_month": 0, "input_usd_per_mtok": 0.4,
                   "cached_input_usd_per_mtok": 0.4, "output_usd_per_mtok": 0.4},
        "finetune": {"chat_overhead_tokens": 0,  # the tuned model's own k_ft
                     "prompt_tokens": 0, "examples": 1, "tokens_per_example": 1, "epochs": 1,
                     "labelling_usd_per_example": 0, "data_prep_hours": 0,
                     "eval_usd_per_run": 0, "retrain_every_months": 0,
                     "maintenance_hours_per_month": 0},
        "selfhost": {"gpu_usd_per_hour": gpu_usd_per_hour, "train_tokens_per_second": 1000,
                     "training_gpus": 1, "serve_tokens_per_second": serve_tokens_per_second,
                     "utilisation": 0.5, "min_replicas": 1, "engineering_hours": 0,
                     "ops_hours_per_month": 0},
    }))


def hand_windows(p: float, tps: float, k_max: int = 60):
    """Self-hosting minus prompting on the k-th replica step ((k-1)Δ, kΔ] is
    a + 12 × 730 p k − 12 c_p V with a = p/3.6e6 − 2,000: ≤ 0 from
    (a + 8,760 p k) / (12 c_p) on. Δ = tps × 3600 × 730 × 0.5 / 650."""
    delta = tps * 3600 * 730 * 0.5 / 650
    a = p / 3.6e6 - 2000
    out = []
    for k in range(1, k_max):
        lo = max((a + 8760 * p * k) / (H * C_P), (k - 1) * delta)
        if lo < k * delta:
            if out and math.isclose(out[-1][1], lo, rel_tol=1e-8):
                out[-1] = (out[-1][0], k * delta)
            else:
                out.append((lo, k * delta))
    return out


def fix(scenario: Scenario, volume: float) -> float:
    """Self-hosting's TCO minus prompting's at month-1 volume ``volume`` [USD]."""
    t = simulate(with_values(scenario, {"workload.requests_per_month": volume})).summary
    t = t.set_index("option")["tco_usd"]
    return float(t["selfhost"] - t["prompt"])


def test_four_shrinking_windows():
    # 1.85 USD/h: a replica-month (1,350.50 USD) costs a little more than the 5,053,846
    # requests it serves (1,314.00 USD), so the 2,000 USD head start is used up by step 5.
    s = selfhost_scenario(1.85, 2500)
    r = simulate(s)
    w = r.volume_windows["selfhost"]
    expected = hand_windows(1.85, 2500)
    assert len(expected) == 4
    assert expected[0] == pytest.approx((4_553_205.3, 5_053_846.2), rel=1e-7)
    assert_intervals(w.intervals, expected)
    assert w.status == "windows" and not w.exact and w.checked_up_to == math.inf
    assert r.summary.set_index("option").loc["selfhost", "breakeven_volume"] == pytest.approx(
        expected[0][0])
    # the TCO difference, as the audit quoted it: dearer at 1M, cheaper at 5M, dearer at 7M
    assert fix(s, 1e6) > 0 > fix(s, 5e6) and fix(s, 7e6) > 0
    text = r.explain()
    assert "at every volume" not in text and "any volume" not in text
    assert ("cheaper only at a month-1 volume between 4,553,205 and 5,053,846, between "
            "9,747,436 and 10.11M, between 14.94M and 15.16M or between 20.14M and 20.22M "
            "requests/month") in text


def test_one_window_between_two_volumes():
    # 1.95 USD/h: cheaper on the first step only, from 4,833,974 to 5,053,846
    s = selfhost_scenario(1.95, 2500)
    r = simulate(s)
    w = r.volume_windows["selfhost"]
    expected = hand_windows(1.95, 2500)
    assert len(expected) == 1
    assert expected[0] == pytest.approx((4_833_974.36, 5_053_846.15), rel=1e-8)
    assert_intervals(w.intervals, expected)
    assert w.status == "between"
    assert r.summary.set_index("option").loc["selfhost", "breakeven_volume_status"] == "between"
    # at 5M self-hosting wins, and the paragraph says where, not "stays cheaper below"
    text = r.explain()
    assert text.startswith("selfhost wins")
    assert "stays cheaper" not in text
    assert "cheaper only at a month-1 volume between 4,833,974 and 5,053,846" in text
    assert fix(s, 4.8e6) > 0 > fix(s, 4.9e6) and fix(s, 5.1e6) > 0


def test_the_smallest_window_comes_first():
    # 500 tokens/s: Δ = 1,010,769 requests; at 0.30 USD/h a replica-month (219 USD) costs
    # less than the 262.80 USD of prompting it replaces: cheaper from 201,282 to Δ, dearer
    # just past the second step, then cheaper from 1,043,590 on for good.
    s = with_values(selfhost_scenario(0.30, 500), {"workload.requests_per_month": 150_000})
    r = simulate(s)
    w = r.volume_windows["selfhost"]
    expected = hand_windows(0.30, 500)
    assert expected[0] == pytest.approx((201_282.05, 1_010_769.23), rel=1e-8)
    assert expected[1][0] == pytest.approx(1_043_589.74, rel=1e-8)
    assert expected[1][1] == pytest.approx(59 * 1_010_769.23, rel=1e-8)  # hand loop's end
    assert_intervals(w.intervals, [expected[0], (expected[1][0], math.inf)])
    assert r.summary.set_index("option").loc["selfhost", "breakeven_volume"] == pytest.approx(
        201_282.05, rel=1e-8)
    text = r.explain()
    assert text.startswith("Keep prompt")
    assert ("selfhost would be cheaper at a month-1 volume between 201,282 and 1,010,769 or "
            "above 1,043,590 requests/month") in text
    assert fix(s, 2.0e5) > 0 > fix(s, 2.1e5) and fix(s, 1.02e6) > 0 > fix(s, 1.05e6)


def test_never_and_always_are_told_apart():
    never = simulate(selfhost_scenario(5.0, 2500))
    assert never.volume_windows["selfhost"].status == "never"
    assert never.summary.set_index("option").loc["selfhost", "breakeven_volume_status"] == \
        "never"
    assert "selfhost is not cheaper at any month-1 volume" in never.explain()
    always = simulate(with_values(selfhost_scenario(0.001, 2500),
                                  {"prompt.engineering_hours": 100}))
    assert always.volume_windows["selfhost"].status == "always"
    assert "cheaper than prompt at every month-1 volume" in always.explain()


# ---- properties ----------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(s=scenarios(options=["prompt", "selfhost"]), where=st.floats(0.0, 1.0))
def test_cheaper_exactly_inside_the_reported_intervals(s, where):
    r = simulate(s)
    other = "selfhost" if s.baseline == "prompt" else "prompt"
    w = r.volume_windows[other]
    ends = [e for lo, hi in w.intervals for e in (lo, hi) if math.isfinite(e)]
    top = max(ends + [s.workload.requests_per_month, 1.0]) * 1.5
    volume = where * top
    # away from the ends, by more than their tolerance and the chain's rounding
    assume(all(abs(volume - e) > 1e-6 * max(e, 1.0) for e in ends))
    assume(volume <= w.checked_up_to)
    t = simulate(with_values(s, {"workload.requests_per_month": volume})).summary
    t = t.set_index("option")["tco_usd"]
    gap = t[other] - t[s.baseline]
    if abs(gap) <= 1e-7 * (abs(t[s.baseline]) + 1.0):
        return                                   # a tie: either answer is right
    assert w.contains(volume) == (gap < 0), (volume, gap, w)


@settings(max_examples=40, deadline=None)
@given(s=scenarios())
def test_payback_never_after_breakeven(s):
    summary = simulate(s).summary
    for _, row in summary.iterrows():
        if not _na(row["breakeven_month"]):
            assert not _na(row["payback_month"])
            assert row["payback_month"] <= row["breakeven_month"]


def _na(x) -> bool:
    import pandas as pd

    return x is pd.NA or (isinstance(x, float) and math.isnan(x))


def test_csv_carries_payback_crossings_and_volume_intervals(tmp_path):
    import pandas as pd

    r = simulate(selfhost_scenario(1.85, 2500))
    summary = pd.read_csv(r.to_csv(tmp_path / "a")["summary"]).set_index("option")
    assert summary.loc["selfhost", "breakeven_volume_status"] == "windows"
    assert summary.loc["selfhost", "cheaper_at_volumes"] == (
        "4,553,205–5,053,846; 9,747,436–10,107,692; 14,941,667–15,161,538; "
        "20,135,897–20,215,385")
    spike = pd.read_csv(simulate(spike_scenario()).to_csv(tmp_path / "b")["summary"])
    row = spike.set_index("option").loc["finetune"]
    assert (row["payback_month"], row["breakeven_month"], row["crossing_months"]) == (
        5, 15, "5, 12, 15")
    assert row["cheaper_at_volumes"] == "≥ 720"


def test_the_grid_contour_agrees_with_the_intervals():
    from simulator import savings_grid

    s = selfhost_scenario(1.85, 2500)
    grid = savings_grid(s, x=("workload.requests_per_month", np.linspace(1e6, 16e6, 31)),
                        y=("prompt.engineering_hours", [0.0, 20.0]))
    contour = grid.contour("selfhost")
    at_20 = sorted(contour[contour.y == 20.0].x.tolist())
    # the hand-computed ends inside 1M..16M: three windows, six ends
    ends = [e for w in hand_windows(1.85, 2500) for e in w if 1e6 <= e <= 16e6]
    assert len(ends) == 6 and at_20 == pytest.approx(ends, rel=1e-8)
    # with no head start (0 h of prompt engineering) self-hosting is never cheaper
    assert contour[contour.y == 0.0].empty or (contour[contour.y == 0.0].x <= 16e6).all()


def test_the_cumulative_chart_marks_payback_and_break_even():
    from simulator.reports.charts import cumulative_cost

    fig = cumulative_cost(simulate(spike_scenario()))
    marks = {t.name: (list(t.x), list(t.text)) for t in fig.data if t.mode == "markers+text"}
    assert marks["Fine-tune (API) payback"] == ([5], ["pays for itself: month 5"])
    assert marks["Fine-tune (API) break-even"] == ([15], ["break-even: month 15"])
