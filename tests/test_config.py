import pytest

from rnnlab.config import RunConfig
from rnnlab.errors import ConfigError


def test_round_trip_dict_json_query():
    cfg = RunConfig()
    cfg.model.cell, cfg.model.hidden, cfg.train.lr = "gru", 77, 3e-4
    cfg.data.params = {"period": 30.0}
    cfg.data.inputs = ["a", "b"]
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    assert RunConfig.from_json(cfg.to_json()) == cfg
    q = cfg.to_query()
    assert q["model.hidden"] == "77" and "model.layers" not in q  # only non-defaults travel
    assert RunConfig.from_query(q) == cfg


@pytest.mark.parametrize("part, name, value, words", [
    ("model", "cell", "transformer", "unknown cell"),
    ("model", "hidden", 0, "hidden size"),
    ("model", "dropout", 1.5, "dropout"),
    ("train", "lr", -1.0, "learning rate"),
    ("train", "epochs", 0, "epochs"),
    ("train", "optimizer", "lbfgs", "unknown optimizer"),
    ("data", "lookback", 0, "lookback"),
    ("data", "scaler", "robust", "unknown scaler"),
    ("data", "test_fraction", 1.2, "test fraction"),
    ("data", "val_fraction", 0.8, "training"),
])
def test_validation_messages(part, name, value, words):
    cfg = RunConfig()
    setattr(getattr(cfg, part), name, value)
    with pytest.raises(ConfigError, match=words):
        cfg.validate()


def test_unknown_key_and_bad_json():
    with pytest.raises(ConfigError, match="unknown model setting"):
        RunConfig.from_dict({"model": {"hiden": 3}})
    with pytest.raises(ConfigError, match="not valid JSON"):
        RunConfig.from_json("{oops")
