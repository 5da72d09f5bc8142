"""Figure builders: decimation for drawing, pooled heatmaps, projector-size fonts."""
import numpy as np

from rnnlab import plots
from rnnlab import plots_inside as pi


def test_decimate_keeps_extremes_and_limit():
    y = np.sin(np.linspace(0, 200, 100_000))
    y[12_345] = 50.0  # a spike must survive
    x, yd = plots.decimate(np.arange(len(y)), y, n_out=2000)
    assert len(yd) <= 2000 and yd.max() == 50.0 and x[np.argmax(yd)] == 12_345


def test_series_figure_says_it_is_decimated():
    fig = plots.series_figure(np.random.default_rng(0).normal(size=50_000), train_end=35_000, val_end=40_000)
    assert len(fig.data[0].y) <= plots.MAX_POINTS
    assert "drawn with" in fig.layout.title.text
    assert fig.layout.font.size >= 16 and fig.layout.xaxis.tickfont.size >= 16


def test_loss_figure_has_log_axis_and_baseline():
    hist = [{"epoch": 1, "train_loss": 1.0, "val_loss": 1.2}, {"epoch": 2, "train_loss": 0.5, "val_loss": 0.7}]
    fig = plots.loss_figure(hist, [1, 2, 3, 4], [1.2, 0.9, 0.6, 0.5], 2.0, baseline_val=0.8)
    assert fig.layout.yaxis.type == "log"
    assert [t.name for t in fig.data] == ["batch loss", "train (epoch mean)", "validation", "persistence (val)"]


def test_the_loss_title_names_the_scale_only_when_it_is_known():
    """A run's first page can come before the server knows its scaler: "scaled" would be wrong for a
    run without scaling (the Keras lesson), so the title names no scale then."""
    title = lambda scaler: plots.loss_figure([], scaler=scaler).layout.title.text  # noqa: E731
    assert title(None) == "Loss (MSE)"
    assert title("none") == "Loss (MSE, raw units)" and title("standard") == "Loss (MSE, standard-scaled)"


def test_pool_means_blocks():
    z = np.arange(12.0).reshape(4, 3)
    pooled, fr, fc = pi.pool(z, 2, 3)
    assert (fr, fc) == (2, 1)
    np.testing.assert_allclose(pooled, [[1.5, 2.5, 3.5], [7.5, 8.5, 9.5]])


def test_big_heatmaps_are_pooled_and_say_so():
    hidden = np.random.default_rng(0).normal(size=(2000, 512))  # 2000 steps, 512 units
    fig = pi.hidden_heatmap(hidden[:, 0], hidden)
    z = np.asarray(fig.data[1].z)
    assert z.shape[0] <= pi.MAX_UNITS and z.shape[1] <= pi.MAX_T
    assert "means of 4 steps and 2 units" in fig.layout.title.text
    gates = {k: np.random.default_rng(1).uniform(size=(700, 10)) for k in "ifgo"}
    fig = pi.gate_heatmaps(gates, cell_state=np.zeros((700, 10)))
    assert len(fig.data) == 5 and "means of 2 steps" in fig.layout.title.text


def test_grad_history_heatmap_shape():
    grads = [np.logspace(-6, 0, 60)[None, :] * (1 + i) for i in range(5)]
    fig = pi.grad_history_heatmap([1, 10, 20, 30, 40], grads)
    z = np.asarray(fig.data[0].z)
    assert z.shape == (5, 60) and z[0, -1] == 0.0 and round(z[0, 0]) == -6


def test_log_axis_labels_stay_readable_over_many_decades_and_within_one():
    from rnnlab.plots import log_axis
    import plotly.graph_objects as go

    wide = go.Figure()
    log_axis(wide, np.logspace(-14, 0, 60))
    assert wide.layout.yaxis.type == "log" and wide.layout.yaxis.dtick == 3  # ~5 labels, not 15
    narrow = go.Figure()
    log_axis(narrow, [0.3, 0.7, 1.4, 1.9, None])
    assert list(narrow.layout.yaxis.ticktext) == ["0.2", "0.5", "1", "2"]


