"""Hostile request logs (issue 21): stray times, huge counts, nested values, terminal escapes.

A log of 161 requests a month stays a log of 161 requests a month whatever one stray line
says; every such line is a bad line with its number, and nothing raises but InputError.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import fuzz_examples, hostile_text

from simulator.cli.main import main
from simulator.cli.workload import print_report
from simulator.core.errors import InputError
from simulator.core.limits import LOG_GAP_DAYS, MAX_REQUEST_TOKENS
from simulator.traffic import logscan
from simulator.traffic.workload import from_logs, max_workers

START = datetime(2026, 9, 1, tzinfo=UTC)
PER_MONTH = 161


def request(t, **extra) -> dict:
    record = {"timestamp": t, "model": "gpt-4o",
              "messages": [{"role": "user", "content": "Where is my parcel?"}],
              "usage": {"prompt_tokens": 12, "completion_tokens": 5}}
    record.update(extra)
    return record


def clean_records() -> list[dict]:
    """161 requests in each of September, October and November 2026, spread over each month."""
    out = []
    for month_start, days in ((START, 30), (START + timedelta(days=30), 31),
                              (START + timedelta(days=61), 30)):
        step = days * 86_400 / PER_MONTH
        out += [request((month_start + timedelta(seconds=i * step)).isoformat())
                for i in range(PER_MONTH)]
    return out


def write(path, records) -> None:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                            for r in records), encoding="utf-8")


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    path = tmp_path_factory.mktemp("logs") / "clean.jsonl"
    write(path, clean_records())
    return from_logs(path, workers=1)


def test_the_clean_log_reads_161_requests_a_month(clean):
    assert clean.requests_per_month == PER_MONTH
    assert list(clean.months.requests) == [PER_MONTH] * 3
    assert clean.growth_per_month == 0.0


STRAY = [("1970-01-01T00:00:00", "1970-01-01T00:00:00Z"),
         ("0001-01-01", "0001-01-01T00:00:00Z"),
         ("9999-12-31T23:59:59", "9999-12-31T23:59:59Z"),
         (0, "1970-01-01T00:00:00Z"),                        # unix seconds
         (9_999_999_999, "2286-11-20T17:46:39Z"),            # unix seconds (below 1e11)
         (4_102_444_800_000, "2100-01-01T00:00:00Z"),        # unix milliseconds
         ("2019-12-31T23:59:59Z", "2019-12-31T23:59:59Z")]


@pytest.mark.parametrize("stamp,shown", STRAY)
def test_one_implausible_time_is_a_bad_line_and_moves_nothing(tmp_path, clean, stamp, shown):
    records = clean_records()
    records.insert(40, request(stamp))
    path = tmp_path / "log.jsonl"
    write(path, records)
    report = from_logs(path, workers=1)
    assert report.requests_per_month == PER_MONTH
    assert list(report.months.month) == ["2026-09", "2026-10", "2026-11"]
    assert report.growth_per_month == 0.0
    assert report.n_requests == 3 * PER_MONTH and report.n_errors == 1
    issue = report.errors[0]
    assert issue.line == 41
    assert shown in issue.message and "2020-01-01" in issue.message \
        and "2100-01-01" in issue.message


def test_a_time_a_month_away_from_the_rest_is_a_stray_line(tmp_path):
    """Within 2020..2100 but 10 months after the log: left out, and the message says the
    logs' span and the gap rule; the same with 2 workers over small ranges."""
    records = clean_records()
    records.insert(7, request("2027-09-01T12:00:00"))
    records.insert(100, request("2024-02-01T00:00:00"))
    path = tmp_path / "log.jsonl"
    write(path, records)
    one = from_logs(path, workers=1)
    many = from_logs(path, workers=2, chunk_bytes=8192)
    for report in (one, many):
        assert report.requests_per_month == PER_MONTH
        assert [e.line for e in report.errors] == [8, 101]
        assert f"more than {LOG_GAP_DAYS} days" in report.errors[0].message
        assert "2026-09-01 to 2026-11-30" in report.errors[0].message
        assert list(report.months.month) == ["2026-09", "2026-10", "2026-11"]


