"""The price table: shipped files, validation messages, look-ups, overrides, genai-prices."""

from __future__ import annotations

import math
from datetime import date

import pytest

import pricing
from pricing import PriceError, UnknownModelError, load_price_table
from pricing.names import parse_model_id
from pricing.table import SHIPPED_FILES, _genai_rates, read_shipped

FINETUNE_HEADER = ("provider,base_model,effective_from,train_usd_per_mtok,train_usd_per_hour,"
                   "input_usd_per_mtok,cached_input_usd_per_mtok,output_usd_per_mtok,"
                   "hosting_usd_per_hour,min_charge_usd,max_tokens_per_example,batch_discount,"
                   "source_url,checked_on,comment")


# ---- the shipped table ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(SHIPPED_FILES))
def test_shipped_file_is_valid_sourced_and_sorted(kind):
    rows = read_shipped(kind)
    assert rows, f"{kind}: no rows"
    key = SHIPPED_FILES[kind][2]
    keys = [tuple(str(r[k]) for k in key) for r in rows]
    assert keys == sorted(keys), f"{kind}: rows are not sorted by {key}"
    for r in rows:
        where = f"{kind} row {r['_row']}"
        assert r["source_url"].startswith("https://"), where
        assert isinstance(r["checked_on"], date), where


REQUIRED_OFFERINGS = [("openai", m) for m in
                      ("gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini",
                       "gpt-3.5-turbo")]


@pytest.mark.parametrize("provider, model", REQUIRED_OFFERINGS)
def test_required_offerings_are_priced(provider, model):
    r = pricing.finetune_rates(provider, model)
    assert r.train_usd_per_mtok > 0
    assert r.input_usd_per_mtok > 0 and r.output_usd_per_mtok > 0
    assert r.source_url.startswith("https://") and r.checked_on


def test_openai_gpt41_mini_rates_as_published():
    # OpenAI pricing page, fine-tuning table: training $5 / 1M, tuned model $0.80 in, $3.20 out.
    r = pricing.finetune_rates("openai", "gpt-4.1-mini-2025-04-14")
    assert (r.train_usd_per_mtok, r.input_usd_per_mtok, r.output_usd_per_mtok) == (5.0, 0.8, 3.2)
    assert r.hosting_usd_per_hour == 0


def test_at_least_six_gpu_types_with_sources():
    table = pricing.default_table()
    assert len(table.gpu_names()) >= 6
    rate = table.gpu_rate("H100 80GB")
    assert rate.usd_per_hour > 0 and rate.source_url.startswith("https://")
    assert rate.usd_per_hour == min(r["usd_per_hour"] for r in table.gpus
                                    if r["gpu"] == "H100 80GB")


def test_no_price_is_zero_by_accident():
    """Per-token inference prices of chat models are never 0 (0 would mean 'free')."""
    for r in read_shipped("inference"):
        assert r["input_usd_per_mtok"] > 0, r["model"]
    for r in read_shipped("finetune"):
        # A tuned model is billed per token, or served on a dedicated endpoint by the hour.
        assert r["output_usd_per_mtok"] > 0 or (r["hosting_usd_per_hour"] or 0) > 0, \
            r["base_model"]


# ---- look-ups -------------------------------------------------------------------------------

def test_inference_rates_for_snapshot_prefix_and_ft_ids():
    base = pricing.inference_rates("gpt-4.1-mini")
    assert pricing.inference_rates("gpt-4.1-mini-2025-04-14") == base
    assert pricing.inference_rates("openai/gpt-4.1-mini").input_usd_per_mtok == \
        base.input_usd_per_mtok
    tuned = pricing.inference_rates("ft:gpt-4.1-mini-2025-04-14:acme::abc")
    ft = pricing.finetune_rates("openai", "gpt-4.1-mini")
    assert tuned.input_usd_per_mtok == ft.input_usd_per_mtok
    assert tuned.output_usd_per_mtok == ft.output_usd_per_mtok


