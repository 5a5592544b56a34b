"""A model is a provider and a name: every listed name prices, hosts, errors that help,
time-of-day and tiered prices."""

from __future__ import annotations

from datetime import date

import pytest

import pricing
from pricing import PriceError, UnknownModelError, genai, load_price_table


@pytest.fixture(scope="module")
def table():
    return pricing.default_table()


# ---- every listed name prices -----------------------------------------------------------------

def test_every_listed_name_prices(table):
    names = table.inference_models()
    assert len(names) > 1500
    failed = []
    for name in names:
        try:
            rates = table.inference_rates(name)
        except PriceError as exc:
            failed.append(f"{name}: {exc}")
            continue
        assert rates.provider and rates.input_usd_per_mtok >= 0, name
    assert not failed, f"{len(failed)} listed names do not price: {failed[:5]}"


def test_every_offer_prices_at_its_provider(table):
    offers = table.inference_offers()
    failed = []
    for provider, model in offers:
        for rates in (table.inference_rates(model, provider=provider),
                      table.inference_rates(f"{provider}/{model}")):
            if rates.provider != provider:
                failed.append(f"{provider}/{model} -> {rates.provider}")
    assert not failed, failed[:5]


@pytest.mark.parametrize("name, provider, rates, why", [
    # genai-prices ovhcloud: the only host of this id (0.11 per 1M in and out)
    ("llama-3.1-8b-instruct", "ovhcloud", (0.11, 0.11, 0.11), "only provider"),
    # genai-prices openrouter: mistral-small 0.20 / 0.60; Mistral's own list lacks the alias
    ("mistral-small", "openrouter", (0.2, 0.2, 0.6), "only provider"),
    # Bedrock's own id for Nova Pro: 0.80 in, 0.20 cached, 3.20 out
    ("amazon.nova-pro-v1:0", "aws", (0.8, 0.2, 3.2), "only provider"),
    # Anthropic and Vertex both list it: the maker wins (0.80 / 0.08 / 4.00)
    ("claude-3-5-haiku", "anthropic", (0.8, 0.08, 4.0), "its maker anthropic chosen"),
])
def test_a_bare_name_goes_to_its_default_host_and_says_why(name, provider, rates, why):
    r = pricing.inference_rates(name)
    assert r.provider == provider
    assert (r.input_usd_per_mtok, r.cached_input_usd_per_mtok, r.output_usd_per_mtok) == rates
    assert why in r.host


def test_most_common_host_when_the_maker_does_not_list_it():
    carriers = ["doubleword", "openrouter", "together"]
    chosen, why = genai.default_host("some-open-model", carriers)
    assert chosen == "openrouter" and "most common host openrouter" in why


def test_provider_and_providers_own_ids(table):
    by_arg = table.inference_rates("llama-3.1-8b-instruct", provider="ovhcloud")
    assert table.inference_rates("ovhcloud/llama-3.1-8b-instruct") == by_arg
    fw = table.inference_rates("accounts/fireworks/models/llama-v3p1-8b-instruct")
    assert (fw.provider, fw.input_usd_per_mtok) == ("fireworks", 0.2)
    assert table.inference_hosts("claude-3-5-haiku") == ["anthropic", "google"]


# ---- errors that help -------------------------------------------------------------------------

def test_errors_never_suggest_the_rejected_name():
    with pytest.raises(UnknownModelError) as info:
        pricing.inference_rates("gpt-4o-mnii")
    tail = str(info.value).split("closest known:")[1]
    assert "gpt-4o-mini" in tail and "gpt-4o-mnii" not in tail


def test_errors_say_which_providers_carry_a_name():
    with pytest.raises(UnknownModelError, match=r"at provider 'openai'; carried by ovhcloud .*"
                                                r"ovhcloud/llama-3.1-8b-instruct"):
        pricing.inference_rates("llama-3.1-8b-instruct", provider="openai")
    with pytest.raises(UnknownModelError, match=r"known providers: openai"):
        pricing.inference_rates("gpt-4o", provider="opnai")


def test_a_date_before_any_price_names_the_first_date():
    with pytest.raises(PriceError, match=r"'text-embedding-3-small' at openai in force on "
                                         r"2020-01-01: the table prices it from 2024-01-01"):
        pricing.inference_rates("text-embedding-3-small", as_of=date(2020, 1, 1))


# ---- time of day and tiers --------------------------------------------------------------------

