"""Workload from logs: every figure recomputed here from the generated requests themselves."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import InputError, load_scenario, monte_carlo, save_scenario, simulate
from simulator.tokens.tokens import get_encoding
from simulator.traffic.workload import from_logs, percentile_from_counts

ENC = get_encoding("o200k_base")
WORDS = ["account", "billing", "crash", "refund", "invoice", "login", "password", "slow",
         "export", "report", "customer", "order", "délai", "注文", "🙂", "naïve"]
SYSTEM = "You are the triage assistant. Answer with one word. " + " ".join(WORDS * 5)
FEWSHOT = [{"role": "user", "content": "My card was charged twice"},
           {"role": "assistant", "content": "billing"}]
START = datetime(2026, 6, 1, tzinfo=UTC)


def n_tokens(text: str) -> int:
    return len(ENC.encode_ordinary(text))


def sample(stats) -> list[int]:
    """The per-request counts behind a TokenStats, sorted."""
    return np.repeat(stats.values, stats.counts).tolist()


def chat_log(path, n: int, *, seed: int = 0, bad_every: int = 0, days: int = 122):
    """Write ``n`` chat requests (system + few-shot + user) spread over ``days`` days from
    2026-06-01; return what the test expects: user tokens, output tokens, times, bad lines."""
    rng = random.Random(seed)
    users, outputs, times, bad = [], [], [], []
    line = 0
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            t = START + timedelta(seconds=(days * 86_400 - 1) * i / max(n - 1, 1))
            user = f"Ticket {i}: " + " ".join(rng.choices(WORDS, k=rng.randint(1, 60)))
            out = rng.randint(1, 40)
            record = {"timestamp": t.isoformat(), "model": "gpt-4.1",
                      "messages": [{"role": "system", "content": SYSTEM}, *FEWSHOT,
                                   {"role": "user", "content": user}],
                      "usage": {"prompt_tokens": 999, "completion_tokens": out}}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            line += 1
            users.append(n_tokens(user))
            outputs.append(out)
            times.append(t)
            if bad_every and i % bad_every == 3:
                fh.write('{"messages": "not a list"}\n' if (i // bad_every) % 2 else "{oops\n")
                line += 1
                bad.append(line)
    return np.array(users), np.array(outputs), times, bad


# ---- percentiles ------------------------------------------------------------------------------

@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=300),
       st.floats(0, 100, allow_nan=False))
def test_percentile_from_counts_equals_numpy(sample, q):
    values, counts = np.unique(sample, return_counts=True)
    assert percentile_from_counts(values, counts, q) == np.percentile(sample, q)


def test_percentile_from_counts_named_quantiles():
    sample = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    values, counts = np.unique(sample, return_counts=True)
    for q in (0, 5, 50, 95, 100):
        assert percentile_from_counts(values, counts, q) == np.percentile(sample, q)


# ---- chat request logs ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chat(tmp_path_factory):
    path = tmp_path_factory.mktemp("logs") / "requests.jsonl"
    expected = chat_log(path, 3000, seed=1, bad_every=250)
    return path, expected


def test_chat_log_tokens_equal_numpy_on_the_same_numbers(chat):
    path, (users, outputs, _, _) = chat
    report = from_logs(path, workers=1)
    assert report.n_requests == 3000 and report.input_source == "counted"
    for stats, sample in ((report.input_tokens, users), (report.output_tokens, outputs)):
        assert stats.n == len(sample)
        assert [stats.p5, stats.p50, stats.p95] == list(np.percentile(sample, [5, 50, 95]))
        assert stats.mean == pytest.approx(sample.mean(), rel=1e-12)
        assert (stats.min, stats.max) == (sample.min(), sample.max())


def test_chat_log_static_prefix_counted_exactly(chat):
    path, (users, _, _, _) = chat
    report = from_logs(path, workers=1)
    assert report.static_prefix == ({"role": "system", "content": SYSTEM}, *FEWSHOT)
    assert report.system_prompt_tokens == n_tokens(SYSTEM)
    assert report.fewshot_tokens == n_tokens(FEWSHOT[0]["content"]) + n_tokens("billing")
    # OpenAI's rule: 3 per message + its role (1 token each here), 3 to prime the reply.
    assert report.chat_overhead_tokens == 3 + 4 * (3 + 1)
    prompt_mean = (n_tokens(SYSTEM) + report.fewshot_tokens + users.mean() + 19)
    assert report.prompt_tokens.mean == pytest.approx(prompt_mean)
    assert report.static_share == pytest.approx(
        (report.system_prompt_tokens + report.fewshot_tokens) / prompt_mean)


def test_bad_lines_listed_counted_and_left_out(chat):
    path, (_, _, _, bad) = chat
    report = from_logs(path, workers=1)
    assert report.n_errors == len(bad) == 12
    assert [e.line for e in report.errors] == bad
    assert report.n_lines == 3000 + len(bad)
    messages = {e.message for e in report.errors}
    assert any(m.startswith("invalid JSON") for m in messages)
    assert "'messages' must be a non-empty list" in messages
    assert str(report.errors[0]).startswith(f"{path}:{bad[0]}: ")


def test_months_and_growth(chat):
    path, (_, _, times, _) = chat
    report = from_logs(path, workers=1)
    labels = [t.strftime("%Y-%m") for t in times]
    expected = {m: labels.count(m) for m in sorted(set(labels))}
    assert dict(zip(report.months.month, report.months.requests)) == expected
    # 122 days from June 1 end on September 30: four complete months.
    assert list(report.months.complete) == [True] * 4
    counts = list(expected.values())
    assert report.requests_per_month == counts[-1]
    assert report.growth_per_month == pytest.approx((counts[-1] / counts[0]) ** (1 / 3) - 1)
    assert report.months.growth.iloc[1] == pytest.approx(counts[1] / counts[0] - 1)
    assert np.isnan(report.months.growth.iloc[0])


def test_partial_months_are_flagged_and_scaled(tmp_path):
    path = tmp_path / "partial.jsonl"
    with open(path, "w") as fh:
        for day in range(10, 20):      # 2026-06-10 .. 2026-06-19, 3 requests a day
            for h in (1, 9, 17):
                t = datetime(2026, 6, day, h, tzinfo=UTC).timestamp()
                fh.write(json.dumps({"created": int(t), "messages": [
                    {"role": "user", "content": "hi"}]}) + "\n")
    report = from_logs(path, workers=1)
    assert list(report.months.complete) == [False]
    span_days = (datetime(2026, 6, 19, 17) - datetime(2026, 6, 10, 1)).total_seconds() / 86400
    assert report.requests_per_month == pytest.approx(30 / span_days * 365.2425 / 12)
    assert report.growth_per_month is None
    assert any("no complete calendar month" in n for n in report.notes)
    assert report.output_tokens is None


def test_workers_and_ranges_give_the_same_report(chat):
    path, _ = chat
    one = from_logs(path, workers=1)
    many = from_logs(path, workers=2, chunk_bytes=50_000)
    assert many.summary() == one.summary()
    assert many.errors == one.errors
    assert many.months.equals(one.months)
    assert np.array_equal(many.input_tokens.counts, one.input_tokens.counts)


def test_file_object_reads_like_the_path(chat):
    path, _ = chat
    with open(path, "rb") as fh:
        upload = from_logs(io.BytesIO(fh.read()), workers=1)
    report = from_logs(path, workers=1)
    assert upload.summary() | {"files": ""} == report.summary() | {"files": ""}
    assert [e.line for e in upload.errors] == [e.line for e in report.errors]


def test_reply_counted_when_no_usage(tmp_path):
    path = tmp_path / "conversations.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": "Refund please"},
                      {"role": "assistant", "content": "Your refund is on its way."}]},
        {"request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]},
         "response": {"created": 1_780_000_000,
                      "choices": [{"message": {"role": "assistant",
                                               "content": "Hi, how can I help?"}}]}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = from_logs(path, workers=1)
    assert report.n_requests == 2
    assert sample(report.output_tokens) == sorted(
        [n_tokens("Your refund is on its way."), n_tokens("Hi, how can I help?")])
    # The assistant reply is the output, not part of the prompt.
    assert sample(report.input_tokens) == sorted([n_tokens("Refund please"), n_tokens("Hello")])
    assert report.static_prefix == ()


# ---- batch files ------------------------------------------------------------------------------

def batch_files(tmp_path, n=40):
    rng = random.Random(2)
    inp, out = tmp_path / "batch_in.jsonl", tmp_path / "batch_out.jsonl"
    users, outputs, prompts, cached = [], [], [], []
    with open(inp, "w") as fi, open(out, "w") as fo:
        for i in range(n):
            user = " ".join(rng.choices(WORDS, k=rng.randint(3, 30)))
            users.append(n_tokens(user))
            fi.write(json.dumps({"custom_id": f"r{i}", "method": "POST",
                                 "url": "/v1/chat/completions",
                                 "body": {"model": "gpt-4o-mini", "messages": [
                                     {"role": "system", "content": SYSTEM},
                                     {"role": "user", "content": user}]}}) + "\n")
            p, c, o = rng.randint(200, 400), rng.choice([0, 128]), rng.randint(1, 50)
            prompts.append(p)
            cached.append(c)
            outputs.append(o)
            created = int(datetime(2026, 7, 1 + i % 28, tzinfo=UTC).timestamp())
            fo.write(json.dumps({"id": f"b{i}", "custom_id": f"r{i}", "response": {
                "status_code": 200, "request_id": "x", "body": {
                    "created": created, "model": "gpt-4o-mini",
                    "usage": {"prompt_tokens": p, "completion_tokens": o,
                              "prompt_tokens_details": {"cached_tokens": c}}}},
                "error": None}) + "\n")
        fi.write(json.dumps({"custom_id": "e1", "method": "POST", "url": "/v1/embeddings",
                             "body": {"input": "x"}}) + "\n")
        fo.write(json.dumps({"id": "b-err", "custom_id": "r-err", "response": None,
                             "error": {"code": "x", "message": "model overloaded"}}) + "\n")
        fo.write(json.dumps({"id": "b-500", "custom_id": "r-500",
                             "response": {"status_code": 500, "body": {}}}) + "\n")
    return inp, out, np.array(users), np.array(outputs), np.array(prompts), np.array(cached)


def test_batch_input_and_output_together(tmp_path):
    inp, out, users, outputs, _, _ = batch_files(tmp_path)
    report = from_logs([inp, out], workers=1)
    assert report.formats == {str(inp): "batch-input", str(out): "batch-output"}
    assert report.model == "gpt-4o-mini"
    # Prompts from the input file, completions and dates from the output file.
    assert report.input_tokens.p50 == np.percentile(users, 50)
    assert report.input_tokens.mean == pytest.approx(users.mean())
    assert report.system_prompt_tokens == n_tokens(SYSTEM)
    assert report.output_tokens.mean == pytest.approx(outputs.mean())
    assert list(report.months.month) == ["2026-07"]
    assert report.months.requests.tolist() == [40]
    assert [(e.file, e.line) for e in report.errors] == [(str(inp), 41), (str(out), 41),
                                                        (str(out), 42)]
    assert "only chat completion requests" in report.errors[0].message
    assert "model overloaded" in report.errors[1].message
    assert "status 500" in report.errors[2].message


def test_batch_output_alone_uses_billed_counts(tmp_path):
    _, out, _, outputs, prompts, cached = batch_files(tmp_path)
    report = from_logs(out, format="batch-output", workers=1)
    assert report.input_source == "billed"
    uncached = prompts - cached
    assert [report.input_tokens.p5, report.input_tokens.p95] == list(
        np.percentile(uncached, [5, 95]))
    assert report.system_prompt_tokens == round(cached.mean())
    assert report.prompt_tokens.mean == pytest.approx(prompts.mean())
    assert report.chat_overhead_tokens == 0
    assert report.output_tokens.p50 == np.percentile(outputs, 50)


def test_forced_format_refuses_other_shapes(tmp_path):
    inp, *_ = batch_files(tmp_path)
    report = from_logs(inp, format="batch-output", workers=1)
    assert report.n_requests == 0 and report.n_errors == 41
    assert "not a Batch API output line" in report.errors[0].message


# ---- usage CSV --------------------------------------------------------------------------------

def test_usage_csv_with_aliases_and_bad_rows(tmp_path):
    rng = random.Random(3)
    path = tmp_path / "usage.csv"
    prompts, completions, cached, months = [], [], [], []
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["startTime", "Model", "Input Tokens", "output_tokens", "cached_tokens"])
        for i in range(500):
            t = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=7 * i)
            p, c, o = rng.randint(10, 5000), rng.randint(0, 5), rng.randint(0, 900)
            w.writerow([t.isoformat(), "gpt-4.1", p, o, c])
            prompts.append(p)
            completions.append(o)
            cached.append(c)
            months.append(t.strftime("%Y-%m"))
        w.writerow(["2026-03-01", "gpt-4.1", "many", 3, 0])
        w.writerow(["not a date", "gpt-4.1", 3, 3, 0])
        w.writerow(["2026-03-01"])
    report = from_logs(path, workers=1)
    assert report.formats == {str(path): "usage-csv"}
    assert report.n_requests == 500 and report.n_errors == 3
    assert [e.line for e in report.errors] == [502, 503, 504]
    uncached = np.array(prompts) - np.array(cached)
    assert [report.input_tokens.p5, report.input_tokens.p50, report.input_tokens.p95] == list(
        np.percentile(uncached, [5, 50, 95]))
    assert report.output_tokens.mean == pytest.approx(np.mean(completions))
    assert dict(zip(report.months.month, report.months.requests)) == {
        m: months.count(m) for m in sorted(set(months))}
    assert report.models_seen == {"gpt-4.1": 500}


def test_usage_csv_without_token_columns_is_refused(tmp_path):
    path = tmp_path / "usage.csv"
    path.write_text("timestamp,tokens\n2026-01-01,3\n")
    with pytest.raises(InputError, match="no prompt_tokens or completion_tokens column"):
        from_logs(path)


# ---- into the model -----------------------------------------------------------------------------

def test_to_scenario_writes_a_scenario_that_simulates(chat, tmp_path):
    path, (users, outputs, _, _) = chat
    report = from_logs(path, workers=1)
    scenario = report.to_scenario()
    assert scenario.workload.input_tokens == round(users.mean(), 1)
    assert scenario.workload.output_tokens == round(outputs.mean(), 1)
    assert scenario.prompt.system_prompt_tokens == n_tokens(SYSTEM)
    assert scenario.prompt.model == "gpt-4.1"
    assert scenario.workload.requests_per_month == report.requests_per_month
    saved = load_scenario(save_scenario(scenario, tmp_path / "s.toml"))
    assert saved == scenario
    result = simulate(saved)
    assert set(result.summary.option) == set(scenario.simulated_options)


def test_distributions_feed_monte_carlo(chat):
    path, (users, _, _, _) = chat
    report = from_logs(path, workers=1)
    scenario = report.to_scenario()
    mc = monte_carlo(scenario, report.distributions(), n=300, seed=0)
    drawn = mc.draws["workload.input_tokens"]
    assert set(drawn) <= set(users.astype(float))
    assert report.distributions()["workload.input_tokens"].center == pytest.approx(users.mean())


def test_estimated_model_scales_text_and_says_so(chat):
    path, (users, _, _, _) = chat
    report = from_logs(path, model="claude-sonnet-4-5", workers=1)
    assert not report.exact and "claude" in report.note
    factor = float(report.note.split("×")[1].split()[0])
    assert report.input_tokens.mean == pytest.approx(np.rint(users * factor).mean())
    assert report.system_prompt_tokens == round(n_tokens(SYSTEM) * factor)


@pytest.mark.parametrize("kwargs, message", [
    ({"format": "jsonl"}, "format: must be 'auto' or one of"),
    ({"workers": 0}, "workers: must be a whole number"),
    ({"chunk_bytes": 0}, "chunk_bytes"),
])
def test_bad_arguments(chat, kwargs, message):
    path, _ = chat
    with pytest.raises(InputError, match=message):
        from_logs(path, **kwargs)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        from_logs(tmp_path / "nope.jsonl")


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_this_process_and_its_workers_share_the_ranges(chat, monkeypatch, start):
    """workers=3: this process scans from the end while two workers (forked, or spawned as
    in a threaded host) scan from the start; same report, progress reaches the whole file."""
    import multiprocessing

    from simulator.traffic import logscan

    if start not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {start} here")
    monkeypatch.setattr(logscan, "_start_context", lambda: multiprocessing.get_context(start))
    path, _ = chat
    one = from_logs(path, workers=1)
    seen = []
    many = from_logs(path, workers=3, chunk_bytes=20_000,
                     progress=lambda done, total: seen.append((done, total)))
    assert many.summary() == one.summary() and many.errors == one.errors
    assert many.months.equals(one.months)
    assert np.array_equal(many.input_tokens.counts, one.input_tokens.counts)
    assert seen[-1][0] == seen[-1][1] == path.stat().st_size
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


# ---- prompt caching, reasoning tokens and sampled logs (issue 17) ------------------------------

DATA = __import__("pathlib").Path(__file__).parents[1] / "data"


def test_usage_csv_keeps_caching_and_reasoning_and_its_monthly_bill(tmp_path):
    # tests/data/usage_cached.csv, by hand: prompt, completion, cached, reasoning per row
    rows = [(3000, 300, 2560, 200), (3100, 150, 2560, 0), (2900, 250, 2560, 100),
            (3000, 100, 0, 0)]
    report = from_logs(DATA / "usage_cached.csv", workers=1, sample_rate=0.0001)
    assert report.input_source == "billed"
    assert report.system_prompt_tokens == 1920            # mean cached: (3 × 2560 + 0) / 4
    assert report.cached_share == 1.0 and report.cache_write_share == 0.0
    assert report.input_tokens.mean == (440 + 540 + 340 + 3000) / 4   # prompt − cached
    assert report.output_tokens.mean == (100 + 150 + 150 + 100) / 4   # completion − reasoning
    assert report.reasoning_tokens.mean == (200 + 0 + 100 + 0) / 4
    assert report.requests_per_month == 4 / 0.0001        # September, complete, ÷ the rate
    values = report.scenario_values()
    assert values["prompt.cached_share"] == 1.0 and values["prompt.reasoning_tokens"] == 75.0

    # The scenario bills what the provider billed: each row's uncached prompt at 2.00, its
    # cached tokens at 0.50 and its whole completion (reasoning included) at 8.00 per 1M.
    bill = sum((p - c) * 2.0 + c * 0.5 + o * 8.0 for p, o, c, _ in rows) / 4 / 1e6
    assert bill == pytest.approx(0.00472)
    base = load_scenario_text(
        'options = ["prompt"]\n[prompt]\nmodel = "gpt-4.1"\ninput_usd_per_mtok = 2.0\n'
        'cached_input_usd_per_mtok = 0.5\noutput_usd_per_mtok = 8.0\nbatch_discount = 0.5\n')
    result = simulate(report.to_scenario(base))
    m = result.monthly
    month1 = m[(m.option == "prompt") & (m.month == 1) & (m.component == "inference")]
    assert float(month1.cost_usd.iloc[0]) == pytest.approx(40_000 * bill)   # $188.80 a month
    # Before: cached tokens at the full rate and no reasoning, (1920 + 1080) × 2 + 125 × 8.
    assert 40_000 * (3000 * 2.0 + 125 * 8.0) / 1e6 == pytest.approx(280.0)


def load_scenario_text(text: str):
    import tomllib

    from simulator import Scenario

    return Scenario.from_dict(tomllib.loads(text))


def openai_cached_log(path, cached: list[int], reasoning: list[int]):
    """Chat requests (the test's system + few-shot + a user ticket) with OpenAI usage."""
    with open(path, "w", encoding="utf-8") as fh:
        for i, (c, r) in enumerate(zip(cached, reasoning)):
            record = {"timestamp": (START + timedelta(hours=i)).isoformat(), "model": "gpt-4o",
                      "messages": [{"role": "system", "content": SYSTEM}, *FEWSHOT,
                                   {"role": "user", "content": f"Ticket {i}: refund"}],
                      "usage": {"prompt_tokens": 2000, "completion_tokens": 30 + r,
                                "prompt_tokens_details": {"cached_tokens": c},
                                "completion_tokens_details": {"reasoning_tokens": r}}}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def test_chat_log_cached_share_of_the_counted_prefix(tmp_path):
    static = n_tokens(SYSTEM) + sum(n_tokens(m["content"]) for m in FEWSHOT)
    block = static // 128 * 128                    # OpenAI caches whole 128-token blocks
    cached = [block] * 22 + [0] * 3                # 22 of 25 requests hit the cache (88%)
    reasoning = [0, 64, 128, 256, 64] * 5
    path = tmp_path / "cached.jsonl"
    openai_cached_log(path, cached, reasoning)
    report = from_logs(path, workers=1)
    assert report.system_prompt_tokens + report.fewshot_tokens == static
    assert report.cached_share == pytest.approx(22 * block / 25 / static)
    assert report.cache_write_share == 0.0
    assert report.reasoning_tokens.mean == pytest.approx(np.mean(reasoning))
    assert report.output_tokens.mean == 30              # completion less reasoning
    scenario = report.to_scenario()
    assert scenario.prompt.cached_share == round(22 * block / 25 / static, 4)
    assert scenario.prompt.reasoning_tokens == round(float(np.mean(reasoning)), 1)


def test_anthropic_usage_cache_reads_and_writes_come_on_top_of_input(tmp_path):
    static = n_tokens(SYSTEM) + sum(n_tokens(m["content"]) for m in FEWSHOT)
    reads = [static, 0, static, static]
    writes = [0, static, 0, 0]
    path = tmp_path / "anthropic.jsonl"
    path.write_text("".join(json.dumps({
        "timestamp": (START + timedelta(minutes=i)).isoformat(),
        "request": {"model": "claude-sonnet-4-5", "system": SYSTEM,
                    "messages": [*FEWSHOT, {"role": "user", "content": "refund"}]},
        "response": {"usage": {"input_tokens": 40, "output_tokens": 5,
                               "cache_read_input_tokens": r,
                               "cache_creation_input_tokens": w}}}) + "\n"
        for i, (r, w) in enumerate(zip(reads, writes))), encoding="utf-8")
    report = from_logs(path, workers=1, model="gpt-4o")
    assert report.system_prompt_tokens == n_tokens(SYSTEM)   # Anthropic's system field read
    assert report.cached_share == pytest.approx(0.75)        # 3 of 4 requests read the prefix
    assert report.cache_write_share == pytest.approx(0.25)   # the fourth wrote it


def test_anthropic_usage_csv_counts_the_cache_on_top(tmp_path):
    path = tmp_path / "anthropic.csv"
    path.write_text("created_at,input_tokens,output_tokens,cache_read_input_tokens,"
                    "cache_creation_input_tokens\n"
                    "2026-09-01T00:00:00Z,100,10,0,1000\n"
                    "2026-09-01T00:01:00Z,120,10,1000,0\n"
                    "2026-09-01T00:02:00Z,80,10,1000,0\n"
                    "2026-09-01T00:03:00Z,100,10,1000,0\n")
    report = from_logs(path, workers=1)
    assert report.prompt_tokens.mean == 100 + 1000           # input + read + written
    assert report.input_tokens.mean == 100                   # what is neither read nor written
    assert report.system_prompt_tokens == 1000
    assert report.cached_share == 0.75 and report.cache_write_share == 0.25


def test_cached_or_reasoning_tokens_above_their_total_are_bad_lines(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}],
                                "usage": {"prompt_tokens": 10, "completion_tokens": 2,
                                          "prompt_tokens_details": {"cached_tokens": 50}}})
                    + "\n" + json.dumps({"messages": [{"role": "user", "content": "hi"}],
                                         "usage": {"prompt_tokens": 10, "completion_tokens": 2,
                                                   "completion_tokens_details":
                                                       {"reasoning_tokens": 5}}}) + "\n")
    report = from_logs(path, workers=1)
    assert [str(e).split(": ", 1)[1] for e in report.errors] == [
        "usage: cached tokens 50 exceed prompt_tokens 10",
        "usage: reasoning_tokens 5 exceed completion_tokens 2"]