def test_the_window_rule_by_hand():
    day = 20_000
    # the bulk: days 0..9 and 30..39 (a 19-day pause: still one log); strays at +100, -80
    days = {day + d: 5 for d in (*range(10), *range(30, 40))}
    days[day + 100] = 1
    days[day - 80] = 2
    assert logscan.plausible_window(days) == (day, day + 39)
    # a gap of exactly 31 empty days is allowed, 32 is not
    assert logscan.plausible_window({1: 3, 33: 1}) == (1, 33)
    assert logscan.plausible_window({1: 3, 34: 1}) == (1, 1)
    assert logscan.plausible_window({}) is None


def test_usage_csv_stray_times_and_huge_counts_are_bad_lines(tmp_path):
    path = tmp_path / "usage.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "prompt_tokens", "completion_tokens"])
        for i in range(60):
            w.writerow([f"2026-10-{1 + i % 28:02d}T10:00:00", 100, 20])
        w.writerow(["9999-12-31", 100, 20])
        w.writerow(["2026-10-03", "1e300", 20])
        w.writerow(["2026-10-03", str(2**63), 20])
        w.writerow(["2026-10-03", 100, "inf"])
        w.writerow(["2026-10-03", 100, str(MAX_REQUEST_TOKENS + 1)])
    report = from_logs(path, workers=1)
    assert report.n_requests == 60 and report.n_errors == 5
    assert [e.line for e in report.errors] == [62, 63, 64, 65, 66]
    assert f"at most {MAX_REQUEST_TOKENS:,}" in report.errors[1].message
    assert report.input_tokens.max == 100


@pytest.mark.parametrize("usage,words", [
    ({"prompt_tokens": 1e300, "completion_tokens": 5}, "too many tokens"),
    ({"prompt_tokens": 2**63, "completion_tokens": 5}, "too many tokens"),
    ({"prompt_tokens": 10**400, "completion_tokens": 5}, "too many tokens"),
    ({"prompt_tokens": {"a": [1, {"b": 2}]}, "completion_tokens": 5}, "whole number"),
    ({"prompt_tokens": [12], "completion_tokens": 5}, "whole number"),
    ({"prompt_tokens": True, "completion_tokens": 5}, "whole number"),
    ({"prompt_tokens": 12, "completion_tokens": -1}, "whole number"),
])
def test_counts_that_no_request_has_are_bad_lines(tmp_path, usage, words):
    path = tmp_path / "log.jsonl"
    write(path, [request("2026-10-01T00:00:00"), request("2026-10-02T00:00:00", usage=usage)])
    report = from_logs(path, workers=1)
    assert report.n_requests == 1 and report.n_errors == 1
    assert report.errors[0].line == 2 and words in report.errors[0].message


@pytest.mark.parametrize("files,words", [
    (None, "files: expected a path"), ([1, 2], "files[0]: expected a path"),
    (42, "files: expected a path"), ([], "at least one"), ([""], "not a file name"),
])
def test_wrong_types_to_from_logs_are_refused_in_one_line(files, words):
    with pytest.raises(InputError, match=words.replace("[", r"\[").replace("]", r"\]")):
        from_logs(files)


@pytest.mark.parametrize("kwargs,words", [
    ({"workers": 10_000}, f"from 1 to {max_workers()}"), ({"workers": True}, "whole number"),
    ({"chunk_bytes": 0}, "chunk_bytes"), ({"chunk_bytes": 2**60}, "chunk_bytes"),
    ({"model": 5}, "model: must be a model name"),
])
def test_workers_and_chunks_are_bounded(tmp_path, kwargs, words):
    path = tmp_path / "log.jsonl"
    write(path, [request("2026-10-01T00:00:00")])
    with pytest.raises(InputError, match=words):
        from_logs(path, **kwargs)


