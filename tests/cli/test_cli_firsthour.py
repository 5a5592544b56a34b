"""A newcomer's first hour with the command line: --version, a --help that names --model and
--provider, reports written by ``simulate``, and one line with exit status 2 for every bad
input."""

from __future__ import annotations

import csv
import json
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import tomli_w
from strategies import pinned

from simulator.cli.main import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
from simulator.core.wording import NEVER, SINGLE_ESTIMATE_CLI, SINGLE_ESTIMATE_PYTHON
from simulator.model.scenario import example_scenario_text


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err and "[Errno" not in err


@pytest.fixture
def scenario_file(tmp_path):
    """The example with two options and every rate pinned (no shipped prices in tests)."""
    data = pinned(tomllib.loads(example_scenario_text()))
    data["options"] = ["prompt", "finetune"]
    data["as_of"] = "2026-11-23"
    path = tmp_path / "scenario.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"ftroi {metadata.version('ftroi')}"


def test_help_names_model_and_provider_and_the_report(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--model" in out and "--provider" in out and "--report report.html" in out
    assert "--vary" in out


def test_simulate_writes_the_html_report_and_names_vary(scenario_file, tmp_path, capsys):
    report = tmp_path / "report.html"
    code, out, _ = run(capsys, "simulate", str(scenario_file), "--report", str(report))
    assert code == 0
    assert f"wrote {report}" in out
    assert SINGLE_ESTIMATE_CLI in out and SINGLE_ESTIMATE_PYTHON not in out
    text = report.read_text()
    assert text.startswith("<!DOCTYPE html>") and text.count("Plotly.newPlot(") == 4


def test_printed_title_line_follows_the_models(scenario_file, tmp_path, capsys):
    data = tomllib.loads(scenario_file.read_text())
    data["prompt"]["model"] = "gpt-4o"
    data["finetune"].update(provider="openai", model="gpt-4o-mini")
    changed = tmp_path / "changed.toml"
    changed.write_text(tomli_w.dumps(data))
    code, out, _ = run(capsys, "simulate", str(changed))
    assert code == 0
    assert ("Compared over 24 months: prompt (gpt-4o, baseline) · finetune (openai "
            "gpt-4o-mini)") in out


def test_csv_with_vary_exports_the_monte_carlo(scenario_file, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, _ = run(capsys, "simulate", str(scenario_file), "--csv", str(out_dir),
                       "--vary", "workload.requests_per_month=100:60000:200000",
                       "--draws", "300", "--seed", "4")
    assert code == 0
    for name in ("montecarlo_summary", "montecarlo_percentiles", "montecarlo_draws"):
        assert (out_dir / f"{name}.csv").exists(), name
    with open(out_dir / "montecarlo_draws.csv", newline="") as fh:
        draws = list(csv.DictReader(fh))
    assert len(draws) == 300
    share = sum(float(r["finetune_savings_usd"]) > 0 for r in draws) / 300
    with open(out_dir / "montecarlo_summary.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["option"] == "finetune" and float(row["p_cheaper"]) == pytest.approx(share, abs=1e-4)
    assert "<NA>" not in out                            # the console table says "never"


def test_monte_carlo_console_table_spells_never(scenario_file, capsys):
    # fine-tuning never pays back at tiny volumes: the break-even percentiles say so
    code, out, _ = run(capsys, "simulate", str(scenario_file), "--vary",
                       "workload.requests_per_month=10:50:100", "--draws", "200")
    assert code == 0
    table = out.split("Monte Carlo, 200 draws")[1]
    assert NEVER in table and "<NA>" not in table


def test_dataset_directory_and_empty_file(tmp_path, capsys):
    code, _, err = run(capsys, "dataset", str(tmp_path), "--model", "gpt-4.1-mini")
    assert code == 2 and one_line(err)
    assert f"{tmp_path}: is a directory, not a file" in err
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n")
    code, out, err = run(capsys, "dataset", str(empty), "--model", "gpt-4.1-mini")
    assert code == 2 and one_line(err)
    assert "the file is empty: no training examples" in err and "bad line" not in err + out


@pytest.mark.parametrize("flag", ["--csv", "--report", "--xlsx"])
def test_unwritable_output_is_one_clean_line(scenario_file, capsys, flag):
    target = "/proc/nope" if flag == "--csv" else "/proc/nope/report.out"
    code, _, err = run(capsys, "simulate", str(scenario_file), flag, target)
    assert code == 2 and one_line(err)
    assert f"{flag}: cannot write {target}: no such file or directory" in err


def test_prices_unknown_provider_exits_2(capsys):
    code, out, err = run(capsys, "prices", "--provider", "nobody")
    assert code == 2 and one_line(err) and out == ""
    assert "--provider: no provider 'nobody' in the price table; known: " in err
    assert "openai" in err


def test_prices_finetune_shows_the_limit_dataset_applies(capsys):
    from simulator.tokens.tokens import model_example_limit

    code, out, _ = run(capsys, "prices", "--finetune", "--provider", "openai", "--wide")
    assert code == 0
    assert "NaN" not in out and "None" not in out
    row = next(ln for ln in out.splitlines() if ln.split()[:2] == ["openai", "gpt-4.1-mini"])
    assert f"{model_example_limit('gpt-4.1-mini')}" in row
    if f"{model_example_limit('gpt-4.1-mini')}*" in row:
        assert "* max_tokens_per_example not listed for this offering" in out


@pytest.mark.parametrize("argv, message", [
    (["tokens", "p.txt"], "the following arguments are required: --model"),
    (["simulate"], "the following arguments are required: scenario"),
    (["nonsense"], "invalid choice: 'nonsense'"),
    (["simulate", "s.toml", "--draws", "many"], "argument --draws: invalid int value"),
])
def test_usage_errors_are_one_line_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert one_line(err) and message in err and "--help" in err


def test_simulate_json_scenario_still_reruns(scenario_file, tmp_path, capsys):
    # the scenario.json written with --csv reruns to the same summary
    out_dir = tmp_path / "o"
    assert run(capsys, "simulate", str(scenario_file), "--csv", str(out_dir))[0] == 0
    first = (out_dir / "summary.csv").read_text()
    again = tmp_path / "again.json"
    again.write_text(json.dumps(json.loads((out_dir / "scenario.json").read_text())))
    assert run(capsys, "simulate", str(again), "--csv", str(tmp_path / "o2"))[0] == 0
    assert (tmp_path / "o2" / "summary.csv").read_text() == first


def test_simulate_uses_the_valid_lines_of_a_training_file_and_says_how_many_left_out(
        scenario_file, tmp_path, capsys):
    from simulator import load_scenario, simulate
    from simulator.tokens.tokens import analyze_dataset

    good = [{"messages": [{"role": "system", "content": "Sort the ticket."},
                          {"role": "user", "content": f"ticket number {i} about billing"},
                          {"role": "assistant", "content": "billing"}]} for i in range(30)]
    lines = [json.dumps(g) for g in good]
    lines[3] = "{not json"
    lines[10] = json.dumps({"messages": [{"role": "user", "content": "no answer"}]})
    (tmp_path / "train.jsonl").write_text("\n".join(lines) + "\n")
    data = tomllib.loads(scenario_file.read_text())
    data["finetune"].update(dataset="train.jsonl", epochs=3, provider="openai",
                            model="gpt-4.1-mini", retrain_every_months=0)
    data["finetune"].pop("examples", None)
    data["finetune"].pop("tokens_per_example", None)
    path = tmp_path / "with_data.toml"
    path.write_text(tomli_w.dumps(data))
    code, out, err = run(capsys, "simulate", str(path))
    assert code == 0, err
    assert "note: finetune.dataset: 2 bad line(s) left out (first: line 4" in out
    assert "28 examples" in out
    # the training run is priced on the 28 valid examples only, counted independently
    valid = tmp_path / "valid.jsonl"
    valid.write_text("\n".join(ln for i, ln in enumerate(lines) if i not in (3, 10)) + "\n")
    report = analyze_dataset(valid, "gpt-4.1-mini", epochs=3, max_tokens_per_example=400)
    result = simulate(load_scenario(path))
    training = result.monthly.query("option == 'finetune' and component == 'training'")
    rate = data["finetune"]["train_usd_per_mtok"]
    assert training.cost_usd.sum() == pytest.approx(report.billed_training_tokens / 1e6 * rate)


def test_simulate_with_no_valid_training_line_exits_2(scenario_file, tmp_path, capsys):
    (tmp_path / "bad.jsonl").write_text("{oops\n[]\n")
    data = tomllib.loads(scenario_file.read_text())
    data["finetune"].update(dataset="bad.jsonl", provider="openai", model="gpt-4.1-mini")
    data["finetune"].pop("examples", None)
    data["finetune"].pop("tokens_per_example", None)
    path = tmp_path / "s.toml"
    path.write_text(tomli_w.dumps(data))
    code, _, err = run(capsys, "simulate", str(path))
    assert code == 2 and one_line(err)
    assert "no valid training examples (2 bad line(s); first: line 1" in err


def test_dataset_says_when_a_priced_offering_closes(capsys):
    """Pricing a training run on an offering that closes names the dates (first day without)."""
    code, out, _ = run(capsys, "dataset", str(EXAMPLES / "train.jsonl"), "--model", "gpt-4.1-mini")
    assert code == 0
    assert "note: openai gpt-4.1-mini fine-tuning: no new jobs from 2027-01-06" in out
    assert "stops serving from 2027-01-14" in out
    code, out, _ = run(capsys, "dataset", str(EXAMPLES / "train.jsonl"), "--model",
                       "amazon.nova-micro-v1:0")
    assert code == 0 and "note: aws" not in out
