"""``ftroi workload``: what it prints, the scenario it writes, exit codes."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from test_workload import chat_log

from simulator.cli.main import main
from simulator.cli.workload import StderrProgress
from simulator.model.scenario import load_scenario


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def table_row(out: str, label: str) -> list[float]:
    line = next(ln for ln in out.splitlines() if ln.strip().startswith(label))
    return [float(x.replace(",", "")) for x in line.split(label, 1)[1].split()]


def test_prints_numpy_percentiles_and_writes_a_scenario_simulate_runs(tmp_path, capsys):
    log = tmp_path / "requests.jsonl"
    users, outputs, _, bad = chat_log(log, 1500, seed=4, bad_every=500)
    scenario_path = tmp_path / "from_logs.toml"
    code, out, _ = run(capsys, "workload", log, "--to-scenario", scenario_path, "--workers", 1)
    assert code == 0
    requests, mean, p5, p50, p95, low, high = table_row(out, "input (user)")
    assert requests == 1500
    assert [p5, p50, p95] == pytest.approx(np.percentile(users, [5, 50, 95]), abs=0.05)
    assert mean == pytest.approx(users.mean(), abs=0.05)
    assert (low, high) == (users.min(), users.max())
    _, mean, p5, p50, p95, _, _ = table_row(out, "output")
    assert [p5, p50, p95] == pytest.approx(np.percentile(outputs, [5, 50, 95]), abs=0.05)
    assert f"{len(bad)} bad line(s), left out:" in out
    for line in bad:
        assert re.search(rf"requests\.jsonl:{line}: ", out)
    assert f"wrote {scenario_path}" in out

    text = scenario_path.read_text()
    assert text.startswith("# Workload measured by `ftroi workload`")
    scenario = load_scenario(scenario_path)
    assert scenario.workload.input_tokens == round(users.mean(), 1)
    code, out, _ = run(capsys, "simulate", scenario_path)
    assert code == 0 and "TCO" in out


def test_base_scenario_keeps_its_other_fields(tmp_path, capsys):
    log = tmp_path / "requests.jsonl"
    chat_log(log, 200, seed=5)
    base = tmp_path / "base.toml"
    base.write_text('title = "mine"\nhorizon_months = 7\n[workload]\nrequests_per_month = 5\n')
    out_path = tmp_path / "out.json"
    code, _, _ = run(capsys, "workload", log, "--base", base, "--to-scenario", out_path)
    assert code == 0
    scenario = load_scenario(out_path)
    assert scenario.horizon_months == 7
    assert scenario.title == "mine (workload from logs)"
    assert scenario.workload.requests_per_month != 5


def test_only_bad_lines_exit_2_after_listing_them(tmp_path, capsys):
    log = tmp_path / "broken.jsonl"
    log.write_text("{nope\n[1, 2]\n")
    code, out, err = run(capsys, "workload", log)
    assert code == 2
    assert "broken.jsonl:1: invalid JSON" in out and "broken.jsonl:2: expected a JSON object" in out
    assert err.startswith("ftroi workload: error: no valid request in")


def test_missing_file_and_bad_scenario_suffix(tmp_path, capsys):
    code, _, err = run(capsys, "workload", tmp_path / "nope.jsonl")
    assert code == 2 and "no such file" in err
    log = tmp_path / "requests.jsonl"
    chat_log(log, 20)
    code, _, err = run(capsys, "workload", log, "--to-scenario", tmp_path / "s.yaml")
    assert code == 2 and "must end in .toml or .json" in err


def test_progress_line_without_tqdm(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name == "tqdm":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    stream = io.StringIO()
    progress = StderrProgress(stream, "reading")
    progress(50_000_000, 200_000_000)
    progress(200_000_000, 200_000_000)
    progress.close()
    text = stream.getvalue()
    assert "\rreading:  25% of 200 MB" in text and "\rreading: 100% of 200 MB" in text
    assert text.endswith("\n")


# ---- caching, reasoning, sample rate, comments kept (issue 17) ---------------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def test_to_scenario_keeps_the_example_s_comments_and_each_road_s_chat_overhead(
        tmp_path, capsys):
    from simulator.model.resolve import chat_overhead, resolve
    from simulator.model.scenario import example_scenario, example_scenario_text
    from simulator.traffic.workload import from_logs

    path = tmp_path / "from_logs.toml"
    code, out, _ = run(capsys, "workload", ROOT / "examples" / "requests.jsonl",
                       "--sample-rate", "0.00025", "--to-scenario", path, "--workers", 1)
    assert code == 0
    text = path.read_text()
    comments = [re.sub(r"^# \w+ = ", "", ln).split("#", 1)[1]   # a commented-out field's own
                for ln in example_scenario_text().splitlines()     # comment, after its value
                if "#" in ln and "title" not in ln]
    for comment in comments:          # every comment of the example, in place
        assert comment in text or comment.replace("(assumption)", "(from the logs)") in text
    assert "# Workload measured by `ftroi workload`" in text
    scenario = load_scenario(path)
    report = from_logs(ROOT / "examples" / "requests.jsonl", workers=1, sample_rate=0.00025)
    assert scenario == report.to_scenario(example_scenario())
    # The prompted request: 15 prefix messages + the ticket, 3 + 1 role token each, 3 priming.
    assert scenario.workload.chat_overhead_tokens == 3 + 16 * (3 + 1) == 67
    # The tuned model's own short request: system + user under its chat rule, not 67.
    assert scenario.finetune.chat_overhead_tokens == chat_overhead(scenario.finetune.model)
    assert scenario.finetune.chat_overhead_tokens < 20
    assert "Not from the logs: finetune.chat_overhead_tokens" in text
    assert scenario.workload.requests_per_month == 15 / 0.00025 == 60_000
    assert scenario.prompt.cached_share == round(report.cached_share, 4) > 0.5
    values = resolve(scenario).values
    assert values["finetune.chat_overhead_tokens"] < values["workload.chat_overhead_tokens"]
    assert "cached share" in out


@pytest.mark.parametrize("rate", ["0", "1.5", "-1", "nan"])
def test_sample_rate_outside_0_1_exits_2(tmp_path, capsys, rate):
    code, _, err = run(capsys, "workload", ROOT / "examples" / "usage.csv", "--sample-rate", rate)
    assert code == 2
    assert "--sample-rate: must be a share in (0, 1]" in err


def test_usage_csv_prints_reasoning_and_cached_share(capsys):
    code, out, _ = run(capsys, "workload", ROOT / "examples" / "usage.csv", "--workers", 1)
    assert code == 0
    assert "reasoning      " in out and "hidden tokens/request" in out
    assert "cached share   100.0% of the static prefix" in out


def readme_workload_commands() -> list[str]:
    """Every ``ftroi workload`` command line written in README.md and docs/*.md."""
    found = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for line in page.read_text(encoding="utf-8").splitlines():
            line = line.strip().removeprefix("$ ")
            if line.startswith("ftroi workload "):
                found.append(line.split("  #", 1)[0].split(" # ", 1)[0].strip())
    return list(dict.fromkeys(found))


def test_the_documented_workload_commands_run_on_the_shipped_examples(
        tmp_path, capsys, monkeypatch):
    import shlex

    commands = readme_workload_commands()
    assert len(commands) >= 4
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    for command in commands:
        argv = shlex.split(command)[1:]
        code, out, err = run(capsys, *argv, "--workers", 1, "--no-progress")
        assert code == 0, (command, err)
        assert "0 bad line(s) left out" in out, command
