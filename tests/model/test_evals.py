"""Reading graded eval results and their statistics (``simulator.model.evals``), each number checked
against an independent computation in the test."""

from __future__ import annotations

import json
import math
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import graded_answer_sets, graded_lines

from simulator.core.errors import InputError
from simulator.model.evals import (
    Columns,
    GradedAnswers,
    OptionCounts,
    PairedComparison,
    compare,
    count,
    difference_interval,
    jeffreys_interval,
    map_options,
    mcnemar_exact_p,
    prob_first_better,
    read_graded,
    scenario_with_counts,
    summarize,
)
from simulator.model.scenario import example_scenario_text

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLE = ROOT / "examples" / "evals.csv"


# ---- independent references -----------------------------------------------------------------

def jeffreys_by_integration(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Quantiles of Beta(k+½, n−k+½) by integrating its density with numpy alone.

    With x = sin²φ the density x^(k−½) (1−x)^(n−k−½) dx becomes 2 sin^(2k)φ cos^(2(n−k))φ dφ on
    [0, π/2]: smooth at both ends, so the trapezoid rule on a fine grid is accurate even for
    k = 0 or k = n, where the density in x is unbounded.
    """
    phi = np.linspace(0.0, np.pi / 2, 400_001)
    with np.errstate(divide="ignore"):  # log 0 = -inf at an end: density 0 there
        log_f = (2 * k * np.log(np.sin(phi)) if k else 0.0) \
            + (2 * (n - k) * np.log(np.cos(phi)) if n - k else 0.0)
    f = np.exp(log_f - log_f[np.isfinite(log_f)].max())
    cdf = np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) / 2 * np.diff(phi))])
    cdf /= cdf[-1]
    x = np.sin(phi) ** 2
    tail = (1 - level) / 2
    return float(np.interp(tail, cdf, x)), float(np.interp(1 - tail, cdf, x))


def mcnemar_by_hand(b: int, c: int) -> float:
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


# ---- statistics -------------------------------------------------------------------------------

@pytest.mark.parametrize("k, n", [(174, 200), (182, 200), (0, 10), (10, 10), (3, 7), (1, 1),
                                  (4_950, 5_000)])
def test_jeffreys_interval_matches_the_integrated_beta_density(k, n):
    low, high = jeffreys_interval(k, n)
    ref_low, ref_high = jeffreys_by_integration(k, n)
    assert low == pytest.approx(ref_low, abs=2e-5)
    assert high == pytest.approx(ref_high, abs=2e-5)
    assert 0 <= low < high <= 1


def test_jeffreys_interval_of_the_seeds_case_and_other_levels():
    assert jeffreys_interval(174, 200) == pytest.approx((0.81818, 0.91121), abs=1e-5)
    low90, high90 = jeffreys_interval(182, 200, level=0.90)
    assert (low90, high90) == pytest.approx(jeffreys_by_integration(182, 200, 0.90), abs=2e-5)
    low95, high95 = jeffreys_interval(182, 200)
    assert low95 < low90 < 0.91 < high90 < high95


def test_jeffreys_interval_takes_arrays_like_scalars():
    k = np.array([174, 182, 0])
    n = np.array([200, 200, 10])
    low, high = jeffreys_interval(k, n)
    assert low.shape == high.shape == (3,)
    for i in range(3):
        assert (low[i], high[i]) == pytest.approx(jeffreys_interval(int(k[i]), int(n[i])))


@pytest.mark.parametrize("k, n", [(5, 3), (-1, 4), (1, 0)])
def test_jeffreys_interval_refuses_impossible_counts(k, n):
    with pytest.raises(InputError, match="0 ≤ correct ≤ total"):
        jeffreys_interval(k, n)


def test_option_counts_check_their_fields():
    c = OptionCounts(option="prompt", correct=174, total=200)
    assert c.accuracy == 0.87
    assert c.posterior_mean == pytest.approx(174.5 / 201)
    assert c.interval == pytest.approx(jeffreys_interval(174, 200))
    with pytest.raises(InputError, match="correct: must be between 0 and total"):
        OptionCounts(option="prompt", correct=201, total=200)
    with pytest.raises(InputError, match="total: must be at least 1"):
        OptionCounts(option="prompt", correct=0, total=0)
    with pytest.raises(InputError, match="whole number"):
        OptionCounts(option="prompt", correct=1.5, total=2)


@pytest.mark.parametrize("b, c", [(15, 7), (0, 0), (5, 5), (0, 9), (30, 12), (1, 0), (100, 60)])
def test_mcnemar_p_is_the_hand_binomial_sum(b, c):
    assert mcnemar_exact_p(b, c) == pytest.approx(mcnemar_by_hand(b, c), rel=1e-12)
    assert mcnemar_exact_p(b, c) == mcnemar_exact_p(c, b)


@pytest.mark.parametrize("a, b, c, d", [(167, 15, 7, 11), (50, 3, 3, 4), (10, 0, 4, 1),
                                        (0, 2, 0, 0)])
def test_prob_first_better_matches_monte_carlo_on_the_dirichlet_posterior(a, b, c, d):
    rng = np.random.default_rng(7)
    cells = rng.dirichlet(np.array([a, b, c, d]) + 0.5, size=400_000)
    monte_carlo = float(np.mean(cells[:, 1] > cells[:, 2]))
    assert prob_first_better(b, c) == pytest.approx(monte_carlo, abs=0.004)


def test_prob_first_better_by_hand_and_symmetry():
    # Beta(½, ½) is symmetric about ½: no discordant pair says nothing.
    assert prob_first_better(0, 0) == pytest.approx(0.5)
    assert prob_first_better(6, 6) == pytest.approx(0.5)
    # b = 1, c = 0: θ ~ Beta(3/2, 1/2); P(θ > ½) = 1/2 + 1/π by integrating its density.
    assert prob_first_better(1, 0) == pytest.approx(0.5 + 1 / math.pi, abs=1e-12)
    assert prob_first_better(15, 7) + prob_first_better(7, 15) == pytest.approx(1.0)
    both = prob_first_better(np.array([15, 7]), np.array([7, 15]))
    assert both == pytest.approx([prob_first_better(15, 7), prob_first_better(7, 15)])


def test_difference_interval_matches_its_own_dirichlet_draws_and_repeats_with_a_seed():
    low, high = difference_interval(167, 15, 7, 11, seed=3)
    assert (low, high) == difference_interval(167, 15, 7, 11, seed=3)
    draws = np.random.default_rng(11).dirichlet([167.5, 15.5, 7.5, 11.5], size=400_000)
    ref = np.quantile(draws[:, 1] - draws[:, 2], [0.025, 0.975])
    assert (low, high) == pytest.approx(tuple(ref), abs=0.002)
    assert low < 8 / 200 < high


def test_paired_comparison_figures_by_hand():
    pair = PairedComparison(first="finetune", second="prompt", both=167, first_only=15,
                            second_only=7, neither=11)
    assert pair.pairs == 200
    assert pair.first_accuracy == 182 / 200 and pair.second_accuracy == 174 / 200
    assert pair.difference == pytest.approx(0.04)
    assert pair.mcnemar_p == pytest.approx(mcnemar_by_hand(15, 7))
    with pytest.raises(InputError, match="no example graded on both"):
        PairedComparison(first="a", second="b", both=0, first_only=0, second_only=0, neither=0)
    with pytest.raises(InputError, match="first_only: must be a whole number"):
        PairedComparison(first="a", second="b", both=1, first_only=-1, second_only=0,
                         neither=0)


# ---- the example file -------------------------------------------------------------------------

def test_the_example_file_holds_the_seeds_case():
    answers = read_graded(EXAMPLE)
    assert answers.files == ((str(EXAMPLE), "csv", 400),)
    by_option = {c.option: (c.correct, c.total) for c in count(answers)}
    assert by_option == {"prompt": (174, 200), "finetune": (182, 200)}
    rows = EXAMPLE.read_text().splitlines()[1:]
    ids = {r.split(",")[0] for r in rows}
    assert len(ids) == 200
    summary = summarize(answers)
    (pair,) = summary.comparisons
    assert (pair.first, pair.second) == ("finetune", "prompt")
    # hand count of the four cells from the file's rows
    right = {(r.split(",")[0], r.split(",")[1]): r.split(",")[2] == "1" for r in rows}
    cells = [sum(right[(i, "finetune")] == f and right[(i, "prompt")] == p for i in ids)
             for f, p in ((True, True), (True, False), (False, True), (False, False))]
    assert [pair.both, pair.first_only, pair.second_only, pair.neither] == cells == \
        [167, 15, 7, 11]
    assert summary.counts_by_option() == by_option


# ---- formats ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["promptfoo_results.json", "promptfoo_results.jsonl"])
def test_promptfoo_output_is_read_by_provider_and_test(name):
    answers = read_graded(DATA / name)
    assert answers.files[0][1] == "promptfoo"
    assert {c.option: (c.correct, c.total) for c in count(answers)} == {
        "openai:gpt-4.1-mini": (2, 3), "ft:nova": (3, 4)}
    assert set(answers.example_ids) == {"t1", "t2", "t3", "t4"}
    assert any("1 result(s) left out" in n and "failureReason 2" in n for n in answers.notes)
    pair = compare(answers, "ft:nova", "openai:gpt-4.1-mini")
    assert (pair.both, pair.first_only, pair.second_only, pair.neither) == (1, 1, 1, 0)


def test_promptfoo_jsonl_lines_longer_than_the_sniffed_head(tmp_path):
    lines = (DATA / "promptfoo_results.jsonl").read_text().splitlines()
    big = []
    for line in lines:
        result = json.loads(line)
        if result.get("response"):
            result["response"]["output"] = "x" * 200_000  # a long answer
        big.append(json.dumps(result))
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(big) + "\n")
    answers = read_graded(path)
    assert answers.files[0][1] == "promptfoo" and len(answers) == 7


def test_promptfoo_examples_fall_back_to_test_index_and_prompts_split_options(tmp_path):
    doc = json.loads((DATA / "promptfoo_results.json").read_text())
    results = doc["results"]["results"]
    second_prompt = []
    for r in results:
        del r["vars"]["id"]
        del r["testCase"]["vars"]["id"]
        s = json.loads(json.dumps(r))
        s["promptIdx"], s["prompt"] = 1, {"raw": "x" * 100, "label": "x" * 100}
        second_prompt.append(s)
    results.extend(second_prompt)
    path = tmp_path / "two_prompts.json"
    path.write_text(json.dumps(doc))
    answers = read_graded(path)
    assert set(answers.example_ids) == {"0", "1", "2", "3"}
    assert answers.option_names() == ("openai:gpt-4.1-mini · classify", "ft:nova · classify",
                                      "openai:gpt-4.1-mini · prompt 2", "ft:nova · prompt 2")


def test_inspect_logs_pair_by_sample_id():
    answers = read_graded([DATA / "inspect_prompt.json", DATA / "inspect_finetune.json"])
    assert [f[1] for f in answers.files] == ["inspect", "inspect"]
    # prompt: C, I, P (0.5 ≥ 0.5: right), and one sample that errored; finetune: C, C, I, C
    assert {c.option: (c.correct, c.total) for c in count(answers)} == {
        "openai/gpt-4.1-mini": (2, 3), "bedrock/nova-micro-tickets": (3, 4)}
    assert any("1 sample(s) without scores" in n for n in answers.notes)
    assert any("scorer 'match' read" in n and "includes" in n for n in answers.notes)
    pair = compare(answers, "bedrock/nova-micro-tickets", "openai/gpt-4.1-mini")
    assert (pair.both, pair.first_only, pair.second_only, pair.neither) == (1, 1, 1, 0)


def test_inspect_threshold_and_scorer_choice():
    strict = read_graded(DATA / "inspect_prompt.json", columns=Columns(threshold=0.75))
    assert [(c.correct, c.total) for c in count(strict)] == [(1, 3)]  # P is wrong now
    other = read_graded(DATA / "inspect_finetune.json", columns=Columns(scorer="includes"))
    assert [(c.correct, c.total) for c in count(other)] == [(4, 4)]
    with pytest.raises(InputError, match="no score from scorer 'f1'.*match, includes"):
        read_graded(DATA / "inspect_finetune.json", columns=Columns(scorer="f1"))


def eval_archive(json_log: Path, path: Path, header: str = "header.json") -> Path:
    """An Inspect ``.eval`` archive holding the same log: the header without the samples,
    one ``samples/<id>_epoch_<n>.json`` per sample."""
    log = json.loads(json_log.read_text())
    samples = log.pop("samples")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(header, json.dumps(log))
        for s in samples:
            z.writestr(f"samples/{s['id']}_epoch_{s['epoch']}.json", json.dumps(s))
    return path


@pytest.mark.parametrize("header", ["header.json", "_journal/start.json"])
def test_inspect_eval_archive_reads_like_the_json_log(tmp_path, header):
    archive = eval_archive(DATA / "inspect_prompt.json", tmp_path / "prompt.eval", header)
    from_zip = read_graded(archive)
    from_json = read_graded(DATA / "inspect_prompt.json")
    assert from_zip.files[0][1] == "inspect"
    assert sorted(zip(from_zip.example_ids, from_zip.correct)) == \
        sorted(zip(from_json.example_ids, from_json.correct))
    assert from_zip.option_names() == ("openai/gpt-4.1-mini",)


class TwoFrames:
    """A zstd compressor writing a member as two frames, as Inspect does past 200 MiB."""

    def __init__(self, zstandard):
        self.zstd, self.parts = zstandard.ZstdCompressor(), []

    def compress(self, data: bytes) -> bytes:
        self.parts.append(data)
        return b""

    def flush(self) -> bytes:
        data = b"".join(self.parts)
        half = len(data) // 2
        return self.zstd.compress(data[:half]) + self.zstd.compress(data[half:])


def zstd_archive(json_log: Path, path: Path, monkeypatch) -> Path:
    """The ``.eval`` archive of :func:`eval_archive` with zstd members (method 93), as Inspect
    writes them: Python's zipfile gets a zstd compressor for the writing only."""
    zstandard = pytest.importorskip("zstandard")
    original = zipfile._get_compressor
    with monkeypatch.context() as m:
        m.setattr(zipfile, "_check_compression", lambda method: None)
        m.setattr(zipfile, "_get_compressor", lambda method, level=None: TwoFrames(zstandard)
                  if method == 93 else original(method, level))
        log = json.loads(json_log.read_text())
        samples = log.pop("samples")
        with zipfile.ZipFile(path, "w") as z:
            for name, body in [("header.json", log)] + [
                    (f"samples/{s['id']}_epoch_{s['epoch']}.json", s) for s in samples]:
                info = zipfile.ZipInfo(name)
                info.compress_type = 93
                z.writestr(info, json.dumps(body))
    with zipfile.ZipFile(path) as z:
        assert {i.compress_type for i in z.infolist()} == {93}
    return path


def test_inspect_zstd_archive_reads_like_the_json_log(tmp_path, monkeypatch):
    archive = zstd_archive(DATA / "inspect_finetune.json", tmp_path / "ft.eval", monkeypatch)
    from_zip = read_graded(archive)
    from_json = read_graded(DATA / "inspect_finetune.json")
    assert sorted(zip(from_zip.example_ids, from_zip.correct)) == \
        sorted(zip(from_json.example_ids, from_json.correct))
    assert from_zip.option_names() == ("bedrock/nova-micro-tickets",)


@pytest.mark.skipif(hasattr(zipfile, "ZIP_ZSTANDARD"), reason="this Python reads zstd itself")
def test_inspect_zstd_archive_without_zstandard_says_what_to_install(tmp_path, monkeypatch):
    archive = zstd_archive(DATA / "inspect_finetune.json", tmp_path / "ft.eval", monkeypatch)
    monkeypatch.setitem(__import__("sys").modules, "zstandard", None)
    with pytest.raises(InputError, match=r"zstd-compressed .* pip install \"ftroi\[inspect\]\", "
                                         r"or convert the log: inspect log convert ft\.eval"):
        read_graded(archive)


@pytest.mark.skipif(hasattr(zipfile, "ZIP_ZSTANDARD"), reason="this Python reads zstd itself")
def test_a_damaged_zstd_member_is_an_input_error(tmp_path, monkeypatch):
    archive = zstd_archive(DATA / "inspect_finetune.json", tmp_path / "ft.eval", monkeypatch)
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo("header.json")
    data = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len("header.json") + 20
    data[start:start + 8] = b"\x00" * 8
    archive.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"header\.json is damaged"):
        read_graded(archive)


