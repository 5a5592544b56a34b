"""The app's "Training data" panel: where the examples come from, and what they cost beside
the training run.

Plain Python for ``app.py`` to call: it never imports streamlit; the two drawing functions
take the page's streamlit module (``st``) as an argument, so this file stays importable (and
testable) without a UI. The ``[data]`` fields travel in the page state's ``extras`` (the
scenario fields no core widget covers): :func:`sync_widgets` sets the widgets from them when
a scenario or link brings new ones, :func:`extras_with_data` writes the widgets back before
the scenario is built. Text from the user or a file is shown with ``st.text``/``st.warning``
(never as markdown).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import numpy as np
import pandas as pd

from ..model.datacost import DATA_COMPONENTS
from ..model.scenario import DATA_SOURCES, DEFAULT_REVIEW_SHARE, DataConfig
from ..reports import charts
from .state import as_text

SOURCE_LABELS = {"human": "People write them",
                 "teacher": "A teacher model writes them",
                 "logs": "Taken from the prompted road's logs"}

DEFAULTS = {f"data.{name}": getattr(DataConfig(), name)
            for name in ("source", "holdout_share", "review_usd_per_example",
                         "acceptance_rate", "teacher_batch_share", "logs_usable_share")}
"""Widget key -> default (scenario units), from :class:`~simulator.model.scenario.DataConfig`."""

KEYS = (*DEFAULTS, "data.teacher_model", "data.review_share")
"""Every widget key of the panel (also the scenario field paths they edit)."""

SHARES = ("data.holdout_share", "data.acceptance_rate", "data.teacher_batch_share",
          "data.logs_usable_share", "data.review_share")
"""Widgets shown in percent."""

SYNC_KEY = "appdata.synced"


def _from_extras(extras: Mapping[str, Any]) -> dict[str, Any]:
    """The panel's values (scenario units) in ``extras``, defaults where absent."""
    out = {k: extras.get(k, v) for k, v in DEFAULTS.items()}
    out["data.teacher_model"] = extras.get("data.teacher_model") or ""
    review = extras.get("data.review_share")
    out["data.review_share"] = (DEFAULT_REVIEW_SHARE[out["data.source"]] if review is None
                                else review)
    return out


def widget_values(extras: Mapping[str, Any]) -> dict[str, Any]:
    """Widget key -> widget value (shares in percent) for the ``[data]`` fields in
    ``extras``."""
    return {k: (100.0 * float(v) if k in SHARES else v)
            for k, v in _from_extras(extras).items()}


def sync_widgets(session: MutableMapping[str, Any]) -> None:
    """Set the panel's widgets from ``session["extras"]`` the first time, and again whenever
    a restored scenario or a link brought other ``[data]`` values."""
    extras = session.get("extras") or {}
    current = {k: extras.get(k) for k in KEYS}
    if session.get(SYNC_KEY) != current or any(k not in session for k in KEYS):
        session.update(widget_values(extras))
        session[SYNC_KEY] = current


def extras_with_data(extras: Mapping[str, Any] | None, widgets: Mapping[str, Any]
                     ) -> dict[str, Any]:
    """``extras`` with the ``[data]`` fields the widgets hold (scenario units). A review share
    equal to the source's default is left out, so that it follows the source."""
    out = {k: v for k, v in (extras or {}).items() if not k.startswith("data.")}
    for key, default in DEFAULTS.items():
        value = widgets.get(key, default)
        out[key] = float(value) / 100.0 if key in SHARES else value
    source = out["data.source"]
    review = float(widgets.get("data.review_share", 100.0 * DEFAULT_REVIEW_SHARE[source])) / 100
    if abs(review - DEFAULT_REVIEW_SHARE[source]) > 1e-12:
        out["data.review_share"] = review
    teacher = (widgets.get("data.teacher_model") or "").strip()
    if teacher:
        out["data.teacher_model"] = teacher
    for key, value in (extras or {}).items():   # fields the panel does not draw travel on
        if key.startswith("data.") and key not in KEYS:
            out[key] = value
    return out