def test_inference_falls_back_to_genai_prices_with_batch_discount():
    r = pricing.inference_rates("claude-3-5-haiku")
    assert r.source.startswith("genai-prices")
    assert r.input_usd_per_mtok > 0 and r.output_usd_per_mtok > r.input_usd_per_mtok
    assert r.batch_discount == pricing.default_table().batch_discount("anthropic") == 0.5


def test_unknown_model_lists_closest_names():
    with pytest.raises(UnknownModelError, match="closest known: .*gpt-4o-mini"):
        pricing.inference_rates("gpt-4o-mnii")
    with pytest.raises(UnknownModelError, match="offers no fine-tuning .*closest known: gpt-4.1"):
        pricing.finetune_rates("openai", "gpt-4.2")
    with pytest.raises(UnknownModelError, match="no fine-tuning offerings for provider 'opnai'"):
        pricing.finetune_rates("opnai", "gpt-4.1")
    with pytest.raises(UnknownModelError, match="GPU 'H100'.*closest known: H100 80GB"):
        pricing.gpu_rate("H100")


def test_as_of_picks_the_row_in_force(tmp_path):
    path = tmp_path / "ft.csv"
    path.write_text(FINETUNE_HEADER + "\n"
                    "acme,tiny,2025-01-01,10,,1,,2,0,,,,https://acme.example/p,2026-01-01,\n"
                    "acme,tiny,2025-07-01,6,,1,,2,0,,,,https://acme.example/p,2026-01-01,\n")
    table = load_price_table(finetune=path)
    assert table.finetune_rates("acme", "tiny").train_usd_per_mtok == 6
    assert table.finetune_rates("acme", "tiny", as_of=date(2025, 3, 1)).train_usd_per_mtok == 10
    with pytest.raises(PriceError, match="no fine-tuning price in force on 2024-06-01"):
        table.finetune_rates("acme", "tiny", as_of=date(2024, 6, 1))


def test_override_file_wins_and_names_itself(tmp_path):
    path = tmp_path / "negotiated.csv"
    path.write_text("provider,model,effective_from,input_usd_per_mtok,output_usd_per_mtok,"
                    "source_url\nopenai,gpt-4.1,2026-01-01,1.5,6,contract 2026-01\n")
    table = load_price_table(inference=path)
    r = table.inference_rates("gpt-4.1")
    assert (r.input_usd_per_mtok, r.output_usd_per_mtok) == (1.5, 6.0)
    # No cached column: the shipped cached rate of gpt-4.1 (0.50, OpenAI pricing page) is
    # inherited, and the source says so.
    assert r.cached_input_usd_per_mtok == 0.5
    assert "cached_input_usd_per_mtok inherited from ftroi table (pricing/data/inference.csv" \
        in r.source
    assert "negotiated.csv" in r.source and r.source_url == "contract 2026-01"
    assert pricing.inference_rates("gpt-4.1").input_usd_per_mtok != 1.5  # shipped untouched


# ---- validation messages --------------------------------------------------------------------

@pytest.mark.parametrize("row, message", [
    ("openai,x,2025-01-01,-1,,1,,1,0,,,,https://s,2026-01-01,",
     r"row 1 \(line 2\), column 'train_usd_per_mtok': price -1 is negative"),
    ("openai,x,2025-13-01,1,,1,,1,0,,,,https://s,2026-01-01,",
     r"row 1 \(line 2\), column 'effective_from': '2025-13-01' is not a date"),
    ("openai,x,2025-01-01,abc,,1,,1,0,,,,https://s,2026-01-01,",
     r"row 1 \(line 2\), column 'train_usd_per_mtok': 'abc' is not a number"),
    ("openai,x,2025-01-01,1,2,1,,1,0,,,,https://s,2026-01-01,",
     r"row 1 \(line 2\), column 'train_usd_per_mtok': give exactly one of"),
    ("openai,x,2025-01-01,1,,,,1,0,,,,https://s,2026-01-01,",
     r"row 1 \(line 2\), column 'input_usd_per_mtok': must not be empty"),
    ("openai,x,2025-01-01,1,,1,,1,0,,,1.5,https://s,2026-01-01,",
     r"row 1 \(line 2\), column 'batch_discount': 1.5 is not a share"),
    ("openai,x,2025-01-01,1,,1,,1,0,,,,https://s,2026-01-01",
     r"row 1 \(line 2\): has 14 cells, the header has 15"),
])
def test_broken_rows_name_file_row_and_column(tmp_path, row, message):
    path = tmp_path / "broken.csv"
    path.write_text(FINETUNE_HEADER + "\n" + row + "\n")
    with pytest.raises(PriceError, match=rf"broken\.csv, {message}"):
        load_price_table(finetune=path)


