"""Data: generate a series or upload a CSV; split, window and scale it; see what the model will see."""
import streamlit as st

from rnnlab import plots
from rnnlab.config import DECIMALS, MISSING, SCALERS, THOUSANDS
from rnnlab.data import PanelData
from rnnlab.data.generators import GENERATORS
from rnnlab.errors import RnnlabError
from rnnlab.experiment import resolve_loss
from ui import dataset, recipe, settings, show, store
from ui.forms import number
from ui.store import bind, key

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
    spec = GENERATORS[store.value(key("data", "generator"))]
    cols = st.columns(3)
    if spec.kind == "panel":
        number(cols[0], "Samples", "data", "samples", step=100)
    else:
        number(cols[0], "Length (points)", "data", "length", step=100)
    number(cols[1], "Data seed", "data", "data_seed")
    for i, (name, p) in enumerate(spec.params.items()):
        k = f"w_param_{spec.name}__{name}"
        cast = int if p.integer else float
        if k not in st.session_state.store:
            store.put(k, cast(p.default))
        cols[(i + 2) % 3].number_input(name, cast(p.low), cast(p.high), **bind(k), help=p.help,
                                       step=1 if p.integer else None, format="%d" if p.integer else "%g")


def number_format_ui() -> None:
    with st.expander("Number format (decided per column; override here if a guess is wrong)"):
        c = st.columns(2)
        c[0].selectbox("Decimal mark", DECIMALS, **bind(key("data", "decimal")),
                       format_func=lambda v: {"auto": "auto (per column)"}.get(v, repr(v)))
        c[1].selectbox("Thousands separator", THOUSANDS, **bind(key("data", "thousands")),
                       format_func=lambda v: {"auto": "auto (per column)", "none": "none"}.get(v, repr(v)))


def upload_ui() -> bool:
    """The upload, its load report and the column pickers; False when the file cannot be used."""
    f = st.file_uploader("CSV file", type=["csv", "txt", "tsv"], key="uploader", on_change=dataset.upload_changed,
                         help="any of , ; tab | as delimiter; decimal point or comma; UTF-8, UTF-16 or Windows text")
    if f is not None and f.getvalue() != st.session_state.csv_bytes:
        dataset.new_upload(f.getvalue(), f.name)
    if st.session_state.csv_bytes is None:
        st.info("Upload a CSV with a header row; one column of numbers is enough.")
        return False
    number_format_ui()
    table, err = dataset.csv_table()
    if err:
        st.error(err)
        return False
    st.caption(f"**{st.session_state.csv_name}** — {table.summary()}; first rows:")
    st.dataframe(table.table.head(8), hide_index=True, height=180)
    if not table.numeric:
        st.error("No numeric column found: the file needs at least one column of numbers (check the "
                 "delimiter, or set the number format above).")
        return False
    if store.value(key("data", "column")) not in table.numeric:
        store.put(key("data", "column"), table.default_target())
    c = st.columns(3)
    c[0].selectbox("Target column", table.numeric, **bind(key("data", "column")))
    c[1].selectbox("Date column", ["", *table.columns], **bind(key("data", "date_column")),
                   format_func=lambda v: v or "(none: use row numbers)")
    c[2].radio("Missing values", MISSING, **bind(key("data", "missing")), horizontal=True)
    others = [n for n in table.numeric if n != store.value(key("data", "column"))]
    store.put(key("data", "inputs"), [n for n in store.value(key("data", "inputs")) if n in others])
    st.multiselect("Extra input columns", others, **bind(key("data", "inputs")))
    with st.expander("How each column was read"):
        st.dataframe(table.report_rows(), hide_index=True)
    return True


def windows_ui(panel: bool) -> None:
    c = st.columns(5)
    number(c[0], "Lookback L", "data", "lookback", help="past steps the model sees")
    number(c[1], "Horizon H", "data", "horizon", disabled=panel,
                      help="future steps predicted at once")
    c[2].slider("Validation share", 0.0, 0.4, step=0.05, **bind(key("data", "val_fraction")))
    c[3].slider("Test share", 0.05, 0.5, step=0.05, **bind(key("data", "test_fraction")))
    c[4].selectbox("Scaler", SCALERS, **bind(key("data", "scaler")))


def main() -> None:
    st.title("Data")
    st.radio("Source", ["Generate", "Upload CSV"], **bind("w_source"), horizontal=True)
    if store.value("w_source") == "Generate":
        generate_ui()
    elif not upload_ui():
        return
    panel = GENERATORS[store.value(key("data", "generator"))].kind == "panel" \
        and store.value("w_source") == "Generate"
    if panel:
        store.put(key("data", "horizon"), 1)
    windows_ui(panel)
    try:
        cfg = settings.config_from_state().validate()
    except RnnlabError as e:
        st.error(str(e))
        return
    data, err = dataset.current_data(cfg)
    if err:
        st.error(err)
        return
    recipe.lookback_hint(cfg, data)
    try:
        prep = dataset.prepared(cfg, data)
    except Exception as e:  # noqa: BLE001 - one readable line, never a traceback
        st.error(dataset.readable(e))
        return
    scaler = prep.scaler.kind
    words = SCALER_WORDS[cfg.data.scaler] + (f": **{scaler}**, because {prep.scaler_reason}."
                                             if cfg.data.scaler == "auto" else ".")
    st.markdown(f"**Scaler {cfg.data.scaler}** — {words}")
    try:
        st.caption(f"Loss {cfg.train.loss}: {resolve_loss(cfg, prep)[1]}.")
    except RnnlabError as e:
        st.warning(str(e))
    st.caption(f"Windows: {len(prep.train):,} train · {len(prep.val):,} validation · {len(prep.test):,} test"
               + (f" · seasonal period {prep.period}" if prep.period else ""))
    show.notes(getattr(data, "notes", []))
    if isinstance(data, PanelData):
        fig = plots.panel_figure(data.x, data.y, title=cfg.data.generator)
    else:
        fig = plots.series_figure(data.target, data.dates, data.names[0], prep.train_end, prep.val_end,
                                  title=data.names[0])
    st.plotly_chart(fig, key="data_chart")


main()