def data_vs_training(result: Any) -> pd.DataFrame:
    """Per option that trains: the data set's cost beside the training run's (with its
    evaluation), at the start (month 0) and over the horizon [USD]."""
    rows = []
    for option, comps in result.costs.items():
        if "training" not in comps:
            continue
        data = sum((np.asarray(comps[c]) for c in DATA_COMPONENTS if c in comps),
                   np.zeros(np.shape(comps["training"])))
        train = np.asarray(comps["training"]) + np.asarray(comps.get("evaluation", 0.0))
        rows.append({"option": charts.label(option),
                     "data set, first [USD]": float(data[..., 0].sum()),
                     "training run, first [USD]": float(train[..., 0].sum()),
                     "data, whole horizon [USD]": float(data.sum()),
                     "training, whole horizon [USD]": float(train.sum())})
    return pd.DataFrame(rows)


def draw_sidebar(st: Any, models: Iterable[str]) -> None:
    """The sidebar expander choosing where the examples come from (``st``: the page's
    streamlit module)."""
    sync_widgets(st.session_state)
    with st.expander("Training data"):
        st.radio("Where the examples come from", DATA_SOURCES, key="data.source",
                 format_func=SOURCE_LABELS.get,
                 help="People write each example (labelling price above); a large model "
                      "writes the answers and the good ones are kept; or the prompted road's "
                      "own requests and answers are taken from its logs (only the review is "
                      "paid).")
        source = st.session_state["data.source"]
        st.slider("Held out for validation and test", 0.0, 50.0, step=1.0,
                  key="data.holdout_share", format="%d%%",
                  help="Share of all examples kept out of training (80/10/10: 20%); produced "
                       "and paid like the training examples.")
        if source == "teacher":
            choices = ["", *sorted(models)]
            if st.session_state["data.teacher_model"] not in choices:
                choices.append(st.session_state["data.teacher_model"])
            st.selectbox("Teacher model", choices, key="data.teacher_model",
                         format_func=lambda m: m or "the prompted model",
                         help="The model that writes the answers, at its rates from the "
                              "price table.")
            st.slider("Generated through the batch API", 0.0, 100.0, step=5.0,
                      key="data.teacher_batch_share", format="%d%%")
        if source in ("teacher", "logs"):
            st.slider("Answers kept", 1.0, 100.0, step=1.0, key="data.acceptance_rate",
                      format="%d%%", help="Share of generated (or logged) answers good "
                                          "enough to train on.")
        if source == "logs":
            st.slider("Requests usable as examples", 0.0, 100.0, step=0.5,
                      key="data.logs_usable_share", format="%.1f%%",
                      help="Consent, privacy and topic: the share of served requests that "
                           "may become training examples.")
        st.slider("Examples a person checks", 0.0, 100.0, step=5.0, key="data.review_share",
                  format="%d%%", help="Default: none of a person's own examples, one in ten "
                                      "of a teacher's, every one taken from the logs.")
        st.number_input("One check by a person [USD]", 0.0, 1_000.0, step=0.1,
                        key="data.review_usd_per_example", format="%.2f")


def draw_panel(st: Any, result: Any) -> None:
    """The data set's cost beside the training run, the warnings, and the chart where data,
    training, inference and people stand side by side."""
    source = result.scenario.data.source
    st.subheader("Training data")
    st.text(f"Source: {SOURCE_LABELS[source]} ({source}); "
            f"{result.scenario.data.holdout_share:.0%} held out for validation and test.")
    for warning in result.warnings:
        st.warning(as_text(warning))    # names and addresses from files and the user
    frame = data_vs_training(result)
    if not frame.empty:
        st.dataframe(frame, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(c, format="dollar")
            for c in frame.columns if "[USD]" in str(c)})
    st.plotly_chart(charts.cost_groups(result), key="chart.groups")
