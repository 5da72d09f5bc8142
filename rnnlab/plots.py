"""Plotly figure builders: arrays in, go.Figure out. Big fonts, so charts read on a projector.

Long series are decimated for drawing only (MinMaxLTTB from tsdownsample), never for training.
"""
from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go

MAX_POINTS = 4000  # per trace: SVG stays smooth (WebGL is slow where the browser has no GPU)
LIVE_POINTS = 400  # per trace in charts redrawn while training: cheap for the browser to redraw
FONT = dict(size=16)
PART_COLORS = {"train": "rgba(31,119,180,0.07)", "val": "rgba(255,165,0,0.15)", "test": "rgba(44,160,44,0.15)"}
COLORS = {"true": "#444444", "model": "#d62728", "train": "#1f77b4", "val": "#ff7f0e", "base": "#7f7f7f"}


def decimate(x: np.ndarray, y: np.ndarray, n_out: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Keep at most n_out points that preserve the shape (peaks included) of a long trace."""
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x)
    if len(y) <= n_out:
        return x, y
    finite = np.isfinite(y)
    if not finite.all():
        idx = np.linspace(0, len(y) - 1, n_out).astype(int)
        return x[idx], y[idx]
    try:
        from tsdownsample import MinMaxLTTBDownsampler
        idx = MinMaxLTTBDownsampler().downsample(y, n_out=n_out)
    except ImportError:  # optional dependency: fall back to min/max per bucket
        edges = np.linspace(0, len(y), n_out // 2 + 1).astype(int)
        idx = np.unique(np.concatenate([[a + np.argmin(y[a:b]), a + np.argmax(y[a:b])]
                                        for a, b in zip(edges[:-1], edges[1:]) if b > a]))
    return x[idx], y[idx]


@functools.cache
def template() -> go.layout.Template:
    """Plotly's "plotly_white" cut to what 2-D charts read (no 3-D, map, polar or ternary parts) and
    the three trace kinds rnnlab draws; built once. Naming the full template cost ~20 ms of validation
    per figure (~0.2 s on a busy 2-core server, three figures per live redraw); this one ~5 ms, and
    the charts look the same (tests/test_plots.py)."""
    import plotly.io as pio
    white = pio.templates["plotly_white"]
    layout = {k: v for k, v in white.layout.to_plotly_json().items()
              if k not in ("geo", "mapbox", "polar", "scene", "ternary")}
    return go.layout.Template(layout=layout, data={kind: white.data[kind] for kind in ("scatter", "bar", "heatmap")})


def _merge(base: dict, extra: dict) -> dict:
    """base with extra's values, nested dicts merged (extra wins)."""
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str, height: int = 420) -> go.Figure:
    """Title, fonts, margins, legend and the template, as one layout. The figure's last step: the one
    returned is not validated again (validating the layout and its template cost 10-40 ms per figure,
    three figures per live redraw); tests/test_plots.py checks that validating changes nothing."""
    layout = _merge(fig.layout.to_plotly_json(), dict(
        title=dict(text=title, font=dict(size=20)), font=FONT, height=height,
        margin=dict(l=70, r=20, t=60, b=105), template=template(),
        # legend under the x axis: at 1280 x 720 a legend beside the title overlapped it
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, font=dict(size=15),
                    xanchor="left", x=0.0),
        hovermode="x unified"))
    axes = [k for k in layout if k.startswith(("xaxis", "yaxis"))]
    for name in {*axes, "xaxis", "yaxis"}:  # every axis of a subplot grid, as update_xaxes did
        layout[name] = _merge(layout.get(name, {}), dict(tickfont=FONT, title=dict(font=dict(size=17))))
    layout["xaxis"]["title"]["text"], layout["yaxis"]["title"]["text"] = x_title, y_title
    return go.Figure(data=fig.data, layout=layout, _validate=False)