def test_unknown_column_and_duplicate_key_are_refused(tmp_path):
    path = tmp_path / "extra.csv"
    path.write_text("gpu,provider,effective_from,usd_per_hour,source_url,colour\n")
    with pytest.raises(PriceError, match=r"extra\.csv, header, column 'colour': unknown column"):
        load_price_table(gpus=path)
    path.write_text("gpu,provider,effective_from,usd_per_hour,source_url\n"
                    "H100 80GB,acme,2025-01-01,2,https://a\n"
                    "H100 80GB,acme,2025-01-01,3,https://a\n")
    with pytest.raises(PriceError, match=r"row 2 \(line 3\), column 'gpu': duplicate of row 1"):
        load_price_table(gpus=path)
    path.write_text("gpu,provider,usd_per_hour,source_url\n")
    with pytest.raises(PriceError, match="required column 'effective_from' is missing"):
        load_price_table(gpus=path)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(PriceError, match="no such price file"):
        load_price_table(gpus=tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(PriceError, match="the file is empty"):
        load_price_table(gpus=tmp_path / "empty.csv")


# ---- names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, name, alias, provider, ft", [
    ("gpt-4o", "gpt-4o", "gpt-4o", None, False),
    ("gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "gpt-4o", None, False),
    ("gpt-3.5-turbo-0125", "gpt-3.5-turbo-0125", "gpt-3.5-turbo", None, False),
    ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet", None, False),
    (" OpenAI/GPT-4.1 ", "gpt-4.1", "gpt-4.1", "openai", False),
    ("ft:gpt-4o-mini-2024-07-18:acme::abc", "gpt-4o-mini-2024-07-18", "gpt-4o-mini", "openai", True),
    ("meta-llama/Llama-3.1-8B", "meta-llama/llama-3.1-8b", "meta-llama/llama-3.1-8b", None, False),
])
def test_parse_model_id(raw, name, alias, provider, ft):
    m = parse_model_id(raw)
    assert (m.name, m.alias, m.provider, m.finetuned) == (name, alias, provider, ft)


# ---- the local table against genai-prices ----------------------------------------------------

def _disagreements():
    fine_tunable = {r["base_model"] for r in read_shipped("finetune")}
    out = []
    for row in read_shipped("inference"):
        theirs = _genai_rates(parse_model_id(row["model"]), row["provider"], None)
        if theirs is None:
            continue
        for ours_col, their_value in (("input_usd_per_mtok", theirs.input_usd_per_mtok),
                                      ("output_usd_per_mtok", theirs.output_usd_per_mtok)):
            ours = row[ours_col]
            if ours is None or their_value == 0:
                continue
            if not math.isclose(ours, their_value, rel_tol=0.01):
                out.append((row, ours_col, ours, their_value, row["model"] in fine_tunable))
    return out


def test_local_rates_agree_with_genai_prices_or_say_why():
    disagreements = _disagreements()
    for row, col, ours, theirs, tunable in disagreements:
        print(f"{row['provider']}/{row['model']} {col}: table {ours} vs genai-prices {theirs}"
              f" ({'fine-tunable base' if tunable else 'other'})")
    unexplained = [f"{r['provider']}/{r['model']} {c}" for r, c, _, _, tunable in disagreements
                   if tunable and "genai-prices" not in (r["comment"] or "")]
    assert not unexplained, f"disagree with genai-prices without a comment: {unexplained}"