def test_tune_figure_draws_persistence_as_the_bar():
    from rnnlab.trials import TrialRow
    rows = [TrialRow(0, {}, "complete", 2.0), TrialRow(1, {}, "pruned", 5.0), TrialRow(2, {}, "complete", 1.0)]
    fig = plots.tune_figure(rows, [(0, 2.0), (2, 1.0)], persistence=1.5)
    bar = next(t for t in fig.data if t.name == "persistence (val)")
    assert list(bar.x) == [0, 2] and list(bar.y) == [1.5, 1.5]
    assert not any(t.name == "persistence (val)" for t in plots.tune_figure(rows, [], None).data)


def test_the_cut_template_looks_like_plotly_white_on_every_part_a_2d_chart_reads():
    """plots.template() drops only the 3-D, map, polar and ternary parts of "plotly_white" (and trace
    kinds rnnlab never draws): everything else in a drawn figure is the same."""
    import plotly.io as pio
    full = pio.templates["plotly_white"].to_plotly_json()
    cut = plots.template().to_plotly_json()
    dropped = set(full["layout"]) - set(cut["layout"])
    assert dropped == {"geo", "polar", "scene", "ternary"} | ({"mapbox"} & set(full["layout"]))
    assert all(cut["layout"][k] == v for k, v in full["layout"].items() if k not in dropped)
    assert set(cut["data"]) == {"scatter", "bar", "heatmap"}
    assert all(cut["data"][k] == full["data"][k] for k in cut["data"])
    fig = plots.loss_figure([{"epoch": 1, "train_loss": 1.0, "val_loss": 2.0}], [1, 2], [1.0, 0.5])
    assert fig.layout.template.layout.plot_bgcolor == "white"
    assert fig.layout.template.layout.xaxis.gridcolor == full["layout"]["xaxis"]["gridcolor"]


def test_validating_a_figure_again_changes_nothing():
    """_layout skips Plotly's validation of the layout it builds: every kind of figure must come out
    the same when Plotly validates it (a wrong property name or value would raise or change here)."""
    import json

    import plotly.graph_objects as go

    from rnnlab import compare
    r = np.random.default_rng(0)
    hist = [{"epoch": i + 1, "train_loss": 1 / (i + 1), "val_loss": 1.2 / (i + 1)} for i in range(5)]
    figs = [plots.series_figure(r.normal(size=300), train_end=200, val_end=250),
            plots.panel_figure(r.normal(size=(20, 10, 1)), r.normal(size=(20, 1))),
            plots.loss_figure(hist, list(range(1, 50)), list(r.random(49)), 10, 0.5, "minmax"),
            plots.grad_norm_figure(list(range(1, 50)), list(r.random(49)), 1.0),
            plots.prediction_figure(np.arange(60), r.normal(size=60), {"model": r.normal(size=60)}, 30, 45,
                                    band=(r.normal(size=60) - 1, r.normal(size=60) + 1)),
            plots.horizon_figure({"model": [{"step": 1, "mae": 1.0}, {"step": 2, "mae": 1.2}]}),
            plots.residual_figure(np.arange(50), r.normal(size=50)),
            plots.forecast_figure(r.normal(size=50), r.normal(size=10), halfwidth=np.ones(10)),
            pi.hidden_heatmap(r.normal(size=(30, 1)), r.normal(size=(30, 8))),
            pi.gate_heatmaps({k: r.random((30, 8)) for k in "ifgo"}, r.normal(size=(30, 8))),
            pi.grad_over_time(r.random(50)), pi.grad_history_heatmap([1, 2], [r.random(50), r.random(50)]),
            pi.connectivity_figure(r.random(20)), pi.spectrum_figure([1, 2], [{"l0": 1.0}, {"l0": 1.1}]),
            compare.compare_loss_figure({"lstm": hist, "gru": hist}), compare.compare_grad_figure({"lstm": r.random(20)})]
    for fig in figs:
        assert json.loads(go.Figure(fig.to_dict()).to_json()) == json.loads(fig.to_json()), fig.layout.title.text