def test_inspect_epochs_are_separate_examples(tmp_path):
    log = json.loads((DATA / "inspect_finetune.json").read_text())
    again = json.loads(json.dumps(log["samples"]))
    for s in again:
        s["epoch"] = 2
    log["samples"] += again
    path = tmp_path / "epochs.json"
    path.write_text(json.dumps(log))
    answers = read_graded(path)
    assert len(answers) == 8 and "t1@epoch 2" in answers.example_ids


def test_lm_eval_harness_samples_read_through_the_aliases():
    answers = read_graded(DATA / "lm_eval_samples.jsonl")
    assert answers.files[0][1] == "jsonl"
    assert answers.example_ids == ("0", "1", "2", "3")
    assert [(c.option, c.correct, c.total) for c in count(answers)] == \
        [("lm_eval_samples", 3, 4)]


def test_csv_and_jsonl_with_scores_aliases_and_overrides(tmp_path):
    csv_path = tmp_path / "graded.csv"
    csv_path.write_text("Example_ID;Model;Score\nq1;big;0.9\nq2;big;0.4\nq1;small;0.5\n")
    answers = read_graded(csv_path)
    assert list(zip(answers.example_ids, answers.options, answers.correct)) == [
        ("q1", "big", True), ("q2", "big", False), ("q1", "small", True)]
    strict = read_graded(csv_path, columns=Columns(threshold=0.6))
    assert strict.correct == (True, False, False)
    tsv = tmp_path / "graded.tsv"
    tsv.write_text("qid\tsystem\tok\nq1\tbig\tyes\nq2\tbig\tFAIL\n")
    answers = read_graded(tsv, columns=Columns(id="QID", option="system", correct="ok"))
    assert answers.correct == (True, False) and answers.option_names() == ("big",)
    jsonl = tmp_path / "graded.jsonl"
    jsonl.write_text('{"sample_id": 7, "variant": "a", "passed": true}\n\n'
                     '{"sample_id": 8, "variant": "a", "passed": "C"}\n')
    answers = read_graded(jsonl)
    assert answers.example_ids == ("7", "8") and answers.correct == (True, True)
    array = tmp_path / "graded.json"
    array.write_text('[{"id": "x", "option": "p", "correct": 0}]')
    assert read_graded(array).correct == (False,)


