"""Hostile command lines and scenario files (issue 21): far dates, NaN sizes, huge worker
counts, embedding models where a chat model belongs, nonsense training lines, binary input.

Each is refused with one line naming the field and the allowed range, exit 2, or works.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import date, datetime

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import fuzz_examples, hostile_text, pinned

from simulator import Scenario, monte_carlo
from simulator.cli.main import main
from simulator.core.errors import InputError
from simulator.model.scenario import example_scenario, example_scenario_text, load_scenario
from simulator.model.uncertainty import Triangular
from simulator.tokens import tokens


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_refusal(code, err, *words):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "unexpected" not in err and "Traceback" not in err, err
    for w in words:
        assert w in err, err


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps({"timestamp": "2026-10-01T00:00:00", "model": "gpt-4o",
                                "messages": [{"role": "user", "content": "hi"}]}) + "\n")
    return path


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "1e9"])
def test_chunk_mb_outside_its_range_is_one_line(capsys, log, value):
    code, _, err = run(capsys, "workload", log, "--no-progress", f"--chunk-mb={value}")
    one_line_refusal(code, err, "--chunk-mb", "1,024 megabytes")


def test_workers_are_capped(capsys, log):
    from simulator.traffic.workload import max_workers

    code, _, err = run(capsys, "workload", log, "--no-progress", "--workers", "10000")
    one_line_refusal(code, err, "--workers", f"from 1 to {max_workers()}", "10,000")


def scenario_file(tmp_path, name="s.toml", **top):
    text = example_scenario_text()
    extra = "".join(f"{k} = {v}\n" for k, v in top.items())
    path = tmp_path / name
    path.write_text(extra + text)
    return path


@pytest.mark.parametrize("as_of", ["9999-06-01", "1999-12-31", "2101-01-01", "0001-01-01"])
def test_as_of_outside_the_calendar_is_one_line(tmp_path, capsys, as_of):
    code, _, err = run(capsys, "simulate", scenario_file(tmp_path, as_of=as_of))
    one_line_refusal(code, err, "as_of", "2000-01-01 to 2100-12-31")
    code, _, err = run(capsys, "simulate", scenario_file(tmp_path, "t.toml"), f"--as-of={as_of}")
    one_line_refusal(code, err, "--as-of", "2000-01-01 to 2100-12-31")
    with pytest.raises(InputError, match="2100-12-31"):
        example_scenario().with_values(as_of=date.fromisoformat(as_of))


def test_as_of_as_a_toml_datetime_takes_its_day(tmp_path):
    path = scenario_file(tmp_path, as_of="2026-11-23T10:00:00")
    assert load_scenario(path).as_of == date(2026, 11, 23)
    assert example_scenario().with_values(as_of=datetime(2030, 1, 2, 23, 59)).as_of == \
        date(2030, 1, 2)
    with pytest.raises(InputError, match="as_of: expected a date"):
        example_scenario().with_values(as_of=12)


def test_the_latest_as_of_and_the_longest_horizon_run(tmp_path, capsys):
    code, _, err = run(capsys, "simulate",
                       scenario_file(tmp_path, as_of="2100-12-31"))
    assert code == 0, err


def test_an_embedding_model_is_not_a_prompted_model(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(example_scenario_text().replace('model = "gpt-6.1-terra"',
                                                    'model = "text-embedding-3-small"', 1))
    code, _, err = run(capsys, "simulate", path)
    one_line_refusal(code, err, "prompt.model", "embedding model", "chat model")


def test_a_lifecycle_row_naming_an_embedding_successor_is_refused(tmp_path, capsys):
    rows = tmp_path / "lifecycle.csv"
    rows.write_text(
        "kind,provider,model,status,announced_on,training_ends,serving_ends,successor,"
        "source_url,checked_on,comment\n"
        "inference,openai,gpt-6.1-terra,deprecated,2026-01-01,,2027-03-01,"
        "openai/text-embedding-3-small,https://example.com,2026-11-23,test\n")
    code, _, err = run(capsys, "simulate", scenario_file(tmp_path, as_of="2026-12-01"),
                       "--prices", rows)
    one_line_refusal(code, err, "successor", "openai/text-embedding-3-small",
                     "embedding model")


@pytest.mark.parametrize("line,words", [
    ({"messages": [{"role": "user", "content": [1, 2, 3]},
                   {"role": "assistant", "content": "ok"}]}, "content[0] must be text"),
    ({"messages": [{"role": "user", "content": "hi"},
                   {"role": "assistant", "content": "ok", "weight": True}]}, "'weight'"),
])
def test_training_lines_that_are_not_examples_are_bad_lines(line, words):
    report = tokens.analyze_dataset([line], "gpt-4o-mini")
    assert report.n_examples == 0 and report.n_errors == 1
    assert words in report.errors[0].message


@pytest.mark.parametrize("kwargs,words", [({"epochs": True}, "epochs"),
                                          ({"max_tokens_per_example": True}, "at least 1")])
def test_true_is_not_a_number_of_epochs(kwargs, words):
    line = {"messages": [{"role": "user", "content": "hi"},
                         {"role": "assistant", "content": "ok"}]}
    with pytest.raises(InputError, match=words):
        tokens.analyze_dataset([line], "gpt-4o-mini", **kwargs)
    data = pinned(example_scenario().to_dict())
    data["finetune"]["epochs"] = True
    with pytest.raises(InputError, match="finetune.epochs"):
        Scenario.from_dict(data)


def test_a_list_of_integers_as_the_dataset_is_bad_lines():
    report = tokens.analyze_dataset([1, 2, 3], "gpt-4o-mini")
    assert report.n_examples == 0 and report.n_errors == 3
    assert "expected an example" in report.errors[0].message


@pytest.mark.parametrize("seed,words", [(-1, "from 0 to 2\\*\\*128"), (2**200, "from 0"),
                                        (True, "must be an int")])
def test_seed_outside_its_range_is_one_line(seed, words):
    with pytest.raises(InputError, match=words):
        monte_carlo(example_scenario(), {"workload.requests_per_month":
                                         Triangular(low=1, mode=2, high=3)}, n=10, seed=seed)


class BinaryStdin:
    def __init__(self, data: bytes):
        self.buffer = io.BytesIO(data)


@pytest.mark.parametrize("data,words", [(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),
                                         "standard input"),
                                        (b"abc\x00def", "a binary file, not text")])
def test_a_binary_file_on_standard_input_is_not_text(capsys, monkeypatch, data, words):
    monkeypatch.setattr(sys, "stdin", BinaryStdin(data))
    code, _, err = run(capsys, "tokens", "-", "--model", "gpt-4o")
    one_line_refusal(code, err, words)


def test_utf8_on_standard_input_is_counted(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", BinaryStdin("héllo wörld".encode()))
    code, out, _ = run(capsys, "tokens", "-", "--model", "gpt-4o")
    assert code == 0 and "tokens (gpt-4o" in out


def test_a_long_report_with_steep_growth_is_bounded(tmp_path, capsys):
    """120 months at 19% growth a month with self-hosting: once 60 s and 2.7 GB in the
    break-even volume search; the replica steps are now capped (limits.MAX_REPLICA_STEPS)."""
    import time

    from simulator import simulate

    s = example_scenario().with_values(**{"horizon_months": 120,
                                          "workload.growth_per_month": 0.19,
                                          "options": ["prompt", "finetune", "selfhost"]})
    simulate(example_scenario())  # tables and tokenizer loaded
    started = time.perf_counter()
    result = simulate(s)
    assert time.perf_counter() - started < 10
    assert len(result.summary) == 3


# ---- fuzz -------------------------------------------------------------------------------

workload_args = st.lists(st.one_of(
    st.sampled_from(["--workers", "--chunk-mb", "--format", "--model", "--engine",
                     "--scheduler", "--to-scenario", "--base"]),
    st.sampled_from(["nan", "inf", "-1", "0", "10000", "1e400", "auto", "dask", "usage-csv",
                     "s3://b/x", "zip://x::y.zip", "-", ""]),
    hostile_text.filter(lambda t: "\x00" not in t and not t.startswith("-"))), max_size=5)


@settings(max_examples=fuzz_examples(25), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(workload_args)
def test_fuzz_workload_arguments(capsys, log, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)  # --to-scenario writes here, never into the repository
    try:
        code = main(["workload", str(log), "--no-progress", *args])
    except SystemExit as exc:  # argparse's own usage error
        assert exc.code == 2
        capsys.readouterr()
        return
    _, err = capsys.readouterr()
    assert code in (0, 2), err
    assert "unexpected" not in err and "Traceback" not in err, err
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err


def test_a_file_name_with_a_line_break_is_refused_in_one_line(capsys, log, tmp_path,
                                                              monkeypatch):
    """A refusal that quotes a file name holding a line break stays one line, the break
    shown as ``\\n`` (found by the workload fuzz test: ``--to-scenario "\\n"``)."""
    monkeypatch.chdir(tmp_path)
    code = main(["workload", str(log), "--no-progress", "--to-scenario", "a\nb"])
    _, err = capsys.readouterr()
    one_line_refusal(code, err, "a\\nb", ".toml or .json")


toml_values = st.one_of(
    st.dates(), st.datetimes(), st.times(), st.integers(), st.floats(allow_nan=False),
    st.booleans(), hostile_text.filter(lambda t: "\x00" not in t and "\ud800" not in t),
    st.lists(st.integers(), max_size=3))


@settings(max_examples=fuzz_examples(60), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["as_of", "horizon_months", "title", "discount_rate",
                                        "options", "baseline"]), toml_values, max_size=3),
       st.dictionaries(st.sampled_from(["model", "successor", "provider", "system_prompt",
                                        "fewshot_tokens"]), toml_values, max_size=2))
def test_fuzz_scenario_toml_loads_or_says_which_field(tmp_path, top, prompt):
    data = example_scenario().to_dict()
    data.update(top)
    data["prompt"] = {**data["prompt"], **prompt}
    path = tmp_path / "fuzz.toml"
    try:
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
    except (TypeError, ValueError):
        return  # not representable in TOML
    try:
        scenario = load_scenario(path)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    if scenario.as_of is not None:
        assert date(2000, 1, 1) <= scenario.as_of <= date(2100, 12, 31)
        assert type(scenario.as_of) is date


def test_every_cap_the_limits_page_names_is_in_limits_py():
    import re
    from pathlib import Path

    from simulator.core import limits

    page = (Path(__file__).resolve().parents[2] / "docs" / "limits.md").read_text()
    names = set(re.findall(r"`([A-Z][A-Z_]+)`", page))
    assert {"MAX_WORKERS", "MAX_CHUNK_MB", "MAX_REQUEST_TOKENS", "LOG_GAP_DAYS",
            "MAX_PRICE_CACHE_BYTES", "MAX_REPLICA_STEPS", "LATEST_AS_OF"} <= names
    assert [n for n in names if not hasattr(limits, n)] == []
    assert "[docs/limits.md](docs/limits.md)" in (
        Path(__file__).resolve().parents[2] / "README.md").read_text()
