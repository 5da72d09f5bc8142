"""Data: generate a series or upload a CSV; split, window and scale it; see what the model will see."""
import streamlit as st

from rnnlab import plots
from rnnlab.config import MISSING, SCALERS
from rnnlab.data import PanelData
from rnnlab.data.csv import peek
from rnnlab.data.generators import GENERATORS
from rnnlab.errors import RnnlabError
from rnnlab.experiment import prepare_data
from ui import state
from ui.state import bind, key

SCALER_WORDS = {
    "auto": "picked from the training part only",
    "none": "raw values: a tanh RNN fed values near 50–100 saturates (the Keras tutorial's mistake)",
    "zscore": "subtract the training mean and divide by the training standard deviation",
    "minmax": "map the training range onto [0, 1]; later values outside it go beyond 1",
    "last": "inputs and target relative to each window's last value: the model predicts changes, "
            "so persistence is its zero",
    "diff": "step-to-step changes: the model sees increments and predicts the next ones",
}


def generate_ui() -> None:
    names = list(GENERATORS)
    st.selectbox("Generator", names, **bind(key("data", "generator")),
                 format_func=lambda n: f"{n} — {GENERATORS[n].description}")
    spec = GENERATORS[state.value(key("data", "generator"))]
    cols = st.columns(3)
    if spec.kind == "panel":
        cols[0].number_input("Samples", 20, 100_000, step=100, **bind(key("data", "samples")))
    else:
        cols[0].number_input("Length (points)", 50, 1_000_000, step=100, **bind(key("data", "length")))
    cols[1].number_input("Data seed", 0, 10_000, **bind(key("data", "data_seed")))
    for i, (name, p) in enumerate(spec.params.items()):
        k = f"w_param_{spec.name}__{name}"
        if k not in st.session_state.store:
            state.put(k, p.default)
        cols[(i + 2) % 3].number_input(name, p.low, p.high, **bind(k), help=p.help,
                                       step=1.0 if p.integer else None)


def upload_ui() -> None:
    f = st.file_uploader("CSV file", type=["csv", "txt", "tsv"], key="uploader",
                         help="comma, semicolon or tab; decimal comma; UTF-8 or Latin-1")
    if f is not None and f.getvalue() != st.session_state.csv_bytes:
        st.session_state.csv_bytes, st.session_state.csv_name = f.getvalue(), f.name
        for field in ("column", "date_column"):
            state.put(key("data", field), None)
        state.put(key("data", "inputs"), [])
    if st.session_state.csv_bytes is None:
        st.info("Upload a CSV with a header row; one column of numbers is enough.")
        return
    try:
        head, columns, numeric = peek(st.session_state.csv_bytes)
    except RnnlabError as e:
        st.error(str(e))
        return
    st.caption(f"**{st.session_state.csv_name}** — first rows:")
    st.dataframe(head, hide_index=True, height=180)
    if not numeric:
        st.error("No numeric column found: check that the file holds numbers.")
        return
    if state.value(key("data", "column")) not in numeric:
        state.put(key("data", "column"), numeric[0])
    c = st.columns(3)
    c[0].selectbox("Target column", numeric, **bind(key("data", "column")))
    c[1].selectbox("Date column", [None, *columns], **bind(key("data", "date_column")),
                   format_func=lambda v: "(detect)" if v is None else v)
    c[2].radio("Missing values", MISSING, **bind(key("data", "missing")), horizontal=True)
    others = [n for n in numeric if n != state.value(key("data", "column"))]
    state.put(key("data", "inputs"), [n for n in state.value(key("data", "inputs")) if n in others])
    st.multiselect("Extra input columns", others, **bind(key("data", "inputs")))


def windows_ui(panel: bool) -> None:
    c = st.columns(5)
    c[0].number_input("Lookback L", 1, 5000, **bind(key("data", "lookback")), help="past steps the model sees")
    c[1].number_input("Horizon H", 1, 500, **bind(key("data", "horizon")), disabled=panel,
                      help="future steps predicted at once")
    c[2].slider("Validation share", 0.0, 0.4, step=0.05, **bind(key("data", "val_fraction")))
    c[3].slider("Test share", 0.05, 0.5, step=0.05, **bind(key("data", "test_fraction")))
    c[4].selectbox("Scaler", SCALERS, **bind(key("data", "scaler")))


def main() -> None:
    st.title("Data")
    st.radio("Source", ["Generate", "Upload CSV"], **bind("w_source"), horizontal=True)
    if state.value("w_source") == "Generate":
        generate_ui()
    else:
        upload_ui()
    if state.value("w_source") == "Upload CSV" and st.session_state.csv_bytes is None:
        return
    panel = GENERATORS[state.value(key("data", "generator"))].kind == "panel" \
        and state.value("w_source") == "Generate"
    if panel:
        state.put(key("data", "horizon"), 1)
    windows_ui(panel)
    try:
        cfg = state.config_from_state().validate()
    except RnnlabError as e:
        st.error(str(e))
        return
    data, err = state.current_data(cfg)
    if err:
        st.error(err)
        return
    try:
        prep = prepare_data(cfg.data, data)
    except RnnlabError as e:
        st.error(str(e))
        return
    scaler = prep.scaler.kind
    words = SCALER_WORDS[cfg.data.scaler] + (f": **{scaler}**, because {prep.scaler_reason}."
                                             if cfg.data.scaler == "auto" else ".")
    st.markdown(f"**Scaler {cfg.data.scaler}** — {words}")
    st.caption(f"Windows: {len(prep.train):,} train · {len(prep.val):,} validation · {len(prep.test):,} test"
               + (f" · seasonal period {prep.period}" if prep.period else ""))
    for note in getattr(data, "notes", []):
        st.caption(f"ℹ️ {note}")
    if isinstance(data, PanelData):
        fig = plots.panel_figure(data.x, data.y, title=cfg.data.generator)
    else:
        fig = plots.series_figure(data.target, data.dates, data.names[0], prep.train_end, prep.val_end,
                                  title=data.names[0])
    st.plotly_chart(fig, key="data_chart")


main()