# ---- bad input --------------------------------------------------------------------------------

def test_a_malformed_jsonl_line_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "option": "a", "correct": 1}\n\n{"id": 2, "option": "a",\n')
    with pytest.raises(InputError, match=r"bad\.jsonl, line 3: not valid JSON"):
        read_graded(path)


def test_a_missing_csv_column_names_it_and_the_aliases_tried(tmp_path):
    path = tmp_path / "graded.csv"
    path.write_text("question,option,correct\nq1,a,1\n")
    with pytest.raises(InputError) as info:
        read_graded(path)
    message = str(info.value)
    assert "no example-id column: tried id, example_id, sample_id" in message
    assert "columns: question, option, correct" in message and "--id-column" in message
    path.write_text("id,option,verdict\nq1,a,1\n")
    with pytest.raises(InputError, match="no correct \\(or score\\) column: tried correct, "
                                         "passed, pass, .*score"):
        read_graded(path)
    with pytest.raises(InputError, match="no score column 'points' \\(--score-column\\)"):
        read_graded(path, columns=Columns(score="points"))


def test_duplicate_answers_are_reported_with_both_places(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,option,correct\nq1,a,1\nq2,a,0\nq1,a,0\n")
    with pytest.raises(InputError, match=r"dup\.csv, line 4: example 'q1' is graded twice for "
                                         r"option 'a' \(first at .*dup\.csv, line 2\)"):
        read_graded(path)
    other = tmp_path / "other.csv"
    other.write_text("id,option,correct\nq9,a,1\nq2,a,1\n")
    path.write_text("id,option,correct\nq1,a,1\nq2,a,0\n")
    with pytest.raises(InputError, match=r"other\.csv, line 3: example 'q2' is graded twice"):
        read_graded([path, other])


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_an_empty_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    with pytest.raises(InputError, match="the file is empty: no graded answers"):
        read_graded(path)


def test_other_bad_files(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_graded(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a directory"):
        read_graded(tmp_path)
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,option,correct\n")
    with pytest.raises(InputError, match="no graded answer in the file"):
        read_graded(header_only)
    bad_value = tmp_path / "bad.csv"
    bad_value.write_text("id,option,correct\nq1,a,maybe\n")
    with pytest.raises(InputError, match=r"line 2: 'maybe' is not right or wrong"):
        read_graded(bad_value)
    bad_score = tmp_path / "score.jsonl"
    bad_score.write_text('{"id": 1, "option": "a", "score": "NaN"}\n')
    with pytest.raises(InputError, match="line 1: score .* is not a finite number"):
        read_graded(bad_score)
    not_object = tmp_path / "list.jsonl"
    not_object.write_text('{"id": 1, "option": "a", "correct": 1}\n[1, 2]\n')
    with pytest.raises(InputError, match="line 2: expected a JSON object"):
        read_graded(not_object)
    short = tmp_path / "short.csv"
    short.write_text("id,option,correct\nq1,a\n")
    with pytest.raises(InputError, match="line 2: 2 field\\(s\\), the header has 3"):
        read_graded(short)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"id,option,correct\nq\xe9,a,1\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_graded(latin)
    zip_not_log = tmp_path / "x.eval"
    with zipfile.ZipFile(zip_not_log, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="without header.json: not an Inspect log"):
        read_graded(zip_not_log)
    with pytest.raises(InputError, match="not a promptfoo output file"):
        read_graded(DATA / "inspect_prompt.json", format="promptfoo")
    with pytest.raises(InputError, match="format: must be one of"):
        read_graded(EXAMPLE, format="xlsx")


@given(lines=graded_lines, suffix=st.sampled_from([".jsonl", ".csv", ".json", ".txt"]))
def test_fuzz_the_reader_returns_answers_or_one_input_error(tmp_path_factory, lines, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"graded{suffix}"
    path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    try:
        answers = read_graded(path)
    except InputError as exc:
        assert "\n" not in str(exc).strip()
        return
    assert len(answers) == sum(n for _, _, n in answers.files) > 0
    for c in count(answers):
        assert 0 <= c.correct <= c.total


@given(graded=graded_answer_sets)
def test_fuzz_written_answers_read_back_with_hand_counts(tmp_path_factory, graded):
    folder = tmp_path_factory.mktemp("roundtrip")
    csv_path, jsonl_path = folder / "g.csv", folder / "g.jsonl"
    csv_path.write_text("id,option,correct\n" + "".join(
        f"{i},{o},{int(ok)}\n" for (i, o), ok in graded.items()))
    jsonl_path.write_text("".join(json.dumps({"id": i, "model": o, "passed": ok}) + "\n"
                                  for (i, o), ok in graded.items()))
    for path in (csv_path, jsonl_path):
        answers = read_graded(path)
        assert dict(zip(zip(answers.example_ids, answers.options), answers.correct)) == graded
        for c in count(answers):
            mine = [ok for (_, o), ok in graded.items() if o == c.option]
            assert (c.correct, c.total) == (sum(mine), len(mine))


def test_graded_answers_check_their_lengths():
    with pytest.raises(InputError, match="same length"):
        GradedAnswers(example_ids=("a",), options=(), correct=(True,))
    with pytest.raises(InputError, match="no graded answer to summarize"):
        summarize(GradedAnswers(example_ids=(), options=(), correct=()))


# ---- counts into a scenario -------------------------------------------------------------------

def test_counts_go_in_place_and_the_comments_stay():
    text = example_scenario_text()
    new, kept = scenario_with_counts(text, {"prompt": (174, 200), "finetune": (182, 200)})
    assert kept
    data = tomllib.loads(new)
    assert (data["prompt"]["eval_correct"], data["prompt"]["eval_total"]) == (174, 200)
    assert (data["finetune"]["eval_correct"], data["finetune"]["eval_total"]) == (182, 200)
    assert data["prompt"]["accuracy"] == 0.87  # the point value stays for users without evals
    old = [ln for ln in text.splitlines() if ln.strip()]
    assert [ln for ln in new.splitlines() if "eval_correct" not in ln
            and "eval_total" not in ln and ln.strip()] == old
    lines = new.splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith("eval_correct = 174"))
    assert lines[at - 1].startswith("accuracy = 0.87") and lines[at + 1] == "eval_total = 200"
    again, _ = scenario_with_counts(new, {"prompt": (180, 200)})
    assert again.count("eval_correct") == 2 and tomllib.loads(again)["prompt"]["eval_correct"] \
        == 180


def test_counts_for_a_missing_section_and_a_dotted_key_file():
    new, kept = scenario_with_counts('title = "x"\n', {"rag": (3, 4)})
    assert kept and tomllib.loads(new)["rag"] == {"eval_correct": 3, "eval_total": 4}
    dotted = 'title = "x"\nprompt.accuracy = 0.8\n'
    new, kept = scenario_with_counts(dotted, {"prompt": (3, 4)})
    assert not kept
    assert tomllib.loads(new)["prompt"] == {"accuracy": 0.8, "eval_correct": 3, "eval_total": 4}
    with pytest.raises(InputError, match="prompt.eval_correct: must be between 0 and total"):
        scenario_with_counts(dotted, {"prompt": (5, 4)})


def test_option_names_map_by_name_by_model_and_by_flag():
    models = {"prompt": "gpt-6.1-terra", "finetune": "amazon.nova-micro-v1:0"}
    chosen, left = map_options(["openai/gpt-6.1-terra", "ft:nova", "finetune", "other"], {},
                               models)
    assert chosen == {"openai/gpt-6.1-terra": "prompt", "finetune": "finetune"}
    assert left == ["ft:nova", "other"]
    chosen, left = map_options(["gpt-x", "ft:nova"], {"gpt-x": "prompt", "ft:nova": "finetune"})
    assert chosen == {"gpt-x": "prompt", "ft:nova": "finetune"} and left == []
    with pytest.raises(InputError, match="--map typo=prompt: no option 'typo'"):
        map_options(["gpt-x"], {"typo": "prompt"})
    with pytest.raises(InputError, match="'banana' is not a scenario option"):
        map_options(["gpt-x"], {"gpt-x": "banana"})
    with pytest.raises(InputError, match="both map to the scenario option 'prompt'"):
        map_options(["prompt", "gpt-x"], {"gpt-x": "prompt"})


@given(counts=st.dictionaries(
    st.sampled_from(["prompt", "rag", "finetune", "selfhost"]),
    st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    min_size=1))
def test_fuzz_counts_written_twice_leave_every_other_field_alone(counts):
    text = example_scenario_text()
    once, kept = scenario_with_counts(text, counts)
    twice, _ = scenario_with_counts(once, counts)
    assert kept and twice == once
    before, after = tomllib.loads(text), tomllib.loads(once)
    for option, (k, n) in counts.items():
        assert after[option].pop("eval_correct") == k and after[option].pop("eval_total") == n
    assert after == before
