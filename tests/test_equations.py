"""The cell's equations on Inspect: the numbers rebuilt from a probe satisfy them, and the page shows them."""
import numpy as np
import pytest
import torch

from app_kit import open_page, train_tiny
from rnnlab import equations as eq
from rnnlab.config import ModelConfig
from rnnlab.diagnostics import window_states
from rnnlab.models import build_model

CELLS = ["rnn", "rnn-relu", "lstm", "gru"]


def states(cell: str, hidden: int = 6, steps: int = 12):
    torch.manual_seed(0)
    model = build_model(ModelConfig(cell=cell, hidden=hidden), n_features=1, horizon=1)
    return model, window_states(model, torch.randn(1, steps, 1))


@pytest.mark.parametrize("t", [0, 5, 11])
def test_lstm_cell_state_rebuilt_from_the_gates_is_the_unrolled_one_and_gives_h(t):
    _, s = states("lstm")
    table = eq.step_table("lstm", s["hidden"][-1], s["gates"][-1], t)
    np.testing.assert_allclose(table["c_t"], s["cells"][-1][t], atol=1e-6)
    np.testing.assert_allclose(table["o"] * np.tanh(table["c_t"]), table["h_t"], atol=1e-6)
    if t:
        np.testing.assert_allclose(table["c_{t-1}"], s["cells"][-1][t - 1], atol=1e-6)
    lines = eq.unit_lines("lstm", table.loc[2])
    assert lines[1].endswith(f"= {table.loc[2, 'h_t']:.3f}")  # the written-out numbers give the stored h_t


def test_gru_state_follows_its_update_equation():
    _, s = states("gru")
    for t in (0, 7):
        table = eq.step_table("gru", s["hidden"][-1], s["gates"][-1], t)
        np.testing.assert_allclose((1 - table["z"]) * table["n"] + table["z"] * table["h_{t-1}"], table["h_t"],
                                   atol=1e-6)


@pytest.mark.parametrize("cell", CELLS)
def test_shapes_are_the_torch_tensors_shapes(cell):
    model, _ = states(cell, hidden=6)
    table = eq.shapes(cell, n_inputs=1, hidden=6, horizon=1)
    k = {"rnn": 1, "rnn-relu": 1, "lstm": 4, "gru": 3}[cell]
    assert tuple(model.rnn.weight_ih_l0.shape) == (k * 6, 1) and tuple(model.rnn.weight_hh_l0.shape) == (k * 6, 6)
    assert (table["shape"].str.startswith("6 × 1").sum(), table["shape"].eq("6 × 6").sum()) == (k, k)
    head = table[table["matrix"] == "W_head"]["shape"].item()
    assert head == "1 × 6" and tuple(model.head.weight.shape) == (1, 6)
    if k > 1:  # the stacked tensors, as torch stores them
        assert table.iloc[-1]["shape"] == f"{k * 6} × 1 / {k * 6} × 6"


@pytest.mark.parametrize("cell", CELLS)
def test_inspect_shows_each_cells_equations_and_the_probes_numbers_at_the_chosen_step(app, cell):
    open_page(app, "data")
    app.number_input(key="w_data_length").set_value(300).run()
    open_page(app, "train")
    app.selectbox(key="w_model_cell").set_value(cell)
    train_tiny(app, epochs=1)
    open_page(app, "inspect")
    app.slider(key="eq_step").set_value(3).run()
    assert not app.exception
    probe = app.session_state["job"].snapshot().probes[-1]
    formulas = [x.value.strip("$\n") for x in app.latex]  # st.latex wraps each in $$ ... $$
    for formula, _ in eq.EQUATIONS[cell]:
        assert formula in formulas
    assert eq.HEAD[0] in formulas and (eq.JACOBIANS in formulas) == (cell == "rnn")
    shown = next(d.value for d in app.dataframe if "h_t" in d.value.columns)
    np.testing.assert_allclose(shown["h_t"], probe.hidden[3], rtol=0, atol=0)
    np.testing.assert_allclose(shown["h_{t-1}"], probe.hidden[2], rtol=0, atol=0)
    for gate, values in probe.gates.items():
        np.testing.assert_allclose(shown[gate], values[3], rtol=0, atol=0)
    unit = app.number_input(key="eq_unit").value
    assert any(f"= {probe.hidden[3][unit]:.3f}" in f for f in formulas[-3:])


def test_the_vanishing_lesson_shows_the_product_of_jacobians_its_chart_comes_from(app):
    app.button(key="lesson_vanishing").click().run()
    assert not app.exception
    job = app.session_state["job"]
    job.stop()  # the formula is what this test reads; the run itself is the lesson tests' business
    open_page(app, "train")
    assert eq.JACOBIANS in [x.value.strip("$\n") for x in app.latex]
    assert any("Jacobian" in c.value for c in app.caption)
