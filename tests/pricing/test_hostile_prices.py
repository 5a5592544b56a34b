"""A poisoned or broken genai-prices cache (issue 21): refused with its path and the fallback
named, on every run that skips it; never used, never a traceback."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import fuzz_examples

import pricing
from pricing import genai
from simulator.cli.main import main

GOOD = [{"id": "acme", "name": "Acme", "api_pattern": "https://acme\\.example",
         "models": [{"id": "acme-small", "match": {"equals": "acme-small"},
                     "prices": {"input_mtok": 1.25, "output_mtok": 5}}]}]


def payload(data=None, fetched_on="2026-12-01") -> str:
    return json.dumps({"fetched_on": fetched_on, "genai_prices": "x",
                       "data": GOOD if data is None else data})


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(genai.CACHE_ENV, str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    genai.reload()
    yield tmp_path / "cache" / genai.CACHE_FILE
    monkeypatch.delenv(genai.CACHE_ENV)
    genai.reload()


def test_a_valid_cache_is_used(cache):
    cache.write_text(payload())
    genai.reload()
    assert genai.snapshot_info().warning == ""
    assert pricing.inference_rates("acme-small").input_usd_per_mtok == 1.25


def poisoned(price):
    return [{**GOOD[0], "models": [{**GOOD[0]["models"][0],
                                    "prices": {"input_mtok": price, "output_mtok": 5}}]}]


BROKEN = {
    "negative price": (payload(poisoned(-3.0)), "prices.input_mtok = -3.0 is not a price"),
    "boolean price": (payload(poisoned(True)), "prices.input_mtok = True is not a price"),
    "huge price": (payload(poisoned(1e300)), "is not a price"),
    "tiered negative": (payload(poisoned({"base": 1, "tiers": [{"start": 10, "price": -1}]})),
                        "prices.input_mtok.tiers[0].price = -1"),
    "truncated": (payload()[:70], "not valid JSON"),
    "100,000 brackets": ("[" * 100_000 + "]" * 100_000, "nested too deeply: at most 32"),
    "NaN": (payload().replace("1.25", "NaN"), "NaN is not a price"),
    "not an object": ("[]", "expected an object with fetched_on and data"),
    "far date": (payload(fetched_on="9999-12-31"), "fetched_on: '9999-12-31' is not a date"),
    "text date": (payload(fetched_on=20261201), "fetched_on"),
    "no providers": (payload([]), "lists no providers"),
    "provider without id": (payload([{"name": "x"}]), "data[0]: expected a provider"),
    "not genai data": (payload([{"id": "acme", "models": [{"id": "m", "prices": "x"}]}]),
                       "not genai-prices data"),
    "not UTF-8": (b"\xff\xfe" + payload().encode(), "cache file is"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_cache_is_refused_with_its_path_and_the_fallback(cache, name):
    data, words = BROKEN[name]
    if isinstance(data, bytes):
        cache.write_bytes(data)
    else:
        cache.write_text(data)
    genai.reload()
    info = genai.snapshot_info()
    assert info.path is None and "bundled data" in info.label
    assert str(cache) in info.warning and words in info.warning
    assert "bundled data instead" in info.warning and "ftroi prices --update" in info.warning
    assert "\n" not in info.warning
    with pytest.raises(pricing.UnknownModelError):  # the poisoned model is never priced
        pricing.inference_rates("acme-small")


def test_a_cache_over_the_size_cap_is_refused_before_it_is_read(cache, monkeypatch):
    with open(cache, "wb") as fh:  # sparse: 60 MB on paper, nothing on disk
        fh.truncate(60 * 2**20)
    read = []
    monkeypatch.setattr(genai, "parse_payload", lambda *a: read.append(1))
    genai.reload()
    assert "62,914,560 bytes is too large: at most 52,428,800" in genai.snapshot_info().warning
    assert read == []


def test_every_cli_run_that_skips_the_cache_says_so(cache, capsys):
    cache.write_text(payload(poisoned(-1)))
    for _ in range(2):
        genai.reload()  # a new process
        assert main(["prices", "--model", "gpt-4o"]) == 0
        err = capsys.readouterr().err
        assert err.count("warning:") == 1 and str(cache) in err and "-1" in err


def test_update_refuses_poisoned_data_and_keeps_the_cache(cache):
    cache.write_text(payload())
    genai.reload()
    for data in (json.dumps(poisoned(-1)).encode(), b"[" * 100_000,
                 json.dumps(poisoned(False)).encode()):
        with pytest.raises(ValueError):
            genai.update(fetch=lambda data=data: data, today=date(2026, 12, 7))
        assert json.loads(cache.read_text())["fetched_on"] == "2026-12-01"


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                      st.floats(), st.text(max_size=8))
json_any = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["id", "name", "models", "prices", "input_mtok", "output_mtok", "match", "equals",
         "base", "tiers", "start", "price", "api_pattern", "constraint"]), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=fuzz_examples(60), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(json_any, st.builds(lambda p: poisoned(p), json_any)),
       st.one_of(st.just("2026-12-01"), json_leaf))
def test_fuzz_any_cache_is_used_checked_or_refused(cache, data, fetched_on):
    cache.write_text(json.dumps({"fetched_on": fetched_on, "data": data}))
    genai.reload()
    info = genai.snapshot_info()
    if info.path is None:
        assert str(cache) in info.warning
    else:  # used: then every price in it is a number from 0 to the cap
        genai.check_price_data(data)
        assert info.warning == ""


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:image/svg+xml;utf8;x",
                                 "file:///etc/passwd", "JavaScript:void(0)"])
def test_a_price_row_source_that_is_not_a_web_link_is_refused(tmp_path, capsys, url):
    """The app and the HTML report show a row's source as a link: only http(s) or words."""
    rows = tmp_path / "mine.csv"
    rows.write_text("provider,model,effective_from,input_usd_per_mtok,"
                    "cached_input_usd_per_mtok,output_usd_per_mtok,source_url,checked_on,"
                    f"comment\nopenai,gpt-4o,2026-01-01,1,,2,{url},2026-11-23,x\n")
    with pytest.raises(pricing.PriceError, match="column 'source_url'.*not an http"):
        pricing.load_price_table(inference=rows)
    ok = tmp_path / "ok.csv"
    ok.write_text(rows.read_text().replace(url, "our contract: 2026-03"))
    assert pricing.load_price_table(inference=ok).inference_rates(
        "gpt-4o", provider="openai").source_url == "our contract: 2026-03"