def log_axis(fig: go.Figure, values, axis: str = "y") -> None:
    """A log axis whose labels stay readable: over many decades one label per one or more decades
    (10^-14 ... 10^0, at most ~7 labels); within two decades plain 1-2-5 values (0.2, 0.5, 1, 2),
    not Plotly's bare minor digits."""
    v = np.asarray([x for x in np.ravel(np.asarray(values, dtype=object)) if x is not None], dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    if not v.size:
        update(type="log")
        return
    lo, hi = float(v.min()), float(v.max())
    decades = np.log10(hi / lo)
    if decades >= 2:
        update(type="log", exponentformat="power", dtick=int(np.ceil(decades / 6)))
        return
    ticks = [m * 10.0 ** e for e in range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
             for m in (1, 2, 5) if lo / 1.6 <= m * 10.0 ** e <= hi * 1.6]
    update(type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])


def shade_parts(fig: go.Figure, x_axis, train_end: int, val_end: int) -> None:
    """Shade train / val / test regions of a series chart (x_axis: the full x values)."""
    n = len(x_axis)
    spans = [("train", 0, train_end), ("val", train_end, val_end), ("test", val_end, n)]
    for name, a, b in spans:
        if b <= a or a >= n:
            continue
        fig.add_vrect(x0=x_axis[a], x1=x_axis[min(b, n) - 1], fillcolor=PART_COLORS[name], line_width=0,
                      layer="below", annotation_text=name, annotation_position="top left",
                      annotation_font_size=15)


def series_figure(values: np.ndarray, x_axis=None, name: str = "value", train_end: int | None = None,
                  val_end: int | None = None, title: str = "Series", unit: str = "") -> go.Figure:
    """The target series with the chronological split shaded."""
    y = np.asarray(values, dtype=np.float64)
    x = np.arange(len(y)) if x_axis is None else np.asarray(x_axis)
    xs, ys = decimate(x, y)
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines", name=name, line=dict(color=COLORS["true"], width=1.5)))
    if train_end is not None and val_end is not None:
        shade_parts(fig, x, train_end, val_end)
    note = f" (drawn with {len(xs):,} of {len(y):,} points)" if len(xs) < len(y) else ""
    return _layout(fig, title + note, "date" if x_axis is not None else "time step",
                   f"{name} {unit}".strip())


def panel_figure(x: np.ndarray, y: np.ndarray, n_show: int = 12, title: str = "Samples") -> go.Figure:
    """A few independent windows (panel data): input path as a line, the target as a dot."""
    fig = go.Figure()
    n_show = min(n_show, len(x))
    lookback = x.shape[1]
    for i in range(n_show):
        fig.add_trace(go.Scatter(x=np.arange(lookback), y=x[i, :, 0], mode="lines", showlegend=i == 0,
                                 name="inputs", line=dict(width=1.5, color=COLORS["train"]), opacity=0.6))
        fig.add_trace(go.Scatter(x=[lookback], y=[y[i, 0]], mode="markers", showlegend=i == 0,
                                 name="target", marker=dict(size=9, color=COLORS["model"])))
    return _layout(fig, f"{title}: {n_show} of {len(x):,} independent samples", "time step in window", "value")


def loss_units(scalers: list[str | None]) -> str | None:
    """What a loss axis measures, from the scalers (resolved kinds) of the runs drawn on it; short,
    for a half-width chart's title. None while no kind is known (runs still queued or starting, whose
    setup is not built yet): "scaled" would be wrong for a run without scaling."""
    kinds = {k for k in scalers if k}
    if len(kinds) > 1:
        return "scales differ: " + ", ".join(sorted(kinds))
    if not kinds:
        return None
    (kind,) = kinds
    return "raw units" if kind == "none" else f"{kind}-scaled"