def test_a_resold_model_takes_its_makers_price(tmp_path):
    path = tmp_path / "resellers.csv"
    path.write_text("provider,model,effective_from,input_usd_per_mtok,output_usd_per_mtok,"
                    "source_url\n"
                    "azure,gpt-4.1,2026-01-01,9,9,https://azure.example\n"
                    "openai,gpt-4.1,2026-01-01,2,8,https://openai.example\n")
    table = load_price_table(inference=path)
    assert table.inference_rates("gpt-4.1").provider == "openai"
    assert table.inference_rates("gpt-4.1", provider="azure").input_usd_per_mtok == 9


def test_a_table_keeps_answers_but_an_overridden_copy_asks_afresh(tmp_path):
    """Look-ups are kept on the table (the same frozen answer comes back), a table made with
    overrides never sees the original's answers, and a genai-prices reload makes them stale."""
    import io

    from pricing import genai
    from pricing.table import load_price_table, with_overrides

    table = load_price_table()
    first = table.inference_rates("gpt-4.1")
    assert table.inference_rates("gpt-4.1") is first
    cheaper = with_overrides(table, inference=io.StringIO(
        "provider,model,effective_from,input_usd_per_mtok,output_usd_per_mtok,source_url\n"
        "openai,gpt-4.1,2024-01-01,0.5,2.5,https://example.com/deal\n"))
    assert cheaper.inference_rates("gpt-4.1").input_usd_per_mtok == 0.5
    assert table.inference_rates("gpt-4.1").input_usd_per_mtok == first.input_usd_per_mtok != 0.5
    genai.reload()
    again = table.inference_rates("gpt-4.1")
    assert again is not first and again == first


# ---- a look-up on many days, kept with the table --------------------------------------------------

def test_runs_over_days_start_where_a_compared_rate_changes_and_stop_at_a_gap():
    import io

    from pricing.table import with_overrides
    header = "provider,model,effective_from,effective_until,input_usd_per_mtok," \
             "output_usd_per_mtok,source_url\n"
    rows = "acme,m,2026-01-01,2026-01-31,1,2,u\nacme,m,2026-02-01,2026-02-28,1,3,u\n"
    table = with_overrides(pricing.default_table(), inference=io.StringIO(header + rows))
    days = (date(2026, 1, 15), date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 28),
            date(2026, 3, 1), date(2026, 3, 2))
    runs = table.inference_runs("acme/m", days=days, keys=("output_usd_per_mtok",))
    assert [(i, r.output_usd_per_mtok) for i, r in runs.starts] == [(0, 2), (2, 3)]
    assert runs.stop == 4 and "ended on 2026-02-28" in runs.error
    # the input price never changes: one run until the gap
    runs = table.inference_runs("acme/m", days=days, keys=("input_usd_per_mtok",))
    assert [i for i, _ in runs.starts] == [0] and runs.stop == 4
    # another table with the same model answers from its own rows
    other = with_overrides(pricing.default_table(), inference=io.StringIO(
        header + "acme,m,2026-01-01,,5,6,u\n"))
    runs = other.inference_runs("acme/m", days=days, keys=("output_usd_per_mtok",))
    assert [(i, r.output_usd_per_mtok) for i, r in runs.starts] == [(0, 6)] and runs.stop is None


def test_finetune_runs_follow_the_offering_day_by_day():
    table = pricing.default_table()
    days = (date(2026, 9, 30), date(2026, 12, 7))
    runs = table.finetune_runs("fireworks", "accounts/fireworks/models/qwen3-8b", days=days,
                               keys=("hosting_usd_per_hour",))
    assert [(i, r.hosting_usd_per_hour) for i, r in runs.starts] == [(0, 4.0), (1, 8.0)]