def test_deepseek_chat_standard_daytime_rates():
    # DeepSeek pricing page (api-docs.deepseek.com/quick_start/pricing): deepseek-chat
    # 0.27 input (cache miss) / 0.07 cache hit / 1.10 output per 1M tokens at standard hours,
    # half that off-peak (UTC 16:30-00:30).
    for as_of in (None, date(2026, 11, 23)):
        r = pricing.inference_rates("deepseek-chat", as_of=as_of)
        assert (r.input_usd_per_mtok, r.cached_input_usd_per_mtok, r.output_usd_per_mtok) == \
            (0.27, 0.07, 1.1)
        assert r.tier.startswith("standard hours UTC 00:30-16:30")
        assert "off-peak rate (0.135 in / 0.55 out) is not used" in r.tier


@pytest.mark.parametrize("model, rates", [
    ("deepseek-chat", (0.27, 0.07, 1.1)),
    ("deepseek-reasoner", (0.55, 0.14, 2.19)),
    ("deepseek-flash", (0.3, 0.006, 1.2)),
    ("deepseek-v4-flash", (0.3, 0.006, 1.2)),
    ("deepseek-v4-pro", (1.32, 0.044, 3.96)),
])
def test_deepseek_time_based_prices_use_standard_hours(model, rates):
    r = pricing.inference_rates(model)
    assert (r.input_usd_per_mtok, r.cached_input_usd_per_mtok, r.output_usd_per_mtok) == rates
    assert r.tier.startswith("standard hours UTC")


def test_every_provider_with_time_based_prices_is_tested():
    timed = {p.id for p in genai.snapshot().providers for m in p.models if genai.is_time_based(m)}
    assert timed == {"deepseek"}, f"add a test for the time-based prices of {timed - {'deepseek'}}"


def test_a_window_applies_only_from_its_start_date():
    # DeepSeek V4 Pro: flat 0.435 / 0.87 before 2026-08-17, peak windows after.
    before = pricing.inference_rates("deepseek-v4-pro", as_of=date(2026, 8, 1))
    assert (before.input_usd_per_mtok, before.output_usd_per_mtok, before.tier) == \
        (0.435, 0.87, "standard")


def test_the_base_tier_is_used_and_named():
    # Anthropic: claude-sonnet-4-5 3 / 15 per 1M up to 200k prompt tokens (6 / 22.50 above).
    r = pricing.inference_rates("claude-sonnet-4-5")
    assert (r.input_usd_per_mtok, r.output_usd_per_mtok) == (3.0, 15.0)
    assert r.tier == "base tier: prompts up to 200,000 tokens (higher rates above)"


# ---- friendly names for fine-tuning -----------------------------------------------------------

@pytest.mark.parametrize("name", ["llama-3.1-8b", "llama-3.1-8b-instruct",
                                  "meta-llama/Llama-3.1-8B-Instruct"])
def test_friendly_names_find_every_provider_that_tunes_the_model(table, name):
    found = {(o.provider, o.model, o.method, o.train_usd_per_mtok)
             for o in table.finetune_offerings(name)}
    # fireworks.ai/pricing up-to-16B LoRA SFT $0.50 per 1M; together.ai/pricing $0.48
    assert found == {
        ("fireworks", "accounts/fireworks/models/llama-v3p1-8b-instruct", "lora-sft", 0.5),
        ("together", "meta-llama/meta-llama-3.1-8b-instruct-reference", "lora-sft", 0.48)}
    assert table.finetune_rates("together", name).train_usd_per_mtok == 0.48
    assert table.finetune_rates("fireworks", name).model == \
        "accounts/fireworks/models/llama-v3p1-8b-instruct"


def test_a_size_band_prices_any_model_in_it(table):
    # Fireworks prices LoRA SFT by size: up to 16B $0.50 per 1M, 16.1-80B $3.00.
    small = table.finetune_rates("fireworks", "llama-3.2-3b-instruct")
    assert (small.model, small.train_usd_per_mtok) == ("llama-3.2-3b-instruct", 0.5)
    assert "fireworks's 0-16B size band" in small.comment and "size band" in small.source
    mid = table.finetune_rates("fireworks", "mistral-small-24b", method="lora-sft")
    assert mid.train_usd_per_mtok == 3.0
    # Together's 17-69B band: LoRA SFT $1.50 per 1M
    assert table.finetune_rates("together", "qwen3-14b").train_usd_per_mtok == 0.48
    assert table.finetune_rates("together", "gemma-3-27b").train_usd_per_mtok == 1.5
    assert {o.provider for o in table.finetune_offerings("llama-3.2-3b")} == \
        {"fireworks", "together"}


def test_no_band_and_no_name_says_who_tunes_it(table):
    with pytest.raises(UnknownModelError, match="offers no fine-tuning for model "
                                                "'llama-3.1-8b'; tuned by fireworks, together"):
        table.finetune_rates("openai", "llama-3.1-8b")
    with pytest.raises(UnknownModelError, match="offers no fine-tuning"):
        table.finetune_rates("together", "gpt-oss-120b")  # 120B: outside Together's bands


