"""The app's Evidence panel (issue 18): eval counts per option and pilot runs in, scenario
fields out; the accuracy sentences and the two evidence charts.

The table logic is plain Python (:func:`counts_frame`, :func:`pilot_frame`,
:func:`evidence_extras`) and is tested without a browser; :func:`panel` and :func:`charts`
draw with streamlit, imported inside them only, so that importing this module (as the tests
do) never loads a UI toolkit. Nothing a user typed is rendered as markdown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import InputError
from ..reports.charts import OPTION_LABELS

EVIDENCE_OPTIONS = ("prompt", "rag", "finetune", "selfhost", "hybrid")
COUNT_COLUMNS = ("right", "graded")
PILOT_COLUMNS = ("examples", "right", "graded")
EVIDENCE_KEYS = tuple(f"{o}.{f}" for o in EVIDENCE_OPTIONS
                      for f in ("eval_correct", "eval_total")) + (
    "finetune.pilot", "finetune.target_accuracy")
"""Scenario fields the panel sets (kept under the app state's ``extras``)."""


def _whole(value: Any) -> int | None:
    """A table cell as a whole number (``None`` when empty); an InputError otherwise."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"evidence: expected a whole number, got {value!r}") from None
    if not np.isfinite(x) or x != int(x):
        raise InputError(f"evidence: expected a whole number, got {value!r}")
    return int(x)


def counts_frame(extras: Mapping[str, Any]) -> pd.DataFrame:
    """One row per option: ``option`` (its label), ``right``, ``graded`` (empty = no eval),
    filled from the scenario's fields."""
    rows = []
    for o in EVIDENCE_OPTIONS:
        k, n = extras.get(f"{o}.eval_correct"), extras.get(f"{o}.eval_total")
        rows.append({"option": OPTION_LABELS[o], "right": k, "graded": n})
    return pd.DataFrame(rows).astype({"right": "Int64", "graded": "Int64"})


def pilot_frame(extras: Mapping[str, Any]) -> pd.DataFrame:
    """The pilot runs as ``examples, right, graded`` (empty when there are none or they are
    given as accuracies, which the panel leaves as they are)."""
    pilot = extras.get("finetune.pilot") or []
    rows = [dict(zip(PILOT_COLUMNS, run)) for run in pilot if len(run) == 3]
    return pd.DataFrame(rows, columns=list(PILOT_COLUMNS)).astype("Int64")


def evidence_extras(extras: Mapping[str, Any], counts: pd.DataFrame, pilot: pd.DataFrame,
                    target_percent: float | None) -> dict[str, Any]:
    """``extras`` with the panel's fields set from its tables: an option's counts where its
    row has a number, the pilot's rows that have one, the target accuracy (0 or None: none).
    Checking (both counts or neither, right ≤ graded, three sizes) is the scenario's."""
    out = {k: v for k, v in extras.items()
           if k not in EVIDENCE_KEYS or (k == "finetune.pilot" and _accuracy_form(v))}
    label_to_option = {v: k for k, v in OPTION_LABELS.items()}
    for _, row in counts.iterrows():
        option = label_to_option.get(row["option"], row["option"])
        k, n = _whole(row["right"]), _whole(row["graded"])
        if k is not None:
            out[f"{option}.eval_correct"] = k
        if n is not None:
            out[f"{option}.eval_total"] = n
    runs = []
    for i, row in pilot.reset_index(drop=True).iterrows():
        cells = [_whole(row[c]) for c in PILOT_COLUMNS]
        if all(c is None for c in cells):
            continue
        if any(c is None for c in cells):
            raise InputError(f"finetune.pilot[{len(runs)}]: fill examples, right and graded "
                             f"(row {i + 1} of the pilot table)")
        runs.append(cells)
    if runs:
        out["finetune.pilot"] = runs
    if target_percent:
        out["finetune.target_accuracy"] = float(target_percent) / 100.0
    return out


def _accuracy_form(pilot: Any) -> bool:
    return bool(pilot) and all(len(run) == 2 for run in pilot)


def _digest(extras: Mapping[str, Any]) -> str:
    """A short fingerprint of the evidence fields in ``extras``."""
    import hashlib

    text = json.dumps({k: extras.get(k) for k in EVIDENCE_KEYS}, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def panel(extras: Mapping[str, Any]) -> dict[str, Any]:
    """Draw the Evidence panel (inside the sidebar expander the app opens) and return the
    ``extras`` its tables describe; a table that cannot be read is reported and left out."""
    import streamlit as st

    st.caption("Graded eval results replace a typed accuracy: for each option, the answers "
               "graded right and in all (the same test set for every option). Pilot "
               "fine-tunes at three or more training-set sizes fit a learning curve that the "
               "tuned model follows month by month.")
    # The tables' keys carry what was loaded, so a newly loaded scenario shows its own rows.
    loaded = _digest(extras)
    counts = st.data_editor(counts_frame(extras), key=f"evidence.counts.{loaded}",
                            hide_index=True,
                            disabled=["option"], width="stretch",
                            column_config={c: st.column_config.NumberColumn(c, min_value=0,
                                                                           step=1)
                                           for c in COUNT_COLUMNS})
    if _accuracy_form(extras.get("finetune.pilot")):
        st.info("This scenario's pilot is given as accuracies; it is used as it is (edit it "
                "in the scenario file).")
    st.text("Pilot runs (examples, right, graded)")
    pilot = st.data_editor(pilot_frame(extras), key=f"evidence.pilot.{loaded}",
                           num_rows="dynamic",
                           hide_index=True, width="stretch",
                           column_config={c: st.column_config.NumberColumn(c, min_value=0,
                                                                          step=1)
                                          for c in PILOT_COLUMNS})
    target = extras.get("finetune.target_accuracy")
    if st.session_state.get("evidence.loaded") != loaded:   # a scenario was (re)loaded
        st.session_state["evidence.loaded"] = loaded
        st.session_state["evidence.target"] = 0.0 if target is None \
            else round(float(target) * 100, 2)
    target_percent = st.number_input(
        "Target accuracy of the fine-tune [%] (0 = none)", min_value=0.0, max_value=100.0,
        step=0.5, key="evidence.target",
        help="The examples the pilot's curve needs to reach it are reported, with their "
             "labelling cost.")
    try:
        return evidence_extras(extras, counts, pilot, target_percent)
    except InputError as exc:
        st.error(str(exc))
        return dict(extras)


def charts(result: Any, focus: str | None = None) -> None:
    """The evidence sentences and charts under the answer, when the scenario has evidence."""
    import streamlit as st

    from ..reports.html_report import evidence_charts

    s = result.summary.set_index("option")
    others = [o for o in s.index if o != result.baseline]
    if not others:
        return
    option = focus if focus in others else str(s.loc[others, "tco_usd"].idxmin())
    figures = evidence_charts(result, option)
    sentences = result.accuracy_sentences(option)
    if not figures and not any("pays for itself" in t for t in sentences):
        return
    st.subheader("Accuracy and the evidence")
    for sentence in sentences:
        st.text(sentence)
    for chart in figures:
        st.plotly_chart(chart.figure, key=f"chart.evidence.{chart.key}")
        st.caption(chart.caption.replace("$", "\\$"))