def loss_figure(history: list[dict], steps=None, losses=None, steps_per_epoch: float = 1.0,
                baseline_val: float | None = None, scaler: str | None = None) -> go.Figure:
    """Train / validation loss per epoch (log scale), the batch loss faint behind it, and the
    persistence baseline's validation loss as a dashed line: the bar a model must get under."""
    fig = go.Figure()
    if steps is not None and len(steps):
        xs, ys = decimate(np.asarray(steps, float) / max(steps_per_epoch, 1e-9), np.asarray(losses), LIVE_POINTS)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="batch loss",
                                   line=dict(color=COLORS["train"], width=1), opacity=0.35))
    if history:
        ep = [h["epoch"] for h in history]
        fig.add_trace(go.Scatter(x=ep, y=[h["train_loss"] for h in history], mode="lines+markers",
                                 name="train (epoch mean)", line=dict(color=COLORS["train"], width=3)))
        val = [h["val_loss"] for h in history]
        if any(v is not None for v in val):
            fig.add_trace(go.Scatter(x=ep, y=val, mode="lines+markers", name="validation",
                                     line=dict(color=COLORS["val"], width=3)))
    if baseline_val is not None and baseline_val > 0:
        # a trace, not add_hline: hline annotations land at the wrong height on log axes
        x_end = max([h["epoch"] for h in history] + [1.0])
        fig.add_trace(go.Scatter(x=[0, x_end], y=[baseline_val, baseline_val], mode="lines",
                                 name="persistence (val)", line=dict(color=COLORS["base"], dash="dash", width=2)))
    log_axis(fig, [y for t in fig.data for y in t.y])
    units = loss_units([scaler])
    return _layout(fig, f"Loss (MSE, {units})" if units else "Loss (MSE)", "epoch", "loss (log scale)", height=400)


def grad_norm_figure(steps, grad_norms, clip: float | None = None) -> go.Figure:
    """Global gradient norm per optimizer step (log scale), with the clipping threshold."""
    xs, ys = decimate(np.asarray(steps, float), np.asarray(grad_norms), LIVE_POINTS)
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="lines", name="‖∇‖", line=dict(color="#9467bd", width=1.5)))
    if clip and len(xs):
        fig.add_trace(go.Scatter(x=[xs[0], xs[-1]], y=[clip, clip], mode="lines", name="clip threshold",
                                 line=dict(color=COLORS["base"], dash="dot", width=2)))
    log_axis(fig, [y for t in fig.data for y in t.y])
    return _layout(fig, "Gradient norm per step", "step", "‖∇θ L‖ (log)", height=320)


def prediction_figure(x_axis, y_true: np.ndarray, preds: dict[str, np.ndarray], train_end: int | None = None,
                      val_end: int | None = None, title: str = "True vs predicted", unit: str = "",
                      panel: bool = False, x_title: str | None = None, band=None,
                      band_name: str = "interval") -> go.Figure:
    """True values and one or more prediction traces on a shared axis (first horizon step), with an
    optional (lower, upper) band.

    panel=True: independent samples (no time axis), drawn as markers per sample, not joined lines."""
    x = np.asarray(x_axis)
    xs, ys = decimate(x, y_true)
    mode = "markers" if panel else "lines"
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode=mode, name="true", line=dict(color=COLORS["true"], width=2),
                               marker=dict(size=7, color=COLORS["true"])))
    palette = [COLORS["model"], COLORS["base"], "#2ca02c", "#8c564b"]
    for (name, p), color in zip(preds.items(), palette):
        px, py = decimate(x, p)
        fig.add_trace(go.Scatter(x=px, y=py, mode=mode, name=name,
                                 line=dict(color=color, width=2 if name == "model" else 1.5,
                                           dash=None if name == "model" else "dot"),
                                 marker=dict(size=6, color=color, symbol="x" if name == "model" else "circle-open")))
    if band is not None:
        add_band(fig, x, *band, name=band_name)
    if train_end is not None and val_end is not None:
        shade_parts(fig, x, train_end, val_end)
    return _layout(fig, title, x_title or ("sample" if panel else "time step"), f"value {unit}".strip())


def add_band(fig: go.Figure, x, lower: np.ndarray, upper: np.ndarray, name: str = "interval") -> None:
    """A shaded prediction band between lower and upper (drawn under the lines)."""
    x, lower, upper = np.asarray(x), np.asarray(lower, float), np.asarray(upper, float)
    ok = np.isfinite(lower) & np.isfinite(upper)
    if not ok.any():
        return
    fig.add_trace(go.Scatter(x=x[ok], y=upper[ok], mode="lines", line=dict(width=0), showlegend=False,
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x[ok], y=lower[ok], mode="lines", line=dict(width=0), fill="tonexty",
                             fillcolor="rgba(255,127,14,0.22)", name=name))
    fig.data = fig.data[-2:] + fig.data[:-2]  # under the true and predicted lines