def test_url_errors_name_the_package_to_install():
    for url, words in (("s3://bucket/log.jsonl", 'pip install "ftroi[s3]"'),
                       ("gs://bucket/log.jsonl", 'pip install "ftroi[gcs]"')):
        with (pytest.raises(InputError, match=words.replace("[", r"\[").replace("]", r"\]")),
              logscan._url_errors(url)):
            raise ImportError("Install s3fs to access S3")
    with (pytest.raises(InputError, match="not a zip file"),
          logscan._url_errors("zip://log.jsonl::archive.zip")):
        raise zipfile.BadZipFile("File is not a zip file")


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"


def test_terminal_escapes_from_a_log_are_not_printed(tmp_path, capsys):
    path = tmp_path / "log.jsonl"
    write(path, [request("2026-10-01T00:00:00", model=f"gpt{ESCAPES}-4o",
                         messages=[{"role": f"user{ESCAPES}", "content": "hi"}]),
                 f'{{"messages": "{ESCAPES.encode("unicode_escape").decode()}"}}'])
    assert main(["workload", str(path), "--no-progress"]) == 0
    out, err = capsys.readouterr()
    for stream in (out, err):
        assert not any(c in stream for c in "\x1b\x07\x9b\u202e"), stream
    assert "gpt\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e-4o" in out


def test_print_report_through_the_cli_stream_keeps_newlines_and_tabs(tmp_path):
    from simulator.cli.main import PrintableStream

    path = tmp_path / "log.jsonl"
    write(path, [request("2026-10-01T00:00:00", model="a\x1bb")])
    buffer = io.StringIO()
    print_report(from_logs(path, workers=1), PrintableStream(buffer))
    text = buffer.getvalue()
    assert "\x1b" not in text and "a\\x1bb" in text and text.count("\n") > 3


# ---- fuzz -----------------------------------------------------------------------------------

stamps = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda d: d.isoformat()),
    st.integers(-2**70, 2**70), st.floats(), hostile_text, st.none(), st.booleans(),
    st.sampled_from(["2026-10-01", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00",
                     "1e300", "nan", "-0"]))
numbers = st.one_of(st.integers(-2**70, 2**70), st.floats(), st.booleans(), st.none(),
                    hostile_text, st.lists(st.integers(), max_size=2),
                    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
records = st.fixed_dictionaries(
    {"timestamp": stamps, "messages": st.one_of(
        st.just([{"role": "user", "content": "hi"}]),
        st.lists(st.one_of(st.integers(), hostile_text, st.fixed_dictionaries(
            {"role": hostile_text, "content": st.one_of(hostile_text, st.lists(
                st.one_of(st.integers(), hostile_text), max_size=3))})), max_size=3))},
    optional={"usage": st.fixed_dictionaries({"prompt_tokens": numbers,
                                              "completion_tokens": numbers}),
              "model": hostile_text})


@settings(max_examples=fuzz_examples(40), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(st.lists(records, min_size=1, max_size=8))
def test_fuzz_any_log_lines_are_read_or_listed(tmp_path, lines):
    """Every line is a request or a bad line; every time kept lies in 2020..2100."""
    path = tmp_path / "fuzz.jsonl"
    path.write_text("".join(json.dumps(r, default=str) + "\n" for r in lines),
                    encoding="utf-8")
    report = from_logs(path, workers=1)
    assert report.n_requests + report.n_errors == len(lines)
    if report.first_time is not None:
        assert datetime(2020, 1, 1, tzinfo=UTC) <= report.first_time
        assert report.last_time < datetime(2100, 1, 1, tzinfo=UTC)
        assert report.last_time - report.first_time <= timedelta(days=len(lines) * 32)
    for issue in report.errors:
        assert "\n" not in issue.message


@settings(max_examples=fuzz_examples(40), deadline=None)
@given(st.lists(st.lists(st.one_of(hostile_text, numbers.map(str)), min_size=0, max_size=4),
                min_size=1, max_size=6))
def test_fuzz_usage_csv_rows(rows):
    text = "timestamp,prompt_tokens,completion_tokens\n" + "".join(
        ",".join(c.replace("\n", " ").replace("\r", " ") for c in row) + "\n" for row in rows)
    try:
        report = from_logs(io.BytesIO(text.encode("utf-8", "surrogatepass")), workers=1)
    except InputError:
        return
    assert report.n_requests + report.n_errors <= len(rows)
