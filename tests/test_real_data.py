"""On real-looking CSV data with all defaults, the LSTM beats persistence on test MAE."""
import pytest
import numpy as np
import pandas as pd

from rnnlab.config import RunConfig
from rnnlab.experiment import run_experiment


def _write_shop_csv(path) -> None:
    """400 days of shop visits: weekly pattern, slow drift, noise, a few gaps, semicolons, decimal commas."""
    rng = np.random.default_rng(7)
    t = np.arange(400)
    weekly = np.array([0.8, 1.0, 1.0, 1.05, 1.2, 1.6, 0.5])[t % 7]
    level = 200 + np.cumsum(rng.normal(0, 1.5, 400))
    visits = level * weekly + rng.normal(0, 8, 400)
    cells = [f"{v:.1f}".replace(".", ",") for v in visits]
    for i in (33, 150, 151, 290):
        cells[i] = ""
    dates = pd.date_range("2022-03-01", periods=400, freq="D").strftime("%d.%m.%Y")
    rows = [f"{d};{c}" for d, c in zip(dates, cells)]
    path.write_text("Datum;Besucher\n" + "\n".join(rows) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_lstm_beats_persistence_on_csv_with_defaults(tmp_path):
    _write_shop_csv(tmp_path / "shop.csv")
    cfg = RunConfig()
    cfg.data.csv_path = str(tmp_path / "shop.csv")
    cfg.data.lookback = 28  # four weeks: the only non-default setting besides the file
    cfg.train.device = "cpu"
    result, _ = run_experiment(cfg)
    assert result.seasonal_period == 7
    model_mae = result.test["mae"]
    persistence = result.baselines["persistence"]["mae"]
    assert model_mae < 0.8 * persistence, (model_mae, result.baselines)
