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
from simulator.tokens import get_encoding
from simulator.workload import from_logs, percentile_from_counts

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

    from simulator import logscan

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
