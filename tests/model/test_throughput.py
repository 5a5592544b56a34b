"""simulator.model.throughput: published GPU throughput by GPU type and model size, and how the
self-hosting option uses it (issue 11: self-hosting sized by the GPU)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import HOURS_PER_MONTH
from pricing.table import default_table
from simulator import example_scenario, simulate
from simulator.core.errors import InputError
from simulator.model.cost import SECONDS_PER_HOUR, gpu_training_usd
from simulator.model.resolve import resolve
from simulator.model.throughput import COLUMNS, gpu_throughput, load_throughput

HEADER = ",".join(COLUMNS)
ROW = ('H100 80GB,serve,0,9,12500,1,fp8,output,1000,250,output tokens/s,vLLM,'
       'https://example.com/b,2026-11-23,"a note"')


def _selfhost_only(**fields):
    """The example scenario with only prompt and selfhost simulated, selfhost fields set
    (serving from month 1 unless told otherwise)."""
    fields = {"months_to_production": 0, **fields}
    return example_scenario().with_values(
        options=("prompt", "selfhost"), **{f"selfhost.{k}": v for k, v in fields.items()})


def _price_row(result, field):
    rows = result.prices[result.prices["field"] == field]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# ---- the shipped table ----------------------------------------------------------------------

def test_every_shipped_row_is_sourced_and_priced_gpus_are_named_alike():
    rows = load_throughput()
    assert rows
    priced = set(default_table().gpu_names())
    for row in rows:
        assert row.source_url.startswith("https://")
        assert row.measure and row.engine
        assert row.tokens_per_second > 0
        assert row.gpu in priced, f"{row.gpu} is spelt unlike pricing/data/gpus.csv"


def test_the_band_holding_the_model_size_is_picked():
    h100_8b = gpu_throughput("H100 80GB", "serve", 8)
    assert h100_8b.published_tokens_per_second == 15_244.78
    assert gpu_throughput("h100 80gb", "serve", 9) == h100_8b               # size ≤ max
    assert gpu_throughput("H100 80GB", "serve", 70).published_tokens_per_second == 920.9
    assert gpu_throughput("H100 80GB", "serve", 70).gpus == 2
    assert gpu_throughput("H100 80GB", "train", 70).tokens_per_second == 2_621
    assert gpu_throughput("H100 80GB", "train", 32).tokens_per_second == 2_250


def test_output_token_figures_become_input_plus_output_tokens():
    """The model counts every token of a request, so a figure of output tokens is scaled by
    the benchmark's request shape and divided by the GPUs of the run: 15,244.78 at 1,000 in
    / 1,000 out on one GPU is 30,489.56 tokens/s; 920.9 on 2 GPUs at 5,000 / 500 is 460.45 × 11
    = 5,064.95 per GPU; 249.52 on 4 L40S is 62.38 × 11 = 686.18; training figures stay."""
    assert gpu_throughput("H100 80GB", "serve", 8).tokens_per_second == pytest.approx(
        15_244.78 * 2)
    assert gpu_throughput("H100 80GB", "serve", 70).tokens_per_second == pytest.approx(5_064.95)
    assert gpu_throughput("L40S 48GB", "serve", 70).tokens_per_second == pytest.approx(
        249.52 / 4 * 11)
    for row in load_throughput():
        if row.counted == "output":
            assert row.tokens_per_second == pytest.approx(
                row.published_tokens_per_second / row.gpus
                * (row.input_tokens + row.output_tokens) / row.output_tokens, rel=1e-12)
        else:
            assert row.tokens_per_second == row.published_tokens_per_second / row.gpus
    assert gpu_throughput("H100 80GB", "serve", 8).conversion() == (
        "15,245 output tokens/s at 1,000 input / 1,000 output tokens per request = 30,490 "
        "input + output tokens/s per GPU")
    assert gpu_throughput("L40S 48GB", "serve", 70).conversion() == (
        "249.52 output tokens/s on 4 GPUs at 5,000 input / 500 output tokens per request ÷ 4 "
        "GPUs = 686 input + output tokens/s per GPU")


def test_no_published_figure_names_the_field_to_pin_and_the_bands_there_are():
    with pytest.raises(InputError) as err:
        gpu_throughput("H100 80GB", "serve", 500)
    message = str(err.value)
    assert message.startswith("selfhost.serve_tokens_per_second: no published serving "
                              "throughput for H100 80GB with a 500B-parameter model")
    assert "published for 0–9B, 9–16B, 16–40B, 40–80B" in message   # in size order
    assert "set selfhost.serve_tokens_per_second" in message
    with pytest.raises(InputError, match=r"^selfhost\.train_tokens_per_second: .* Z9 GPU"):
        gpu_throughput("Z9 GPU", "train", 8)


# ---- a broken table names file, row and column ------------------------------------------------

@pytest.mark.parametrize("row, message", [
    (ROW.replace(",12500,", ",fast,"), "row 2, column tokens_per_second: not a number: 'fast'"),
    (ROW.replace(",12500,", ",0,"), "row 2, column tokens_per_second: must be > 0, got 0"),
    (ROW.replace(",12500,", ",nan,"), "row 2, column tokens_per_second: must be > 0, got nan"),
    (ROW.replace(",serve,", ",infer,"), "row 2, column task: must be one of serve, train"),
    (ROW.replace(",0,9,", ",9,9,"), "row 2, column params_b_max: must exceed params_b_min"),
    (ROW.replace("https://example.com/b", "http://example.com/b"),
     "row 2, column source_url: must be an https:// link"),
    (ROW.replace("2026-11-23", "23/11/2026"), "row 2, column checked_on: expected YYYY-MM-DD"),
    (ROW.replace(",vLLM,", ",,"), "row 2, column engine: is empty"),
    (ROW.replace(",output,", ",input,"), "row 2, column counted: must be one of output, total"),
    (ROW.replace(",1000,250,", ",1000,,"), "row 2, column output_tokens: is empty"),
    (ROW.replace(",1000,250,", ",1000,0,"), "row 2, column output_tokens: must be > 0"),
    (ROW.replace(",serve,", ",train,"),
     "row 2, column counted: a training figure counts every token (total)"),
    (ROW.replace(",12500,1,", ",12500,1.5,"), "row 2, column gpus: must be a whole number"),
    (ROW.replace(",fp8,", ",fp7,"), "row 2, column precision: must be one of fp32, bf16"),
])
def test_a_broken_row_is_refused_with_file_row_and_column(tmp_path, row, message):
    path = tmp_path / "throughput.csv"
    path.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_throughput(path)
    assert str(err.value).startswith(f"{path}, {message}")


def test_overlapping_bands_and_unknown_columns_are_refused(tmp_path):
    path = tmp_path / "throughput.csv"
    path.write_text(f"{HEADER}\n{ROW}\n{ROW.replace(',0,9,', ',8,16,')}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"H100 80GB serve: the bands 0–9 and 8–16 billion "
                                         r"parameters overlap"):
        load_throughput(path)
    path.write_text(f"{HEADER},speed\n{ROW},1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"throughput.csv: unknown column\(s\) speed"):
        load_throughput(path)


# ---- the self-hosting option follows the GPU -------------------------------------------------

def test_serving_throughput_follows_the_gpu_and_the_model_size():
    """Each GPU serves at its own published rate (input + output tokens), recorded with its
    source and the conversion; the monthly GPU bill is replicas × n × 730 h × price with
    replicas = ceil(tokens / (n × per-GPU capacity)), n the GPUs of a replica (docs)."""
    scenario = _selfhost_only()
    volume = scenario.workload.requests_per_month * 10_000    # enough to need replicas
    for gpu, params in (("H100 80GB", 8), ("A100 80GB", 8), ("H200 141GB", 8),
                        ("H100 80GB", 70)):
        row = gpu_throughput(gpu, "serve", params)
        result = simulate(_selfhost_only(gpu=gpu, model_params_b=params,
                                         train_tokens_per_second=1_000).with_values(
            **{"workload.requests_per_month": volume}))
        used = _price_row(result, "selfhost.serve_tokens_per_second")
        assert used["value"] == row.tokens_per_second
        assert used["source_url"] == row.source_url
        assert row.conversion() in used["note"]
        price = _price_row(result, "selfhost.gpu_usd_per_hour")["value"]
        n = _price_row(result, "selfhost.gpus_per_replica")["value"]
        assert n == (4 if params == 70 else 1)      # 154 GB at BF16 on 80 GB cards: 4
        capacity = (n * row.tokens_per_second * SECONDS_PER_HOUR * HOURS_PER_MONTH
                    * scenario.selfhost.utilisation)
        replicas = max(scenario.selfhost.min_replicas,
                       math.ceil(volume * _tokens_per_request(result) / capacity - 1e-9))
        assert replicas > 1
        hosting = result.costs["selfhost"]["hosting"]
        assert hosting[1] == pytest.approx(replicas * n * HOURS_PER_MONTH * price, rel=1e-12)


def _tokens_per_request(result) -> float:
    """``s_ft + u + k_ft + o + z_sh`` from the values the result used (``k_ft`` the tuned
    model's own chat overhead, ``z_sh`` the self-hosted reasoning tokens)."""
    w = result.scenario.workload
    values = resolve(result.scenario).values
    return (values["finetune.prompt_tokens"] + w.input_tokens
            + values["finetune.chat_overhead_tokens"] + w.output_tokens
            + (values.get("selfhost.reasoning_tokens") or 0.0))


def test_a_slower_gpu_needs_more_replicas_at_high_volume():
    """At 200 million requests a month a slower card is not cheaper just for its hourly
    price: it needs ceil(tokens / its own capacity) replicas (the audit's complaint)."""
    results = {gpu: simulate(_selfhost_only(gpu=gpu, train_tokens_per_second=1_000)
                             .with_values(**{"workload.requests_per_month": 200e6}))
               for gpu in ("H100 80GB", "A100 80GB")}
    replicas = {}
    for gpu, result in results.items():
        price = _price_row(result, "selfhost.gpu_usd_per_hour")["value"]
        replicas[gpu] = result.costs["selfhost"]["hosting"][1] / (HOURS_PER_MONTH * price)
        capacity = (gpu_throughput(gpu, "serve", 8).tokens_per_second * SECONDS_PER_HOUR
                    * HOURS_PER_MONTH * result.scenario.selfhost.utilisation)
        tokens = 200e6 * _tokens_per_request(result)
        assert replicas[gpu] == pytest.approx(math.ceil(tokens / capacity - 1e-9), rel=1e-12)
    assert replicas["A100 80GB"] >= 3 * replicas["H100 80GB"] >= 3


def test_pinned_tokens_per_second_win_over_the_table():
    result = simulate(_selfhost_only(serve_tokens_per_second=777, train_tokens_per_second=555))
    assert _price_row(result, "selfhost.serve_tokens_per_second")["value"] == 777
    assert _price_row(result, "selfhost.serve_tokens_per_second")["source"] == "scenario"
    assert _price_row(result, "selfhost.train_tokens_per_second")["value"] == 555


def test_a_gpu_without_a_published_figure_is_refused_in_words():
    with pytest.raises(InputError, match=r"selfhost\.serve_tokens_per_second: no published "
                                         r"serving throughput for H100 80GB with a "
                                         r"200B-parameter model"):
        simulate(_selfhost_only(model_params_b=200))


# ---- training on several GPUs ----------------------------------------------------------------

def test_training_cost_by_hand_on_one_and_four_gpus():
    """G GPUs train at 1 + (G-1) e times one GPU's speed and are each billed for the run:
    3.6e9 tokens at 1,000 tokens/s is 1,000 h on one GPU; on 4 at e = 0.9, 1000 / 3.7 h × 4."""
    billed = 3.6e9
    assert gpu_training_usd(billed, 1_000, 1, 2.0, 0.9) == pytest.approx(1_000 * 2.0)
    assert gpu_training_usd(billed, 1_000, 4, 2.0, 0.9) == pytest.approx(1_000 / 3.7 * 4 * 2.0)
    assert gpu_training_usd(billed, 1_000, 4, 2.0, 1.0) == pytest.approx(1_000 * 2.0)


@settings(max_examples=100, deadline=None)
@given(gpus=st.integers(1, 63), efficiency=st.floats(0.05, 1.0),
       tokens=st.floats(1e6, 1e12), speed=st.floats(10, 1e5))
def test_more_gpus_train_faster_and_never_cost_less(gpus, efficiency, tokens, speed):
    """One more GPU shortens the run; at an efficiency below 1 it costs a little more, at
    perfect scaling the same."""
    def hours(g):
        return tokens / (speed * (1 + (g - 1) * efficiency) * SECONDS_PER_HOUR)

    assert hours(gpus + 1) < hours(gpus)
    now = gpu_training_usd(tokens, speed, gpus, 3.0, efficiency)
    more = gpu_training_usd(tokens, speed, gpus + 1, 3.0, efficiency)
    assert now == pytest.approx(hours(gpus) * gpus * 3.0, rel=1e-12)
    assert more >= now * (1 - 1e-12)


def test_more_training_gpus_in_a_scenario_change_only_the_training_cost():
    one = simulate(_selfhost_only(training_gpus=1))
    eight = simulate(_selfhost_only(training_gpus=8))
    e = one.scenario.selfhost.scaling_efficiency
    ratio = 8 / (1 + 7 * e)
    np.testing.assert_allclose(eight.costs["selfhost"]["training"],
                               one.costs["selfhost"]["training"] * ratio, rtol=1e-12)
    for component in ("hosting", "labelling", "engineering"):
        np.testing.assert_array_equal(eight.costs["selfhost"][component],
                                      one.costs["selfhost"][component])
