"""Self-hosted serving sized by memory and parallelism (issue 20): a replica is the GPUs one
copy of the model needs, priced as that many GPUs; ``min_replicas`` counts replicas."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.table import default_table
from simulator import example_scenario, simulate
from simulator.cli.main import main
from simulator.core.errors import InputError
from simulator.model.scenario import Scenario
from simulator.model.throughput import (
    BYTES_PER_PARAM,
    gpu_throughput,
    gpus_per_replica,
    replica_memory_gb,
)


def _selfhost(**fields):
    """The example scenario comparing prompt and selfhost, the self-hosted model serving
    from month 1 (``months_to_production = 0``) unless ``fields`` say otherwise."""
    return example_scenario().with_values(
        options=("prompt", "selfhost"), focus="selfhost",
        **{"selfhost.train_tokens_per_second": 1_000, "selfhost.months_to_production": 0,
           **{f"selfhost.{k}": v for k, v in fields.items()}})


def _price(result, field):
    rows = result.prices[result.prices["field"] == field]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# ---- the done-when case: 70B on L40S -----------------------------------------------------------

def test_a_70b_model_on_l40s_is_priced_on_the_four_gpus_that_hold_it():
    """By hand: 70B at BF16 is 140 GB of weights + 10 % KV reserve = 154 GB; one L40S keeps
    48 × 0.9 = 43.2 GB, two 86.4, four 172.8: a replica is 4 GPUs. The cheapest L40S is
    1.09 USD/h (runpod), so one replica costs 4 × 730 × 1.09 = 3,182.80 USD a month, against
    the 795.70 (1 × 730 × 1.09, the "$796") billed when a replica was one GPU; over 24
    months the old figure understated hosting by 24 × 2,387.10 = 57,290.40 USD."""
    result = simulate(_selfhost(gpu="L40S 48GB", model_params_b=70))
    assert _price(result, "selfhost.gpus_per_replica")["value"] == 4
    assert _price(result, "selfhost.gpu_usd_per_hour")["value"] == 1.09
    hosting = result.costs["selfhost"]["hosting"]
    # 60,000 requests of ~620 tokens need far less than one replica: min_replicas = 1
    assert hosting[1] == pytest.approx(4 * 730 * 1.09, rel=1e-12) == pytest.approx(3_182.80)
    assert hosting[1] >= 3_182.8 and round(hosting[1]) == 3_183
    old = 1 * 730 * 1.09
    assert round(old) == 796
    assert hosting[1:].sum() - 24 * old == pytest.approx(57_290.40)
    # with the example's three months to production, hosting starts in month 4
    later = simulate(_selfhost(gpu="L40S 48GB", model_params_b=70, months_to_production=3))
    assert later.costs["selfhost"]["hosting"][1:4].tolist() == [0.0, 0.0, 0.0]
    assert later.costs["selfhost"]["hosting"][4] == pytest.approx(4 * 730 * 1.09)


def test_min_replicas_counts_replicas_and_throughput_scales_with_the_replica():
    """min_replicas = 2 on L40S for 70B: 2 replicas × 4 GPUs × 730 h × 1.09. A replica of 4
    GPUs serves 4 × 62.38 × 11 = 2,744.72 input + output tokens/s (249.52 output tokens/s
    on 4 GPUs at 5,000 in / 500 out, ÷ 4, × 5,500 / 500); at 50 % utilisation one replica
    serves 2,744.72 × 3,600 × 730 × 0.5 tokens a month, and a volume just over it needs 2
    replicas, just over twice it 3."""
    two = simulate(_selfhost(gpu="L40S 48GB", model_params_b=70, min_replicas=2))
    assert two.costs["selfhost"]["hosting"][1] == pytest.approx(2 * 4 * 730 * 1.09)
    per_gpu = gpu_throughput("L40S 48GB", "serve", 70).tokens_per_second
    assert per_gpu == pytest.approx(249.52 / 4 * 5_500 / 500)
    capacity = 4 * per_gpu * 3_600 * 730 * 0.5
    base = _selfhost(gpu="L40S 48GB", model_params_b=70)
    w = base.workload
    tokens_per_request = base.finetune.prompt_tokens + w.input_tokens + 11 + w.output_tokens
    for replicas in (2, 3):
        volume = (replicas - 1) * capacity / tokens_per_request * 1.01
        r = simulate(base.with_values(**{"workload.requests_per_month": volume}))
        assert r.costs["selfhost"]["hosting"][1] == pytest.approx(replicas * 4 * 730 * 1.09)


# ---- the memory rule ---------------------------------------------------------------------------

@pytest.mark.parametrize("params, precision, memory, gpus", [
    (8, "bf16", 24, 1),        # 17.6 GB ≤ 21.6
    (70, "fp8", 80, 2),        # 77 GB > 72, ≤ 144: NVIDIA's H100 run is TP2
    (70, "fp8", 141, 1),       # 77 ≤ 126.9: NVIDIA's H200 run is TP1
    (70, "bf16", 80, 4),       # 154 > 144, ≤ 288: NVIDIA's A100 80GB run is TP4
    (70, "fp4", 180, 1),       # 38.5 GB on one B200
    (32, "bf16", 80, 1),       # 70.4 ≤ 72: GPUStack's 32B run on one H100
    (70, "bf16", 48, 4),
    (405, "bf16", 80, None),   # 891 GB > 8 × 72
])
def test_gpus_per_replica_by_hand(params, precision, memory, gpus):
    need = params * BYTES_PER_PARAM[precision] * 1.1
    assert replica_memory_gb(params, precision) == pytest.approx(need)
    assert gpus_per_replica(params, precision, memory) == gpus
    if gpus is not None:
        assert need <= gpus * memory * 0.9
        if gpus > 1:
            assert need > gpus // 2 * memory * 0.9


@settings(max_examples=200, deadline=None)
@given(params=st.floats(0.1, 1_000), memory=st.floats(8, 300),
       precision=st.sampled_from(sorted(BYTES_PER_PARAM)), kv=st.floats(0, 2))
def test_the_replica_is_the_smallest_tensor_parallel_size_that_holds_the_model(
        params, memory, precision, kv):
    n = gpus_per_replica(params, precision, memory, kv)
    need = replica_memory_gb(params, precision, kv)
    if n is None:
        assert need > 8 * memory * 0.9
    else:
        assert n in (1, 2, 4, 8)
        assert need <= n * memory * 0.9 * (1 + 1e-12)
        assert n == 1 or need > n // 2 * memory * 0.9
    # more memory never needs more GPUs
    more = gpus_per_replica(params, precision, memory * 2, kv)
    assert more is not None if n is not None else True
    if n is not None:
        assert more <= n


def test_a_model_no_eight_gpus_hold_is_refused_naming_a_gpu_that_does():
    """405B at BF16 is 891 GB; 8 L40S keep 345.6 GB; the smallest card that holds it on the
    fewest GPUs is the H200 (8 × 126.9 = 1,015.2 GB)."""
    with pytest.raises(InputError) as err:
        simulate(_selfhost(gpu="L40S 48GB", model_params_b=405, serve_tokens_per_second=100))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("selfhost.model_params_b: a 405B model at bf16 needs 891.0 GB "
                              "(810.0 GB of weights + 10% KV-cache reserve), more than 8 × "
                              "L40S 48GB hold (8 × 48 GB × 0.9 = 345.6 GB)")
    assert "H200 141GB holds it on 8 GPUs" in message
    assert message.endswith("or lower selfhost.precision")


def test_pinned_gpus_per_replica_must_hold_the_model_and_is_priced():
    with pytest.raises(InputError, match=r"^selfhost\.gpus_per_replica: 2 × L40S 48GB hold "
                                         r"86\.4 GB, less than the 70B at bf16: 154\.0 GB"):
        simulate(_selfhost(gpu="L40S 48GB", model_params_b=70, gpus_per_replica=2))
    eight = simulate(_selfhost(gpu="L40S 48GB", model_params_b=70, gpus_per_replica=8))
    assert eight.costs["selfhost"]["hosting"][1] == pytest.approx(8 * 730 * 1.09)
    fp8 = simulate(_selfhost(gpu="L40S 48GB", model_params_b=70, precision="fp8"))
    assert _price(fp8, "selfhost.gpus_per_replica")["value"] == 2       # 77 GB ≤ 86.4
    assert fp8.costs["selfhost"]["hosting"][1] == pytest.approx(2 * 730 * 1.09)


@pytest.mark.parametrize("field, value, message", [
    ("precision", "fp12", "selfhost.precision: must be one of fp32, bf16, fp16, fp8"),
    ("gpus_per_replica", 3, "selfhost.gpus_per_replica: must be one of 1, 2, 4, 8"),
    ("gpus_per_replica", 16, "selfhost.gpus_per_replica: must be a whole number ≥ 1 and ≤ 8"),
    ("kv_reserve_share", -0.1, "selfhost.kv_reserve_share: must be a number ≥ 0"),
    ("gpu_memory_gb", 0, "selfhost.gpu_memory_gb: must be a number > 0"),
])
def test_bad_serving_fields_are_refused_in_one_line(field, value, message):
    with pytest.raises(InputError) as err:
        Scenario.from_dict({"selfhost": {field: value}})
    assert str(err.value).startswith(message)


def test_a_gpu_the_table_gives_no_memory_for_asks_for_it():
    scenario = _selfhost(gpu="Z9 GPU", gpu_usd_per_hour=2.0, serve_tokens_per_second=1_000)
    with pytest.raises(InputError, match=r"^selfhost\.gpu_memory_gb: the GPU table gives no "
                                         r"memory for Z9 GPU; set selfhost\.gpu_memory_gb"):
        simulate(scenario)
    result = simulate(scenario.with_values(**{"selfhost.gpu_memory_gb": 24.0,
                                              "selfhost.model_params_b": 20.0}))
    assert _price(result, "selfhost.gpus_per_replica")["value"] == 4   # 44 GB > 2 × 21.6
    assert result.costs["selfhost"]["hosting"][1] == pytest.approx(4 * 730 * 2.0)


def test_gpu_memory_comes_from_the_gpu_table():
    table = default_table()
    for gpu in table.gpu_names():
        memory = table.gpu_memory_gb(gpu)
        assert memory is not None and memory > 0
        if gpu != "B200 192GB":                    # listed at its usable 180 GB
            assert f"{memory:g}GB" in gpu


# ---- the shipped throughput rows ---------------------------------------------------------------

def test_multi_gpu_rows_say_their_gpus_and_convert_per_gpu():
    """The issue's three rows: 920.9 on 2 H100 (460.45 each), 249.52 on 4 L40S, 392.62 on 4
    A100 80GB, each converted per GPU then by the 5,000 / 500 request shape (× 11)."""
    for gpu, total, gpus in (("H100 80GB", 920.9, 2), ("L40S 48GB", 249.52, 4),
                             ("A100 80GB", 392.62, 4)):
        row = gpu_throughput(gpu, "serve", 70)
        assert (row.published_tokens_per_second, row.gpus) == (total, gpus)
        assert row.tokens_per_second == pytest.approx(total / gpus * 11)


def test_the_a100_40gb_latency_knee_row_is_gone():
    """495 tokens/s was measured at 8 concurrent requests, not at maximum load like the other
    rows; no maximum-load figure for that card was found, so it must be pinned."""
    with pytest.raises(InputError, match=r"no published serving throughput for A100 40GB"):
        gpu_throughput("A100 40GB", "serve", 8)


def test_prices_gpus_shows_gpus_per_replica_per_band(capsys):
    assert main(["prices", "--gpus"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    lines = [line.split() for line in out.splitlines()[5:]]
    l40s = {row[3]: row for row in lines if row[:2] == ["L40S", "48GB"]}
    # 80B at BF16: 176 GB > 4 × 43.2 → 8; at FP8: 88 > 86.4 → 4; FP4: 44 ≤ 86.4 → 2
    assert l40s["40–80"][4:7] == ["8", "4", "2"]
    assert l40s["0–9"][4:7] == ["1", "1", "1"]
    assert float(l40s["40–80"][-1]) == pytest.approx(8 * 1.09)
    assert "'-': not even 8 GPUs hold it" in out
    l4 = {row[3]: row for row in lines if row[:2] == ["L4", "24GB"]}
    assert l4["40–80"][4] == "-"
    assert math.isclose(float(l4["0–9"][-1]), 0.7992)
