"""Inside the network, checked against references: the fused module and plain autograd."""
import numpy as np
import pytest
import torch
from torch import nn

from rnnlab.config import ModelConfig
from rnnlab.diagnostics import (grad_norm_per_step, input_connectivity, make_probe, reading,
                                recurrent_spectrum, saturation, sci, window_states)
from rnnlab.experiment import run_experiment, setup
from rnnlab.job import TrainingJob
from rnnlab.models import build_model, unroll
from rnnlab.train import Probe

CELLS = ["rnn", "rnn-relu", "lstm", "gru"]


def tiny(cell, layers, hidden=6, features=2, seed=0):
    torch.manual_seed(seed)
    return build_model(ModelConfig(cell=cell, hidden=hidden, layers=layers), features, 2).eval()


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_unrolled_twin_matches_fused_module(cell, layers):
    m = tiny(cell, layers)
    x = torch.randn(4, 17, 2)
    u = unroll(m, x)
    out, state = m.rnn(x)
    torch.testing.assert_close(u.y, m(x), atol=1e-5, rtol=0)
    torch.testing.assert_close(u.hidden_matrix(-1), out, atol=1e-5, rtol=0)
    h_n = state[0] if cell == "lstm" else state
    for layer in range(layers):
        torch.testing.assert_close(u.hidden[layer][-1], h_n[layer], atol=1e-5, rtol=0)
        if cell == "lstm":
            torch.testing.assert_close(u.cells[layer][-1], state[1][layer], atol=1e-5, rtol=0)
    assert set(u.gates[0]) == {"lstm": set("ifgo"), "gru": set("rzn")}.get(cell, set())


def reference_grad_norms(m, x, y):
    """Independent reference: torch's nn.*Cell with copied weights, a zero leaf added to every h_t,
    plain autograd for dL/d(leaf) = dL/dh_t."""
    cell_cls = {"rnn": nn.RNNCell, "rnn-relu": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}[m.cell]
    leaves, inp = [], x
    for layer in range(m.num_layers):
        kw = {"nonlinearity": "relu" if m.cell == "rnn-relu" else "tanh"} if m.cell.startswith("rnn") else {}
        cell = cell_cls(inp.shape[-1], m.hidden_size, dtype=x.dtype, **kw)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).data.copy_(getattr(m.rnn, f"{name}_l{layer}").data)
        h = torch.zeros(x.shape[0], m.hidden_size, dtype=x.dtype)
        c = torch.zeros_like(h)
        outs, row = [], []
        for t in range(x.shape[1]):
            if m.cell == "lstm":
                h, c = cell(inp[:, t], (h, c))
            else:
                h = cell(inp[:, t], h)
            leaf = torch.zeros_like(h, requires_grad=True)
            h = h + leaf
            row.append(leaf)
            outs.append(h)
        leaves.append(row)
        inp = torch.stack(outs, 1)
    loss = ((m.head(inp[:, -1]) - y) ** 2).sum()
    flat = [leaf for row in leaves for leaf in row]
    grads = torch.autograd.grad(loss, flat)
    return np.array([[g.norm(dim=1).mean().item() for g in grads[i * x.shape[1]:(i + 1) * x.shape[1]]]
                     for i in range(m.num_layers)])


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
def test_grad_norm_per_step_matches_autograd_reference(cell, layers):
    m = tiny(cell, layers)
    x, y = torch.randn(5, 12, 2), torch.randn(5, 2)
    ours = grad_norm_per_step(m, x, y)
    ref = reference_grad_norms(m, x, y)
    assert ours.shape == (layers, 12)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7)


def test_vanishing_gradient_in_tanh_rnn():
    """Default init, 60-step window: the gradient 30 steps back is < 1e-3 of the last one."""
    torch.manual_seed(0)
    m = build_model(ModelConfig(cell="rnn", hidden=32), 1, 1)
    g = grad_norm_per_step(m, torch.randn(32, 60, 1), torch.randn(32, 1))[0]
    assert g[-31] / g[-1] < 1e-3
    text = reading(g, "rnn")
    assert "vanishes" in text and "step 1 (the window's first step)" in text and "59 steps long" in text
    assert f"is {sci(g[0] / g[-1])} of" in text and "10⁻" in text and "^" not in text
    lagged = reading(g, "rnn", lag=30)
    assert "step 30 (the task's lag (30 steps back))" in lagged and "30 steps long" in lagged


def reference_grad_norms_64(m, x, y):
    """The autograd reference above, run on a float64 copy of the model."""
    import copy
    return reference_grad_norms(copy.deepcopy(m).double(), x.double(), y.double())


def test_long_tanh_window_gradient_stays_positive_and_exact():
    """Lookback 150: the true gradient at the first steps is far below float32's smallest number,
    so a float32 pass reports exact zeros; ours is positive, finite and matches float64 autograd."""
    torch.manual_seed(0)
    m = build_model(ModelConfig(cell="rnn", hidden=32), 1, 1).eval()
    x, y = torch.randn(16, 150, 1), torch.randn(16, 1)
    ours = grad_norm_per_step(m, x, y)[0]
    ref = reference_grad_norms_64(m, x, y)[0]
    assert (ours > 0).all() and np.isfinite(ours).all()
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=0)
    assert (reference_grad_norms(m, x, y)[0] == 0).sum() > 20  # a float32 pass reports zeros (47 here)


