"""The app's "Your traffic" upload: values from the logs, their caption, the histograms."""

from __future__ import annotations

import numpy as np
import pytest
from test_workload import chat_log

from simulator.app.traffic import (
    histogram_frame,
    report_from_upload,
    traffic_caption,
    widget_values,
)


@pytest.fixture(scope="module")
def upload(tmp_path_factory):
    path = tmp_path_factory.mktemp("upload") / "requests.jsonl"
    expected = chat_log(path, 800, seed=9, bad_every=400)
    return path.read_bytes(), expected


def test_upload_sets_the_workload_widgets(upload):
    data, (users, outputs, times, bad) = upload
    calls = []
    report = report_from_upload(data, "my logs/requests.jsonl",
                                progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (len(data), len(data))
    values = widget_values(report, numbers_mode=False)
    months = [t.strftime("%Y-%m") for t in times]
    assert values == {
        "workload.requests_per_month": months.count("2026-09"),
        "workload.growth_per_month": pytest.approx(100 * round(report.growth_per_month, 4)),
        "workload.input_tokens": round(users.mean()),
        "workload.output_tokens": round(outputs.mean()),
    }
    numbers = widget_values(report, numbers_mode=True)
    assert numbers["prompt.system_prompt_tokens"] == report.system_prompt_tokens
    assert numbers["prompt.fewshot_tokens"] == report.fewshot_tokens
    assert [str(e) for e in report.errors] == [f"requests.jsonl:{line}: {e.message}"
                                               for line, e in zip(bad, report.errors)]


def test_caption_says_the_values_came_from_the_logs(upload):
    data, (users, _, _, bad) = upload
    report = report_from_upload(data, "requests.jsonl")
    text = traffic_caption(report)
    assert text.startswith(f"From your logs (requests.jsonl: 800 requests, {len(bad)} bad lines")
    assert f"p50 {np.percentile(users, 50):,.0f}" in text
    assert "Static prefix shared by every request" in text


def test_histogram_counts_every_request(upload):
    data, (users, _, _, _) = upload
    report = report_from_upload(data, "requests.jsonl")
    frame = histogram_frame(report.input_tokens, bins=10)
    assert frame.requests.sum() == len(users)
    assert frame.tokens.iloc[0] == users.min()
    expected, _ = np.histogram(users, bins=np.append(frame.tokens.to_numpy(),
                                                     int(np.linspace(users.min(), users.max() + 1,
                                                                     11)[-1])))
    assert frame.requests.tolist() == expected.tolist()
    assert histogram_frame(None).empty


def test_cached_share_is_set_and_reasoning_named_in_the_caption():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    report = report_from_upload((root / "examples" / "usage.csv").read_bytes(), "usage.csv")
    values = widget_values(report, numbers_mode=False)
    assert values["prompt.cached_share"] == 100        # the widget is in percent
    text = traffic_caption(report)
    assert "Prompt cache: 100% of the static prefix billed as cached" in text
    assert f"Reasoning: {report.reasoning_tokens.mean:,.1f} hidden tokens" in text
    assert "The app has no field for prompt.reasoning_tokens = " in text
