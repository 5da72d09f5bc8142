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


@pytest.mark.parametrize("query, words", [
    ({"model.hidden": '"abc"'}, "model.hidden"),
    ({"model.hidden": "3.5"}, "model.hidden"),
    ({"train.lr": "true"}, "train.lr"),
    ({"data.inputs": '"a"'}, "data.inputs"),
    ({"data.params": '{"period": "x"}'}, "data.params"),
])
def test_query_values_of_the_wrong_type_are_refused(query, words):
    with pytest.raises(ConfigError, match=words):
        RunConfig.from_query(query)


def test_query_numbers_take_the_field_type():
    cfg = RunConfig.from_query({"model.hidden": "64.0", "train.lr": "1", "data.column": "7"})
    assert cfg.model.hidden == 64 and isinstance(cfg.model.hidden, int)
    assert cfg.train.lr == 1.0 and isinstance(cfg.train.lr, float) and cfg.data.column == "7"