def horizon_figure(by_horizon: dict[str, list[dict]], metric: str = "mae") -> go.Figure:
    """Test error against the step ahead, the model and each baseline: where the network stops helping."""
    fig = go.Figure()
    palette = [COLORS["base"], "#2ca02c", "#8c564b", "#17becf", "#bcbd22", "#e377c2"]
    for i, (name, rows) in enumerate(by_horizon.items()):
        color = COLORS["model"] if name == "model" else palette[(i - 1) % len(palette)]
        fig.add_trace(go.Scatter(x=[r["step"] for r in rows], y=[r[metric] for r in rows], mode="lines+markers",
                                 name=name, line=dict(color=color, width=3 if name == "model" else 1.5,
                                                      dash=None if name == "model" else "dot")))
    return _layout(fig, f"Test {metric.upper()} by step ahead", "steps ahead", f"test {metric.upper()}", height=380)


def residual_figure(x_axis, residuals: np.ndarray, title: str = "Residuals on test (true − predicted)",
                    x_title: str = "time step") -> go.Figure:
    xs, ys = decimate(np.asarray(x_axis), np.asarray(residuals))
    fig = go.Figure(go.Scatter(x=xs, y=ys, mode="markers", name="residual", marker=dict(size=5, color="#9467bd")))
    fig.add_hline(y=0, line=dict(color="#444", width=1))
    return _layout(fig, title, x_title, "residual", height=320)


def forecast_figure(history: np.ndarray, forecast: np.ndarray, x_hist=None, x_fc=None, halfwidth=None,
                    band_name: str = "interval") -> go.Figure:
    """The end of the series and the recursive forecast beyond it, with a band of `halfwidth` per
    step where it is finite."""
    xh = np.arange(len(history)) if x_hist is None else np.asarray(x_hist)
    xf = np.arange(len(history), len(history) + len(forecast)) if x_fc is None else np.asarray(x_fc)
    fig = go.Figure(go.Scatter(x=xh, y=history, mode="lines", name="observed", line=dict(color=COLORS["true"], width=2)))
    fig.add_trace(go.Scatter(x=np.concatenate([xh[-1:], xf]), y=np.concatenate([history[-1:], forecast]),
                             mode="lines+markers", name="forecast", line=dict(color=COLORS["model"], width=2, dash="dash")))
    if halfwidth is not None:
        add_band(fig, xf, forecast - halfwidth, forecast + halfwidth, name=band_name)
    return _layout(fig, f"Recursive forecast: {len(forecast)} steps beyond the data",
                   "time step" if x_hist is None else "date", "value")


def tune_figure(trials: list, best: list[tuple[int, float]], persistence: float | None = None) -> go.Figure:
    """Validation MSE of each trial (complete: filled, pruned: hollow), the best so far (trial, MSE) and
    persistence's validation MSE on the same windows (dashed): the bar a trial must get under."""
    fig = go.Figure()
    done = [t for t in trials if t.value is not None and t.state in ("complete", "pruned")]
    for state, symbol, color in (("complete", "circle", COLORS["model"]), ("pruned", "circle-open", COLORS["base"])):
        rows = [t for t in done if t.state == state]
        fig.add_trace(go.Scatter(x=[t.number for t in rows], y=[t.value for t in rows], mode="markers",
                                 name=state, marker=dict(symbol=symbol, size=10, color=color)))
    fig.add_trace(go.Scatter(x=[n for n, _ in best], y=[v for _, v in best], mode="lines", name="best so far",
                             line=dict(color=COLORS["val"], width=3, shape="hv")))
    if persistence is not None and persistence > 0 and trials:
        numbers = [t.number for t in trials]
        fig.add_trace(go.Scatter(x=[min(numbers), max(numbers)], y=[persistence, persistence], mode="lines",
                                 name="persistence (val)", line=dict(color=COLORS["base"], dash="dash", width=2)))
    log_axis(fig, [t.value for t in done] + ([persistence] if persistence else []))
    return _layout(fig, "Trials: validation MSE (original units)", "trial", "validation MSE (log)", height=400)
