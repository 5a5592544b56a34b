"""ftroi in the browser: ``streamlit run app.py``.

This file only wires widgets to the core (``simulator``, ``pricing``); no model logic here.
"""

from __future__ import annotations

import streamlit as st

import pricing
from simulator import tokens
from simulator.errors import InputError

st.set_page_config(page_title="ftroi: fine-tune or keep prompting?", layout="wide")


@st.cache_resource(max_entries=1)
def price_table() -> pricing.PriceTable:
    return pricing.default_table()


@st.cache_data(max_entries=256)
def count(text: str, model: str) -> tuple[int, bool, str]:
    n = tokens.count_tokens(text, model)
    return int(n), n.exact, n.note


st.title("ftroi: fine-tune or keep prompting?")
tab_tokens, tab_prices = st.tabs(["Tokens", "Prices"])

with tab_tokens:
    model = st.text_input("Model", value="gpt-4.1", key="tokens_model",
                          help="Any model id: dated snapshots, provider prefixes and ft: ids work.")
    text = st.text_area("System prompt and few-shot examples", key="tokens_text", height=200,
                        placeholder="Paste the prompt you send on every request…")
    if not text.strip():
        st.info("Paste a prompt to count its tokens.")
    else:
        try:
            n, exact, note = count(text, model)
        except InputError as exc:
            st.error(str(exc))
        else:
            st.metric("Tokens", f"{n:,}" if exact else f"~{n:,}")
            if not exact:
                st.caption(note)

with tab_prices:
    table = price_table()
    st.subheader("Fine-tuning offerings")
    st.dataframe(table.frame("finetune"), hide_index=True)
    st.subheader("GPU prices (one GPU, on demand)")
    st.dataframe(table.frame("gpus"), hide_index=True)