@pytest.fixture(scope="module")
def chat_report(chat):
    return from_logs(chat[0], workers=1)


def test_logs_without_cache_counts_leave_the_scenario_s_share(chat_report):
    assert chat_report.cached_share is None                 # usage without cached tokens
    assert "prompt.cached_share" not in chat_report.scenario_values()


def test_sample_rate_scales_the_volume_only(chat, chat_report):
    report = chat_report
    sampled = from_logs(chat[0], workers=1, sample_rate=0.01)
    assert sampled.requests_per_month == pytest.approx(report.requests_per_month / 0.01)
    assert sampled.growth_per_month == report.growth_per_month
    assert sampled.input_tokens.mean == report.input_tokens.mean
    assert sampled.months.requests_full.tolist() == pytest.approx(
        (report.months.requests / 0.01).tolist())
    assert any("1% sample" in n for n in sampled.notes)


@pytest.mark.parametrize("rate", [0, -0.5, 1.5, float("nan"), "1%", True])
def test_sample_rate_outside_0_1_is_refused(chat, rate):
    with pytest.raises(InputError, match=r"sample_rate: must be a share in \(0, 1\]"):
        from_logs(chat[0], workers=1, sample_rate=rate)


def test_edit_toml_keeps_comments_and_places_fields():
    from simulator.traffic.workload import edit_toml

    text = ('title = "a # b"   # the label\n'
            "[workload]\n"
            "requests_per_month = 5     # volume (assumption)\n"
            "# chat_overhead_tokens = 11  # default: the rule\n"
            "                             # continued\n"
            "\n[prompt]\n"
            'system_prompt = "long"   # text\n')
    out = edit_toml(text, {"title": "c", "workload.requests_per_month": 60000.0,
                           "workload.chat_overhead_tokens": 107.0,
                           "workload.input_tokens": 12.5, "prompt.system_prompt": None,
                           "prompt.system_prompt_tokens": 300, "finetune.reasoning_tokens": 0})
    assert out.splitlines() == [
        'title = "c"       # the label',          # the comment stays in its column
        "[workload]",
        "requests_per_month = 60000  # volume (from the logs)",
        "chat_overhead_tokens = 107   # default: the rule",
        "                             # continued",
        "input_tokens = 12.5   # from the logs",
        "",
        "[prompt]",
        '# system_prompt = "long"   # text',
        "system_prompt_tokens = 300   # from the logs",
        "",
        "[finetune]",
        "reasoning_tokens = 0   # from the logs",
    ]


