"""ftroi prices: a provider for every model, --prices override files, --update (stubbed)."""

from __future__ import annotations

import json
from datetime import date

import pytest

import pricing
from pricing import genai
from simulator.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("model, provider", [("llama-3.1-8b-instruct", "ovhcloud"),
                                             ("mistral-small", "openrouter")])
def test_prices_model_prints_a_provider_and_rates(capsys, model, provider):
    code, out, _ = run(capsys, "prices", "--model", model)
    assert code == 0
    assert f"provider                    {provider}" in out
    assert "input_usd_per_mtok" in out and "only provider carrying it" in out


def test_prices_list_names_the_provider_and_tier(capsys):
    code, out, _ = run(capsys, "prices", "--list", "--provider", "deepseek", "--wide")
    assert code == 0
    line = next(x for x in out.splitlines() if " deepseek-chat " in x)
    assert "0.2700" in line and "1.1000" in line and "standard hours UTC 00:30-16:30" in line
    # without --wide the table fits 100 columns, the long tier cut short with an ellipsis
    code, out, _ = run(capsys, "prices", "--list", "--provider", "deepseek")
    assert max(len(x) for x in out.splitlines()) <= 100
    line = next(x for x in out.splitlines() if " deepseek-chat " in x)
    assert "0.2700" in line and "standard hours" in line and "…" in line


def test_prices_option_on_prices_and_simulate(capsys, tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text("provider,model,effective_from,input_usd_per_mtok,source_url\n"
                   "openai,gpt-4.1,2026-01-01,1.5,contract\n")
    code, out, _ = run(capsys, "prices", "--model", "gpt-4.1", "--prices", str(csv))
    assert code == 0 and "1.5" in out
    # The output column is left out: OpenAI's shipped 8.00 is inherited, never $0.
    assert "output_usd_per_mtok         8.0" in out
    assert "output_usd_per_mtok inherited from" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("colour,size\nred,1\n")
    code, _, err = run(capsys, "prices", "--prices", str(bad))
    assert code == 2 and "not a price file" in err


def test_prices_option_on_simulate(capsys, tmp_path):
    from simulator.model.scenario import example_scenario_text

    scenario = tmp_path / "s.toml"
    scenario.write_text(example_scenario_text())
    csv = tmp_path / "mine.csv"
    csv.write_text("provider,model,effective_from,input_usd_per_mtok,source_url\n"
                   "openai,gpt-6.1-terra,2020-01-01,0.5,contract\n")
    code, _, err = run(capsys, "simulate", str(scenario), "--prices", str(csv),
                         "--as-of", "2026-11-23", "--csv", str(tmp_path / "out"))
    assert code == 0, err
    prices = (tmp_path / "out" / "prices.csv").read_text()
    line = next(x for x in prices.splitlines() if x.startswith("prompt.input_usd_per_mtok"))
    assert "0.5" in line and "mine.csv" in line
    out_line = next(x for x in prices.splitlines() if x.startswith("prompt.output_usd_per_mtok"))
    # genai-prices: gpt-6.1-terra output 5.00 per 1M, inherited
    assert ",5.0," in out_line and "inherited from genai-prices" in out_line


PAYLOAD = [{"id": "acme", "name": "Acme", "api_pattern": "https://acme\\.example",
            "models": [{"id": "acme-small", "match": {"equals": "acme-small"},
                        "prices": {"input_mtok": 1.25, "output_mtok": 5}}]}]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(genai.CACHE_ENV, str(tmp_path / "cache"))
    genai.reload()
    yield tmp_path / "cache"
    monkeypatch.delenv(genai.CACHE_ENV)
    genai.reload()


def test_update_fetches_into_the_cache_that_later_runs_use(cache, capsys, monkeypatch):
    calls = []

    def fake_fetch():
        calls.append(1)
        return json.dumps(PAYLOAD).encode()

    monkeypatch.setattr(genai, "fetch_latest", fake_fetch)
    with pytest.raises(pricing.UnknownModelError):
        pricing.inference_rates("acme-small")
    code, out, _ = run(capsys, "prices", "--update")
    assert code == 0 and calls == [1]
    assert "genai-prices data fetched" in out and str(cache) in out
    genai.reload()  # a later run reads the cache
    r = pricing.inference_rates("acme-small")
    assert (r.provider, r.input_usd_per_mtok, r.output_usd_per_mtok) == ("acme", 1.25, 5.0)
    assert r.source == f"genai-prices data fetched {date.today().isoformat()}"
    assert r.checked_on == date.today()


def test_a_snapshot_older_than_90_days_is_warned_about(cache):
    info = genai.update(fetch=lambda: json.dumps(PAYLOAD).encode(), today=date(2026, 1, 1))
    assert info.fetched_on == date(2026, 1, 1)
    assert info.age_warning(date(2026, 3, 1)) == ""
    assert "334 days older than the start date 2026-12-01" in info.age_warning(date(2026, 12, 1))


def test_a_failed_update_leaves_the_prices_alone(cache, capsys, monkeypatch):
    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(genai, "fetch_latest", offline)
    code, _, err = run(capsys, "prices", "--update")
    assert code == 2 and "could not fetch" in err and "unchanged" in err
    assert not (cache / genai.CACHE_FILE).exists()
    assert pricing.inference_rates("deepseek-chat").input_usd_per_mtok == 0.27
