"""What the training data costs, by where it comes from (docs/method.md, "Training data").

Pure, vectorised functions: every argument may be a float or an array that broadcasts, as in
:mod:`simulator.model.cost`. Three sources of examples (``[data] source``):

``human``
    People write each example: ``cost per example + hours per example × hourly rate``
    (``finetune.labelling_usd_per_example``, ``finetune.labelling_hours_per_example``), plus a
    second person's check on a share of them.
``teacher``
    A large model writes the answers and only a share ``a`` (``acceptance_rate``) is kept, so
    ``needed / a`` examples are generated. Each generated example costs the teacher's tokens
    at its rates (cached input and the batch discount where the scenario says), and, with a
    judge model, the judge's tokens at its rates. A share of the *kept* examples is reviewed
    by a person::

        teacher_usd = (in × (h c_cache + (1-h) c_in) + out × c_out) / 1e6 × (1 - b β)
        judge_usd   = (in_j × c_in_j + out_j × c_out_j) / 1e6 × (1 - b_j β_j)
        per kept example = (teacher_usd + judge_usd) / a × decline + review_share × review_usd

``logs``
    The prompted road's own requests and answers, already paid for: only the review is paid.
    ``needed / a`` logged answers are read (``a`` the share found good enough to keep), each
    at ``review_share × review_usd``.

Hold-out: ``finetune.examples`` is the number trained on; a share ``h`` of everything produced
is held out for validation and test, so ``N × h / (1 − h)`` more examples are produced and paid
like the training examples (:func:`holdout_examples`).

The functions take the number of examples *to produce*, so examples the team already owns can
be subtracted before they are priced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

TOKENS_PER_MTOK = 1e6

DATA_COMPONENTS = ("labelling", "data_generation", "data_review", "holdout")
"""Cost components of the training data, in display order: people writing examples
(``labelling``), teacher and judge tokens (``data_generation``), people checking examples
(``data_review``), and everything the hold-out examples cost (``holdout``)."""


def holdout_examples(examples, holdout_share):
    """Examples held out beside ``examples`` trained on: ``N × h / (1 − h)`` [examples].

    ``h`` is the held-out share of everything produced (0.2 for the 80/10/10 split).

    >>> holdout_examples(800, 0.2)
    200.0
    """
    h = np.asarray(holdout_share, dtype=float)
    out = np.asarray(examples, dtype=float) * h / (1.0 - h)
    return float(out) if out.ndim == 0 else out


def generated_examples(kept, acceptance_rate):
    """Examples a teacher must generate (or logged answers read) to keep ``kept``:
    ``kept / a`` [examples].

    >>> generated_examples(600, 0.75)
    800.0
    """
    out = np.asarray(kept, dtype=float) / np.asarray(acceptance_rate, dtype=float)
    return float(out) if out.ndim == 0 else out


def model_call_usd(input_tokens, output_tokens, input_usd_per_mtok, output_usd_per_mtok, *,
                   cached_share=0.0, cached_input_usd_per_mtok=None, batch_share=0.0,
                   batch_discount=0.0):
    """Cost of one model call at today's prices [USD/call]:
    ``(in × (h c_cache + (1-h) c_in) + out × c_out) / 1e6 × (1 − b β)``.

    ``cached_input_usd_per_mtok`` None: the input rate (no caching discount).

    >>> round(model_call_usd(2000, 500, 2.0, 8.0, batch_share=1.0, batch_discount=0.5), 6)
    0.004
    """
    cached = input_usd_per_mtok if cached_input_usd_per_mtok is None \
        else cached_input_usd_per_mtok
    per_input = cached_share * cached + (1.0 - cached_share) * input_usd_per_mtok
    return ((input_tokens * per_input + output_tokens * output_usd_per_mtok) / TOKENS_PER_MTOK
            * (1.0 - batch_share * batch_discount))


def example_costs(source: str, p: Mapping[str, Any], decline=1.0) -> dict[str, Any]:
    """Cost of one *kept* example, by component [USD/example], for ``source``.

    ``p`` maps field paths to values as :func:`simulator.model.resolve.resolve` makes them
    (``finetune.labelling_usd_per_example``, ``data.review_share``,
    ``data.teacher_input_tokens`` …); ``decline`` multiplies the model tokens (API prices
    that fall over time); people's time does not decline.

    Returns ``{"labelling", "data_generation", "data_review"}``; components a source does not
    pay are 0.
    """
    review = p["data.review_share"] * p["data.review_usd_per_example"]
    zero = 0.0
    if source == "human":
        labelling = (p["finetune.labelling_usd_per_example"]
                     + p["finetune.labelling_hours_per_example"] * p["hourly_rate_usd"])
        return {"labelling": labelling, "data_generation": zero, "data_review": review}
    a = p["data.acceptance_rate"]
    if source == "logs":
        return {"labelling": zero, "data_generation": zero, "data_review": review / a}
    if source != "teacher":
        raise ValueError(f"unknown data source {source!r}")
    teacher = model_call_usd(
        p["data.teacher_input_tokens"], p["data.teacher_output_tokens"],
        p["data.teacher_input_usd_per_mtok"], p["data.teacher_output_usd_per_mtok"],
        cached_share=p["data.teacher_cached_share"],
        cached_input_usd_per_mtok=p["data.teacher_cached_input_usd_per_mtok"],
        batch_share=p["data.teacher_batch_share"], batch_discount=p["data.teacher_batch_discount"])
    judge = model_call_usd(
        p["data.judge_input_tokens"], p["data.judge_output_tokens"],
        p["data.judge_input_usd_per_mtok"], p["data.judge_output_usd_per_mtok"],
        batch_share=p["data.teacher_batch_share"], batch_discount=p["data.judge_batch_discount"])
    return {"labelling": zero, "data_generation": (teacher + judge) / a * decline,
            "data_review": review}


def data_usd(source: str, examples, holdout, p: Mapping[str, Any], decline=1.0, *,
             skip_zero: bool = False, order: str = "C") -> dict[str, Any]:
    """What producing ``examples`` to train on and ``holdout`` held-out examples costs, by
    component [USD] (:data:`DATA_COMPONENTS`).

    ``examples`` and ``holdout`` are the numbers *to produce* (arrays over months are fine);
    the hold-out's whole cost, whatever the source, is the ``holdout`` component.
    ``skip_zero``: leave out the components other than ``labelling`` that are zero in every
    month and draw, found from their two factors (:func:`any_product_nonzero`) before they
    are multiplied. ``order``: the memory layout of a component over draws and months,
    ``"C"`` draws first, ``"F"`` months first (:mod:`simulator.model.cost`).

    >>> p = {"finetune.labelling_usd_per_example": 2.0, "finetune.labelling_hours_per_example": 0.0,
    ...      "hourly_rate_usd": 100.0, "data.review_share": 0.0, "data.review_usd_per_example": 0.5}
    >>> data_usd("human", 800.0, 200.0, p)
    {'labelling': 1600.0, 'data_generation': 0.0, 'data_review': 0.0, 'holdout': 400.0}
    """
    each = example_costs(source, p, decline)
    each["holdout"] = each["labelling"] + each["data_generation"] + each["data_review"]
    counts = {name: holdout if name == "holdout" else examples for name in DATA_COMPONENTS}
    return {name: outer_product(counts[name], each[name], order) for name in DATA_COMPONENTS
            if not skip_zero or name == "labelling"
            or any_product_nonzero(counts[name], each[name])}


def outer_product(x, y, order: str = "C"):
    """``x * y``; made in ``order`` (``"F"``: months first) when it is a new array.

    >>> outer_product(np.array([1.0, 2.0]), np.array([[1.0], [10.0]]), "F").flags.f_contiguous
    True
    """
    return x * y if order == "C" else np.multiply(x, y, order=order)


def any_product_nonzero(x, y) -> bool:
    """``np.any(x * y != 0)`` for finite ``x`` and ``y``; when they broadcast as an outer
    product (a row of months against a column of draws, or a scalar) the product is not
    formed: it has a nonzero entry exactly when each factor has one (short of an underflow
    below about 1e-308).

    >>> any_product_nonzero(np.array([0.0, 2.0]), np.array([[0.0], [3.0]]))
    True
    >>> any_product_nonzero(np.array([0.0, 2.0]), np.array([1.0, 0.0]))  # the same months
    False
    """
    x, y = np.asarray(x), np.asarray(y)
    if np.broadcast(x, y).size == x.size * y.size:
        return bool(np.any(x != 0)) and bool(np.any(y != 0))
    return bool(np.any(x * y != 0))


def logs_examples_per_month(requests, logs_usable_share, acceptance_rate):
    """Examples the logs give in a month: ``V × usable share × a`` [examples/month]."""
    return requests * logs_usable_share * acceptance_rate


def months_to_collect(needed, requests_per_month, logs_usable_share, acceptance_rate):
    """Months of prompted traffic needed to collect ``needed`` kept examples from the logs, at
    a steady ``requests_per_month`` [months]; ``inf`` when the logs give none.

    >>> months_to_collect(750, 60000, 0.01, 0.5)
    2.5
    """
    per_month = logs_examples_per_month(requests_per_month, logs_usable_share, acceptance_rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(np.asarray(per_month) > 0, np.asarray(needed, dtype=float)
                       / np.where(np.asarray(per_month) > 0, per_month, 1.0), np.inf)
    return float(out) if out.ndim == 0 else out
