"""Accuracy from evidence (issue 18): eval posteriors, pilot learning curves, the break-even
accuracy, and how the evidence moves the decision."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import simulate
from simulator.core.errors import InputError
from simulator.model.engine import breakeven_accuracy, evaluate
from simulator.model.evidence import (
    EvalPosterior,
    examples_for_accuracy,
    fit_learning_curve,
    posterior_interval,
    posterior_mean,
    prob_at_least,
    saturating_power_law,
)
from simulator.model.resolve import resolve
from simulator.model.scenario import Scenario, dumps_scenario, example_scenario
from simulator.model.uncertainty import Triangular, monte_carlo

PILOT = ((100, 150, 200), (300, 255, 300), (600, 540, 600))


def _beta_cdf(x: float, a: float, b: float, steps: int = 200_000) -> float:
    """The Beta(a, b) CDF at ``x`` by Simpson's rule on the density written out by hand
    (log-gamma from the standard library): a check independent of scipy."""
    log_norm = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    t = np.linspace(0.0, x, steps + 1)
    with np.errstate(divide="ignore"):
        f = np.exp(log_norm + (a - 1) * np.log(t) + (b - 1) * np.log1p(-t))
    f[0] = 0.0 if a > 1 else f[1]
    h = x / steps
    return float(h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum()))


# ---- eval counts ------------------------------------------------------------------------------

def test_jeffreys_mean_is_half_counts_added():
    assert posterior_mean(174, 200) == pytest.approx(174.5 / 201)
    assert posterior_mean(0, 10) == pytest.approx(0.5 / 11)


@pytest.mark.parametrize("k, n", [(174, 200), (182, 200), (9, 10), (1740, 2000)])
def test_jeffreys_interval_against_integrated_density(k, n):
    lo, hi = posterior_interval(k, n)
    a, b = k + 0.5, n - k + 0.5
    assert _beta_cdf(lo, a, b) == pytest.approx(0.025, abs=2e-6)
    assert _beta_cdf(hi, a, b) == pytest.approx(0.975, abs=2e-6)
    assert lo < k / n < hi


def test_jeffreys_interval_for_174_of_200_by_hand():
    # 95% Jeffreys interval of 174/200: Beta(174.5, 26.5) quantiles, to four places.
    lo, hi = posterior_interval(174, 200)
    assert (round(lo, 4), round(hi, 4)) == (0.8182, 0.9112)
    assert prob_at_least(174, 200, lo) == pytest.approx(0.975)


def test_interval_narrows_as_the_eval_grows():
    widths = [np.subtract(*posterior_interval(87 * m, 100 * m)[::-1]) for m in (1, 4, 16, 64)]
    assert all(w1 > w2 for w1, w2 in itertools.pairwise(widths))
    assert widths[0] / widths[-1] == pytest.approx(8.0, rel=0.1)   # ∝ 1/√n


def test_interval_array_case():
    lo, _ = posterior_interval(np.array([174, 182]), np.array([200, 200]))
    assert lo.shape == (2,) and lo[0] == pytest.approx(posterior_interval(174, 200)[0])


def test_posterior_draws_reproducible_and_centered():
    d = EvalPosterior(correct=174, total=200)
    x = d.sample(np.random.default_rng(3), 20_000)
    assert np.array_equal(x, d.sample(np.random.default_rng(3), 20_000))
    assert x.mean() == pytest.approx(d.center, abs=2e-3)


@pytest.mark.parametrize("body, message", [
    ({"eval_correct": 174}, "prompt.eval_total: give it with prompt.eval_correct"),
    ({"eval_total": 200}, "prompt.eval_correct: give it with prompt.eval_total"),
    ({"eval_correct": 201, "eval_total": 200}, ("prompt.eval_correct: must be ≤ "
                                                 "prompt.eval_total (200), got 201")),
    ({"eval_correct": 1.5, "eval_total": 2}, "prompt.eval_correct: must be a whole number"),
    ({"eval_correct": 0, "eval_total": 0}, "prompt.eval_total: must be a whole number from 1"),
])
def test_eval_counts_checked(body, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Scenario.from_dict({"prompt": body})


def test_counts_win_over_typed_accuracy():
    s = example_scenario().with_values(**{"prompt.accuracy": 0.5, "prompt.eval_correct": 174,
                                          "prompt.eval_total": 200})
    inputs = resolve(s)
    assert inputs.values["prompt.accuracy"] == pytest.approx(174.5 / 201)
    assert any("the counts win over the typed accuracy" in n for n in inputs.notes)


def test_scenario_round_trip_with_evidence():
    s = Scenario.from_dict({"hybrid": {"eval_correct": 9, "eval_total": 10},
                            "finetune": {"pilot": [list(r) for r in PILOT],
                                         "target_accuracy": 0.92}})
    import json
    import tomllib
    assert Scenario.from_dict(tomllib.loads(dumps_scenario(s))) == s
    assert Scenario.from_dict(json.loads(dumps_scenario(s, "json"))) == s


# ---- learning curve ---------------------------------------------------------------------------

@pytest.mark.parametrize("pilot, message", [
    ([[100, 0.8], [300, 0.85]], "give runs at 3 or more different training-set sizes"),
    ([[100, 0.8], [300, 0.85], [300, 0.86]], "got 2"),
    ([[100, 1.2], [300, 0.85], [600, 0.9]], r"finetune.pilot\[0\]: accuracy must be a share"),
    ([[100, 0.8], [300, 250, 300], [600, 0.9]], "every run must have the same form"),
    ([[100.5, 0.8], [300, 0.85], [600, 0.9]], "examples must be a whole number"),
    ([[100, 90, 80], [300, 250, 300], [600, 500, 600]], r"finetune.pilot\[0\].eval_correct"),
    ("100, 0.8", "expected a list of runs"),
])
def test_pilot_checked(pilot, message):
    with pytest.raises(InputError, match=message):
        Scenario.from_dict({"finetune": {"pilot": pilot}})


def test_pilot_and_finetune_counts_refused():
    with pytest.raises(InputError, match="finetune.pilot: give either a pilot"):
        Scenario.from_dict({"finetune": {"pilot": [list(r) for r in PILOT],
                                         "eval_correct": 9, "eval_total": 10}})


@settings(max_examples=40, deadline=None)
@given(a_max=st.floats(0.6, 0.99), b=st.floats(0.2, 5.0), c=st.floats(0.15, 1.5),
       first=st.integers(20, 200), ratio=st.floats(1.8, 4.0))
def test_fit_recovers_known_curves(a_max, b, c, first, ratio):
    sizes = [round(first * ratio ** i) for i in range(5)]
    runs = [(n, a_max - b * n ** -c) for n in sizes]
    if min(acc for _, acc in runs) < 0:
        return
    curve = fit_learning_curve(runs)
    assert curve.a_max == pytest.approx(a_max, abs=2e-3)
    assert curve.c == pytest.approx(c, rel=2e-2)
    assert curve.b == pytest.approx(b, rel=5e-2)
    for n in sizes + [sizes[-1] * 3]:
        assert curve.accuracy(n) == pytest.approx(a_max - b * n ** -c, abs=1e-4)


def test_weighted_fit_recovers_curve_from_counts():
    # Counts large enough that rounding is the only noise: the curve comes back.
    a_max, b, c = 0.95, 1.2, 0.5
    runs = [(n, round((a_max - b * n ** -c) * 1_000_000), 1_000_000) for n in (50, 150, 500,
                                                                               1500)]
    curve = fit_learning_curve(runs)
    assert (curve.a_max, curve.b, curve.c) == pytest.approx((a_max, b, c), rel=1e-3)
    assert curve.weighted and curve.draws is not None


def test_three_runs_are_fitted_exactly():
    curve = fit_learning_curve([(100, 0.80), (300, 0.86), (900, 0.89)])
    assert curve.accuracy(np.array([100, 300, 900])) == pytest.approx([0.80, 0.86, 0.89],
                                                                      abs=1e-6)
    assert curve.interval(600) is None   # no counts, no interval


def test_examples_for_target_inverts_the_curve():
    a_max, b, c = 0.95, 1.0, 0.5
    need = examples_for_accuracy(0.92, a_max, b, c)
    assert need == math.ceil((b / (a_max - 0.92)) ** (1 / c))          # 1,112 by hand
    assert saturating_power_law(need, a_max, b, c) >= 0.92
    assert saturating_power_law(need - 1, a_max, b, c) < 0.92
    assert math.isnan(examples_for_accuracy(0.95, a_max, b, c))         # never gets there
    assert math.isnan(examples_for_accuracy(0.97, a_max, b, c))


def test_pilot_interval_contains_fit_and_narrows_with_counts():
    small = fit_learning_curve(PILOT)
    big = fit_learning_curve([(n, 10 * k, 10 * t) for n, k, t in PILOT])
    lo, hi = small.interval(600)
    assert lo < small.accuracy(600) < hi
    lo10, hi10 = big.interval(600)
    assert hi10 - lo10 < (hi - lo) / 2
    assert fit_learning_curve(PILOT).interval(600) == (lo, hi)   # same pilot, same interval


# ---- in the cost chain ------------------------------------------------------------------------

def _scenario(**values):
    base = {"cost_per_error_usd": 0.5, "options": ("prompt", "finetune"), "as_of": "2026-12-07",
            "finetune.months_to_production": 0, "data.holdout_share": 0.0}
    return example_scenario().with_values(**dict(base, **values))


def test_tuned_accuracy_follows_the_curve_month_by_month():
    s = _scenario(**{"finetune.pilot": PILOT, "finetune.examples": 600,
                     "finetune.retrain_every_months": 6, "finetune.new_examples_per_retrain": 300})
    r = simulate(s)
    curve = fit_learning_curve(PILOT)
    errors = r.monthly.query("option == 'finetune' and component == 'errors'") \
        .set_index("month")["cost_usd"]
    V = s.workload.requests_per_month
    for month, examples in ((1, 600), (5, 600), (6, 900), (12, 1200), (24, 1800)):
        assert errors[month] == pytest.approx(0.5 * V * (1 - curve.accuracy(examples)))
    row = r.summary.set_index("option").loc["finetune"]
    assert row["projected_accuracy"] == pytest.approx(curve.accuracy(600))
    months = np.arange(1, 25)
    trained = 600 + 300 * (months // 6)
    assert row["accuracy"] == pytest.approx(np.mean(curve.accuracy(trained)))


def test_breakeven_accuracy_against_hand_formula():
    s = _scenario()
    r = simulate(s)
    m = r.monthly
    R = s.workload.requests_per_month * s.horizon_months
    non_error = m.query("option == 'finetune' and component != 'errors'")["cost_usd"].sum()
    base_tco = r.summary.set_index("option").loc["prompt", "tco_usd"]
    hand = 1 - (base_tco - non_error) / (0.5 * R)   # non-error + cpe R (1 − a) = base TCO
    row = r.summary.set_index("option").loc["finetune"]
    assert row["breakeven_accuracy"] == pytest.approx(hand, abs=1e-12)
    at = simulate(s.with_values(**{"finetune.accuracy": float(row["breakeven_accuracy"])}))
    assert abs(at.summary.set_index("option").loc["finetune", "savings_usd"]) < 1e-6


def test_breakeven_accuracy_with_a_curve_shifts_it_whole():
    s = _scenario(**{"finetune.pilot": PILOT})
    inputs = resolve(s)
    _, figures = evaluate(inputs)
    a, status = breakeven_accuracy(inputs, figures)["finetune"]
    assert status == ""
    shift = a - fit_learning_curve(PILOT).accuracy(600)
    _, shifted = evaluate(inputs, dict(inputs.values, **{"finetune.accuracy_shift": shift}))
    assert abs(float(shifted["finetune"]["savings_usd"])) < 1e-6


@pytest.mark.parametrize("values, status", [
    ({"cost_per_error_usd": 0.0}, "no error cost"),
    ({"cost_per_error_usd": 1e-6, "finetune.labelling_usd_per_example": 1000.0}, "above 100%"),
    ({"cost_per_error_usd": 1e-6, "prompt.engineering_hours": 5000.0}, "below 0%"),
])
def test_breakeven_accuracy_empty_with_reason(values, status):
    r = simulate(_scenario(**values))
    row = r.summary.set_index("option").loc["finetune"]
    assert row["breakeven_accuracy_status"] == status and row.isna()["breakeven_accuracy"]
    assert "has no break-even accuracy" in r.explain() or status == "no error cost"


def test_cost_per_correct_answer():
    s = _scenario(**{"prompt.accuracy": 0.8})
    row = simulate(s).summary.set_index("option").loc["prompt"]
    assert row["cost_per_correct_usd"] == pytest.approx(row["tco_usd"] / (row["requests"] * 0.8))


def test_explain_quotes_the_evidence():
    s = _scenario(**{"prompt.eval_correct": 174, "prompt.eval_total": 200,
                     "finetune.eval_correct": 182, "finetune.eval_total": 200})
    r = simulate(s)
    row = r.summary.set_index("option").loc["finetune"]
    lo, hi = posterior_interval(182, 200)
    text = r.explain()
    assert (f"finetune pays for itself if it reaches {row['breakeven_accuracy']:.1%} accuracy; "
            f"your eval (182 of 200) puts it at {posterior_mean(182, 200):.1%} "
            f"({lo * 100:.1f}–{hi:.1%}), so it does with probability "
            f"{row['p_reaches_breakeven']:.2f}.") in text
    assert (row["accuracy_low"], row["accuracy_high"]) == pytest.approx((lo, hi))


def test_summary_csv_carries_the_figures(tmp_path):
    r = simulate(_scenario(**{"finetune.pilot": PILOT, "finetune.target_accuracy": 0.92}))
    import pandas as pd
    r.to_csv(tmp_path)
    csv = pd.read_csv(tmp_path / "summary.csv").set_index("option")
    row = r.summary.set_index("option").loc["finetune"]
    assert csv.loc["finetune", "examples_for_target"] == row["examples_for_target"]
    assert csv.loc["finetune", "projected_accuracy"] == round(row["projected_accuracy"], 4)
    assert csv.loc["finetune", "breakeven_accuracy"] == round(row["breakeven_accuracy"], 4)
    assert np.isnan(csv.loc["prompt", "breakeven_accuracy"])


# ---- Monte Carlo ------------------------------------------------------------------------------

def test_monte_carlo_draws_the_posterior_by_itself():
    s = _scenario(**{"prompt.eval_correct": 174, "prompt.eval_total": 200})
    mc = monte_carlo(s, {}, n=2000, seed=5)
    assert "prompt.accuracy" in mc.draws
    assert mc.draws["prompt.accuracy"].mean() == pytest.approx(174.5 / 201, abs=4e-3)
    given_ = monte_carlo(s, {"prompt.accuracy": Triangular(low=0.8, mode=0.8, high=0.8)},
                         n=50, seed=5)
    assert (given_.draws["prompt.accuracy"] == 0.8).all()   # a distribution given wins


def test_monte_carlo_draws_the_pilot_curve():
    mc = monte_carlo(_scenario(**{"finetune.pilot": PILOT}), {}, n=500, seed=2)
    assert mc.draws["finetune.curve_a_max"].nunique() > 10
    assert 0 < mc.summary.set_index("option").loc["finetune", "p_cheaper"] <= 1


@settings(max_examples=4, deadline=None)
@given(prompt_acc=st.sampled_from([0.85, 0.87]), gap=st.sampled_from([0.02, 0.03]))
def test_p_cheaper_moves_as_the_eval_grows(prompt_acc, gap):
    """Fine-tuning is cheaper at the point estimate only thanks to its accuracy: the larger the
    evals behind both accuracies, the surer Monte Carlo is of it."""
    p = []
    for m in (1, 8, 64):
        n = 100 * m
        s = _scenario(**{"cost_per_error_usd": 2.0,
                         "prompt.eval_correct": round(prompt_acc * n), "prompt.eval_total": n,
                         "finetune.eval_correct": round((prompt_acc + gap) * n),
                         "finetune.eval_total": n})
        mc = monte_carlo(s, {}, n=3000, seed=11)
        p.append(mc.summary.set_index("option").loc["finetune", "p_cheaper"])
    assert p[0] < p[1] < p[2] or p[1] == p[2] == 1.0
    assert p[2] > 0.99


def test_docstring_examples_run():
    import doctest

    import simulator.model.evidence

    assert doctest.testmod(simulator.model.evidence).failed == 0


def test_html_report_carries_the_evidence():
    from simulator.reports.html_report import html_report, summary_display

    r = simulate(_scenario(**{"prompt.eval_correct": 174, "prompt.eval_total": 200,
                              "finetune.pilot": PILOT, "finetune.target_accuracy": 0.92}))
    shown = summary_display(r).set_index("option")
    row = r.summary.set_index("option").loc["finetune"]
    ft = shown.loc["Fine-tune (API)"]
    assert ft["break-even accuracy"] == f"{row['breakeven_accuracy']:.1%}"
    assert ft["examples for target"] == f"{int(row['examples_for_target']):,}"
    assert ft["accuracy (95%)"] == f"{row['accuracy_low']:.1%}–{row['accuracy_high']:.1%}"
    page = html_report(r)
    assert 'id="chart-accuracy"' in page and 'id="chart-learning"' in page
    plain = simulate(_scenario())
    assert "break-even accuracy" in summary_display(plain).columns   # errors are priced
    assert 'id="chart-learning"' not in html_report(plain)


def test_evidence_charts_and_panel_never_load_streamlit():
    import subprocess
    import sys

    code = ("import sys, simulator.reports.charts_evidence, simulator.app.evidence; "
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_learning_curve_chart_marks_target_and_need():
    from simulator.reports.charts_evidence import learning_curve

    curve = fit_learning_curve(PILOT)
    fig = learning_curve(curve, planned=600, target=0.92, needed=962)
    names = [t.name for t in fig.data]
    assert names == ["95% band (bootstrap)", "fit", "pilot runs"]
    texts = [a.text for a in fig.layout.annotations]
    assert "target 92.0%" in texts and "needs 962" in texts and "planned 600" in texts
    points = fig.data[2]
    assert list(points.y) == pytest.approx([0.75, 0.85, 0.9])