def test_progress_counts_a_range_that_finishes_between_two_looks(monkeypatch):
    """A worker's range that is not done when this process counts the finished ones, but is
    done a moment later when the partials are handed on, still counts towards the progress:
    the last call reports the whole file (it stopped short by that range's bytes)."""
    import concurrent.futures

    from simulator.traffic import logscan

    class Future:
        def __init__(self, value, looks_until_done):
            self.value, self.looks = value, looks_until_done

        def cancel(self):
            return self.looks > 0               # not started yet: this process takes it

        def done(self):
            self.looks -= 1
            return self.looks < 0

        def result(self):
            return self.value

    class Pool:
        def __init__(self, *args, **kwargs):
            self.futures = []

        def submit(self, fn, task):
            # task 0 is done at its second look; tasks 1 and 2 are left to this process
            future = Future(task.start, 1 if task.start == 0 else 10)
            if task.start == 0:
                future.cancel = lambda: False   # a worker has it
            self.futures.append(future)
            return future

        def shutdown(self, **kwargs):
            pass

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(logscan, "_warm", lambda model: None)
    monkeypatch.setattr(logscan, "scan_range", lambda task: task.start)
    tasks = [logscan.Task(path="x", fmt="auto", start=a, end=a + 100, model="gpt-4o")
             for a in (0, 100, 200)]
    seen = []
    parts = list(logscan.run_tasks(tasks, workers=2,
                                   progress=lambda done, total: seen.append((done, total))))
    assert parts == [0, 100, 200]
    assert seen[-1] == (300, 300)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