# ---- overrides that cannot lose a price --------------------------------------------------------

INFERENCE_COLS = ["provider", "model", "effective_from", "input_usd_per_mtok",
                  "cached_input_usd_per_mtok", "output_usd_per_mtok", "source_url"]
ROW = {"provider": "openai", "model": "gpt-4.1", "effective_from": "2026-01-01",
       "input_usd_per_mtok": "1.5", "cached_input_usd_per_mtok": "0.4",
       "output_usd_per_mtok": "6", "source_url": "contract"}


def _write(path, cols, row):
    path.write_text(",".join(cols) + "\n" + ",".join(row[c] for c in cols) + "\n")
    return path


@pytest.mark.parametrize("left_out", ["cached_input_usd_per_mtok", "output_usd_per_mtok"])
@pytest.mark.parametrize("how", ["column", "cell"])
def test_an_inference_override_inherits_what_it_leaves_out(tmp_path, left_out, how):
    cols = INFERENCE_COLS if how == "cell" else [c for c in INFERENCE_COLS if c != left_out]
    row = dict(ROW, **{left_out: ""})
    table = load_price_table(inference=_write(tmp_path / "mine.csv", cols, row))
    r = table.inference_rates("gpt-4.1")
    # OpenAI pricing page, gpt-4.1: 2.00 in / 0.50 cached / 8.00 out per 1M tokens.
    shipped = {"cached_input_usd_per_mtok": 0.5, "output_usd_per_mtok": 8.0}
    assert getattr(r, left_out) == shipped[left_out]
    assert r.input_usd_per_mtok == 1.5
    assert f"{left_out} inherited from ftroi table (pricing/data/inference.csv" in r.source


def test_an_override_of_a_genai_model_inherits_from_genai_prices(tmp_path):
    cols = [c for c in INFERENCE_COLS if c != "output_usd_per_mtok"]
    row = dict(ROW, provider="deepseek", model="deepseek-chat", input_usd_per_mtok="0.2")
    r = load_price_table(inference=_write(tmp_path / "ds.csv", cols, row)) \
        .inference_rates("deepseek-chat")
    assert (r.input_usd_per_mtok, r.output_usd_per_mtok) == (0.2, 1.1)  # standard hours
    assert "output_usd_per_mtok inherited from genai-prices" in r.source


def test_an_output_price_with_nothing_to_inherit_is_refused(tmp_path):
    cols = [c for c in INFERENCE_COLS if c != "output_usd_per_mtok"]
    path = _write(tmp_path / "new.csv", cols, dict(ROW, provider="acme", model="tiny"))
    with pytest.raises(PriceError, match=r"new\.csv, row 1, column 'output_usd_per_mtok': no "
                                         r"output price given and no shipped price"):
        load_price_table(inference=path)


FINETUNE_OPTIONAL = ["cached_input_usd_per_mtok", "hosting_usd_per_hour", "min_charge_usd",
                     "max_tokens_per_example", "batch_discount", "storage_usd_per_month",
                     "validation_usd_per_mtok"]


@pytest.mark.parametrize("left_out", FINETUNE_OPTIONAL)
def test_a_finetune_override_inherits_each_optional_column(tmp_path, left_out):
    shipped = pricing.finetune_rates("openai", "gpt-4o-mini")
    cols = ["provider", "base_model", "effective_from", "train_usd_per_mtok",
            "input_usd_per_mtok", "output_usd_per_mtok", "source_url", *FINETUNE_OPTIONAL]
    cols.remove(left_out)
    row = {"provider": "openai", "base_model": "gpt-4o-mini", "effective_from": "2026-01-01",
           "train_usd_per_mtok": "2", "input_usd_per_mtok": "0.3", "output_usd_per_mtok": "1.2",
           "source_url": "contract", "cached_input_usd_per_mtok": "0.1",
           "hosting_usd_per_hour": "0", "min_charge_usd": "0", "max_tokens_per_example": "1000",
           "batch_discount": "0", "storage_usd_per_month": "0", "validation_usd_per_mtok": "0"}
    r = load_price_table(finetune=_write(tmp_path / "ft.csv", cols, row)) \
        .finetune_rates("openai", "gpt-4o-mini")
    assert r.train_usd_per_mtok == 2
    expected = getattr(shipped, left_out)
    # OpenAI's gpt-4o-mini fine-tuning row: cached 0.15, 65,536 tokens per example, batch 0.5
    assert getattr(r, left_out) == expected
    if left_out in ("cached_input_usd_per_mtok", "max_tokens_per_example", "batch_discount"):
        assert f"{left_out} inherited from ftroi table" in r.source
