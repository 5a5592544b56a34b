"""``ftroi dataset``'s second table: what a training file's data costs from each source.

The file's examples are what a fine-tune would train on. Producing them (and the hold-out
beside them) is priced three ways, with :mod:`simulator.model.datacost`: people write them
(``human``), a teacher model writes the answers (``teacher``: the file shows what it would
read and write, measured with :func:`simulator.model.datasamples.sample_tokens`), or they are taken
from the prompted road's logs (``logs``: only reviews are paid).
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

import pandas as pd

import pricing
from pricing.datasources import output_terms

from ..core.errors import InputError
from ..core.wording import printable
from ..model.datacost import DATA_COMPONENTS, data_usd, holdout_examples
from ..model.datasamples import SampleTokens, sample_tokens
from ..model.scenario import DataConfig, FinetuneConfig, PromptConfig, Rule


def add_data_options(p: argparse.ArgumentParser) -> None:
    """The options of the data-cost table (defaults: the scenario's)."""
    d, f = DataConfig(), FinetuneConfig()
    g = p.add_argument_group("training data (priced for each source)")
    g.add_argument("--teacher", default=PromptConfig().model,
                   help="model that writes the answers (source teacher); default: the "
                        "scenario's prompted model, %(default)s")
    g.add_argument("--teacher-provider", default=None, help="its provider (default: any)")
    g.add_argument("--acceptance-rate", type=float, default=d.acceptance_rate,
                   help="share of generated or logged examples kept (default %(default)s)")
    g.add_argument("--holdout-share", type=float, default=d.holdout_share,
                   help="share of all examples held out for validation and test "
                        "(default %(default)s: 10%% + 10%%)")
    g.add_argument("--labelling-usd-per-example", type=float,
                   default=f.labelling_usd_per_example,
                   help="a person writing one example (default %(default)s USD)")
    g.add_argument("--review-usd-per-example", type=float, default=d.review_usd_per_example,
                   help="a person checking one example (default %(default)s USD)")
    g.add_argument("--teacher-batch-share", type=float, default=0.0,
                   help="share of generation through the batch API (default 0)")


def _check(args: argparse.Namespace) -> None:
    rules = {"acceptance_rate": Rule(hi=1.0, lo_open=True),
             "holdout_share": Rule(hi=1.0, hi_open=True),
             "labelling_usd_per_example": Rule(), "review_usd_per_example": Rule(),
             "teacher_batch_share": Rule(hi=1.0)}
    for name, rule in rules.items():
        rule.check("--" + name.replace("_", "-"), getattr(args, name))


def data_source_costs(n_examples: int, sample: SampleTokens, rates: Any, *,
                      acceptance_rate: float, holdout_share: float,
                      labelling_usd_per_example: float, review_usd_per_example: float,
                      teacher_batch_share: float = 0.0) -> pd.DataFrame:
    """What producing ``n_examples`` to train on (and the hold-out) costs from each source
    [USD], one row per source with the data components (:data:`DATA_COMPONENTS`).

    ``rates``: the teacher's :class:`pricing.InferenceRates`; ``sample``: what it reads and
    writes per example. Review shares are the sources' defaults (0, 0.1, 1).
    """
    holdout = holdout_examples(n_examples, holdout_share)
    rows = []
    for source in ("human", "teacher", "logs"):
        d = DataConfig(source=source)
        p = {"finetune.labelling_usd_per_example": labelling_usd_per_example,
             "finetune.labelling_hours_per_example": 0.0, "hourly_rate_usd": 0.0,
             "data.review_share": d.resolved_review_share,
             "data.review_usd_per_example": review_usd_per_example,
             "data.acceptance_rate": acceptance_rate,
             "data.teacher_input_tokens": sample.input_tokens,
             "data.teacher_output_tokens": sample.output_tokens,
             "data.teacher_input_usd_per_mtok": rates.input_usd_per_mtok,
             "data.teacher_cached_input_usd_per_mtok": rates.cached_input_usd_per_mtok,
             "data.teacher_output_usd_per_mtok": rates.output_usd_per_mtok,
             "data.teacher_cached_share": 0.0, "data.teacher_batch_share": teacher_batch_share,
             "data.teacher_batch_discount": rates.batch_discount,
             "data.judge_input_tokens": 0.0, "data.judge_output_tokens": 0.0,
             "data.judge_input_usd_per_mtok": 0.0, "data.judge_output_usd_per_mtok": 0.0,
             "data.judge_batch_discount": 0.0}
        parts = data_usd(source, float(n_examples), holdout, p)
        total = sum(float(v) for v in parts.values())
        rows.append({"source": source, "trained": n_examples, "held_out": round(holdout),
                     **{COLUMN_NAMES[c]: round(float(parts[c]), 2) for c in DATA_COMPONENTS},
                     "total $": round(total, 2),
                     "$ per trained": round(total / n_examples, 4)})
    return pd.DataFrame(rows)


COLUMN_NAMES = {"labelling": "labelling $", "data_generation": "generation $",
                "data_review": "review $", "holdout": "hold-out $"}
"""The table's heading of each data component [USD]."""


def print_data_costs(args: argparse.Namespace, source: Any, n_examples: int,
                     table: pricing.PriceTable) -> None:
    """Print the data-cost table of a training file (``source``: its path) under
    ``ftroi dataset``'s training table."""
    _check(args)
    try:
        rates = table.inference_rates(args.teacher, provider=args.teacher_provider)
    except pricing.PriceError as exc:
        raise InputError(f"--teacher: {exc}") from None
    sample = sample_tokens(source, args.teacher)
    costs = data_source_costs(
        n_examples, sample, rates, acceptance_rate=args.acceptance_rate,
        holdout_share=args.holdout_share,
        labelling_usd_per_example=args.labelling_usd_per_example,
        review_usd_per_example=args.review_usd_per_example,
        teacher_batch_share=args.teacher_batch_share)
    print(f"\ndata cost of {n_examples} training examples and a "
          f"{args.holdout_share:.0%} hold-out, by source:")
    with pd.option_context("display.width", 250):
        print(costs.to_string(index=False))
    checked = rates.checked_on.isoformat() if rates.checked_on else "undated"
    note = (f"teacher {rates.model} ({rates.provider}): {sample.input_tokens:.0f} tokens in, "
            f"{sample.output_tokens:.0f} out per example (measured from the file"
            + ("" if sample.exact else f"; estimate: {sample.note}") + "), "
            f"{rates.input_usd_per_mtok:g} / {rates.output_usd_per_mtok:g} USD per 1M tokens "
            f"({rates.source_url}, checked {checked}); acceptance {args.acceptance_rate:g}; "
            f"reviews: human 0%, teacher 10%, logs 100% at {args.review_usd_per_example:g} USD")
    print(printable(textwrap.fill(note, width=100, break_long_words=False,
                                  break_on_hyphens=False)))
    terms = output_terms(rates.provider, rates.model)
    if terms is not None and terms.restricts:
        print(printable(textwrap.fill(f"warning: {terms.warning(rates.model)}", width=100,
                                      break_long_words=False, break_on_hyphens=False)))
