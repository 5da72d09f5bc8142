"""The Train page's settings form: model and training widgets, each bound to the widget store."""
import streamlit as st

from rnnlab.config import CELLS, INITS, LOSSES, OPTIMIZERS, SHRINKS, bounds, field_help
from ui import store
from ui.store import bind, key

PROBE_OPTIONS = [-1, 0, 10, 50, 200, 1000]
LEVELS = [0.0, 0.8, 0.9, 0.95, 0.99]  # prediction interval levels offered (0: none)
LRS = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0]
LOSS_WORDS = {"auto": "auto (every step for one series)", "last": "last step of each window",
              "every": "every step of a sequence"}


def number(where, label: str, part: str, name: str, **kw) -> None:
    """A number widget for one config field: its lower bound and help from the field's metadata
    (rnnlab/config.py). No upper bound on the widget: a value past the limit (typed, or from a link)
    gets the config check's message at Train, where a widget past its max would raise instead."""
    kw.setdefault("help", field_help(part, name))
    where.number_input(label, bounds(part, name)[0], None, **bind(key(part, name)), **kw)


def settings_ui() -> None:
    left, right = st.columns(2)
    with left.container(border=True):
        st.markdown("**Model**")
        c = st.columns(3)
        c[0].selectbox("Cell", CELLS, **bind(key("model", "cell")))
        number(c[1], "Hidden units", "model", "hidden")
        number(c[2], "Layers", "model", "layers")
        c = st.columns(3)
        number(c[0], "Dropout", "model", "dropout", step=0.1)
        c[1].selectbox("Initialisation", INITS, **bind(key("model", "init")))
        number(c[2], "W_hh gain", "model", "init_gain", step=0.05,
               help="scale of orthogonal / identity W_hh; above 1 gradients explode")
        c = st.columns([2, 1], vertical_alignment="bottom")
        c[0].checkbox("Linear highway", **bind(key("model", "highway")),
                      help="add a linear autoregression over the lookback, trained with the network "
                           "(LSTNet): the network learns what a linear model misses")
        c[1].selectbox("Shrink", SHRINKS, **bind(key("train", "shrink")),
                       help="auto: a network trained on one series that did worse than simply repeating the "
                            "last value on validation is shrunk toward it after training, whatever the "
                            "scaler (the factor is fitted on validation; 0 = repeat the last value); "
                            "off: keep the trained network as it is")
    with right.container(border=True):
        st.markdown("**Training**")
        c = st.columns(3)
        c[0].selectbox("Optimizer", OPTIMIZERS, **bind(key("train", "optimizer")))
        if store.value(key("train", "lr")) not in LRS:
            store.put(key("train", "lr"), min(LRS, key=lambda v: abs(v - store.value(key("train", "lr")))))
        c[1].select_slider("Learning rate", LRS, **bind(key("train", "lr")), format_func=lambda v: f"{v:g}")
        number(c[2], "Epochs", "train", "epochs")
        c = st.columns(4)
        number(c[0], "Batch size", "train", "batch_size")
        number(c[1], "Clip norm", "train", "clip", step=0.5, help="0 = off")
        number(c[2], "Patience", "train", "patience", help="early stopping; 0 = off")
        number(c[3], "Seed", "train", "seed")
        c = st.columns([1, 1.2, 0.8])
        if store.value(key("train", "interval")) not in LEVELS:
            store.put(key("train", "interval"), min(LEVELS, key=lambda v: abs(v - store.value(key("train", "interval")))))
        c[2].selectbox("Interval", LEVELS, **bind(key("train", "interval")),
                       format_func=lambda v: "off" if v == 0 else f"{v:.0%}", help=field_help("train", "interval"))
        c[0].selectbox("Loss", LOSSES, **bind(key("train", "loss")), format_func=LOSS_WORDS.get,
                       help="every step: the network predicts the next value after every step of longer "
                            "training sequences (one series); last step: only at each window's end")
        if store.value(key("train", "probe_every")) not in PROBE_OPTIONS:
            store.put(key("train", "probe_every"), -1)
        c[1].selectbox("Diagnostics (gradient per time step)", PROBE_OPTIONS, **bind(key("train", "probe_every")),
                     format_func=lambda v: {-1: "auto (≤ 5 % of training time)", 0: "off"}.get(v, f"every {v} steps"),
                     help="probes feed the Inspect page and the gradient-over-time chart")