def test_exploding_gradient_in_relu_rnn_and_clipping_keeps_it_finite(tiny_config):
    torch.manual_seed(0)
    m = build_model(ModelConfig(cell="rnn-relu", hidden=32, init="identity", init_gain=1.1), 1, 1)
    g = grad_norm_per_step(m, torch.rand(32, 60, 1), torch.randn(32, 1))[0]
    assert g[0] > g[-1] and g[-31] / g[-1] > 10  # grows going back in time
    assert "explodes" in reading(g, "rnn-relu")
    cfg = tiny_config
    cfg.data.lookback, cfg.data.length = 60, 600
    cfg.model.cell, cfg.model.hidden, cfg.model.init, cfg.model.init_gain = "rnn-relu", 32, "identity", 1.1
    cfg.train.optimizer, cfg.train.lr, cfg.train.epochs = "sgd", 1e-2, 3
    cfg.train.clip = 0.0
    unclipped, _ = run_experiment(cfg)
    cfg.train.clip = 1.0
    clipped, _ = run_experiment(cfg)
    assert unclipped.stopped_reason == "diverged"
    assert clipped.stopped_reason == "completed"
    assert all(np.isfinite(h["train_loss"]) for h in clipped.history)


def test_connectivity_matches_autograd():
    m = tiny("gru", 1)
    x = torch.randn(3, 9, 2, requires_grad=True)
    (g,) = torch.autograd.grad(m(x).sum(), [x])
    np.testing.assert_allclose(input_connectivity(m, x.detach()), g.norm(dim=2).mean(0).numpy(), rtol=1e-6)


def test_window_states_saturation_and_spectrum():
    m = tiny("lstm", 2, hidden=4)
    states = window_states(m, torch.randn(1, 7, 2))
    assert states["hidden"][1].shape == (7, 4) and states["cells"][0].shape == (7, 4)
    assert set(states["gates"][0]) == set("ifgo")
    sat = saturation(m, torch.randn(3, 7, 2))
    assert set(sat) == {"i (sigmoid)", "f (sigmoid)", "g (tanh)", "o (sigmoid)"}
    assert all(0 <= v <= 1 for v in sat.values())
    rnn = build_model(ModelConfig(cell="rnn", hidden=5, init="identity", init_gain=0.7), 1, 1)
    spec = recurrent_spectrum(rnn)
    assert spec["main_radius"] == pytest.approx(0.7) and spec["singular"]["W_hh"][0] == pytest.approx(0.7)


def test_trainer_emits_auto_spaced_probes_and_job_keeps_them(tiny_config):
    tiny_config.train.probe_every, tiny_config.train.epochs = -1, 3
    s = setup(tiny_config)
    probe = make_probe(s.tensors["x_val"][:8], s.tensors["y_val"][:8])
    p = probe(s.model, 0)
    assert isinstance(p, Probe) and p.grad_norm_per_t.shape == (1, 20) and p.hidden.shape == (20, 8)
    assert set(p.gates) == set("ifgo") and p.extra["connectivity"].shape == (20,)
    from rnnlab.diagnostics import probe_for_setup
    job = TrainingJob(tiny_config, mode="process", probe_factory=probe_for_setup).start()
    assert job.join(60)
    snap = job.snapshot()
    steps = [pr.step for pr in snap.probes]
    # step 1 (instant feedback) and the final weights; how many in between depends on how fast steps
    # run against a probe (the spacing keeps probes under 5 % of the time: test_probe_schedule_*)
    assert snap.state == "completed" and steps[0] == 1 and steps[-1] == snap.step and len(steps) >= 2
    assert steps == sorted(steps)


def test_probe_cost_is_bounded_before_it_runs(tiny_config):
    """Small models probe 32 windows; large ones fewer; huge ones none, with the reason in words."""
    from rnnlab.diagnostics import PROBE_BATCH, PROBE_MAX_FLOP, probe_flop, probe_for_setup, probe_plan
    assert probe_plan(50, 32, 1, "lstm", 1) == (PROBE_BATCH, None)
    batch, note = probe_plan(200, 256, 2, "gru", 1)
    assert 1 <= batch < PROBE_BATCH and probe_flop(batch, 200, 256, 2, "gru", 1) <= PROBE_MAX_FLOP
    assert f"{batch} window(s)" in note
    batch, note = probe_plan(500, 1024, 4, "lstm", 1)
    assert batch == 0 and "skipped" in note and "GFLOP" in note
    # the lstm flop count by hand: 3 x (2 x 4 gates x 8 x (8 + 1)) per window-step
    assert probe_flop(1, 1, 8, 1, "lstm", 1) == 3 * 2 * 4 * 8 * 9
    tiny_config.data.lookback, tiny_config.data.length = 500, 3000
    tiny_config.model.hidden, tiny_config.model.layers = 1024, 4
    s = setup(tiny_config)
    assert probe_for_setup(s) is None


def test_probe_schedule_auto_keeps_probes_under_the_budget():
    """Auto spacing: a probe at step 1, then the next one after enough steps that the probe costs at
    most PROBE_BUDGET of the training time; a fixed K probes every K steps."""
    from rnnlab.train import PROBE_BUDGET, ProbeSchedule
    s = ProbeSchedule(-1)
    assert s.due(1)
    s.record_step(0.002)
    s.record_probe(1, 0.01)  # a probe as long as 5 steps: 5 / 0.05 = 100 steps later
    assert s.next == 1 + round(0.01 / (PROBE_BUDGET * 0.002)) and not s.due(100) and s.due(101)
    fixed = ProbeSchedule(10)
    fixed.record_probe(10, 5.0)
    assert fixed.next == 20 and not ProbeSchedule(0).due(10**6)
