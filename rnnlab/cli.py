"""`python -m rnnlab train ... [--json]`: headless training with the contract of DESIGN.md.

Bad input exits with code 2 and one clear line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

from rnnlab.config import RunConfig
from rnnlab.errors import ConfigError, RnnlabError
from rnnlab.presets import PRESETS, preset_dict

# flag -> (config part, field); flags default to None so presets are only overridden when given
FLAGS = {
    "data": ("data", "generator"), "csv": ("data", "csv_path"), "column": ("data", "column"),
    "date_column": ("data", "date_column"), "samples": ("data", "samples"),
    "length": ("data", "length"), "lookback": ("data", "lookback"), "horizon": ("data", "horizon"),
    "scaler": ("data", "scaler"), "test_fraction": ("data", "test_fraction"),
    "val_fraction": ("data", "val_fraction"), "missing": ("data", "missing"),
    "data_seed": ("data", "data_seed"),
    "cell": ("model", "cell"), "hidden": ("model", "hidden"), "layers": ("model", "layers"),
    "dropout": ("model", "dropout"), "init": ("model", "init"), "init_gain": ("model", "init_gain"),
    "epochs": ("train", "epochs"), "batch_size": ("train", "batch_size"), "lr": ("train", "lr"),
    "optimizer": ("train", "optimizer"), "clip": ("train", "clip"), "seed": ("train", "seed"),
    "device": ("train", "device"), "patience": ("train", "patience"),
    "weight_decay": ("train", "weight_decay"),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints usage + message otherwise)
        print(f"error: {message} (see python -m rnnlab {self.prog.split()[-1]} --help)", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="rnnlab", description="Train recurrent networks on time series, headless.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    t = sub.add_parser("train", help="train one configuration and report test metrics")
    add = t.add_argument
    add("--data", metavar="GENERATOR", help="synthetic generator (default sales)")
    add("--csv", metavar="PATH", help="CSV file to load instead of a generator")
    add("--column", metavar="NAME", help="CSV target column")
    add("--date-column", metavar="NAME", help="CSV date column")
    add("--inputs", metavar="A,B", help="extra CSV input columns, comma separated")
    add("--param", action="append", default=[], metavar="NAME=VALUE", help="generator parameter")
    for flag, typ in [("samples", int), ("length", int), ("lookback", int), ("horizon", int),
                      ("test-fraction", float), ("val-fraction", float), ("data-seed", int),
                      ("hidden", int), ("layers", int), ("dropout", float), ("init-gain", float),
                      ("epochs", int), ("batch-size", int), ("lr", float), ("clip", float),
                      ("seed", int), ("patience", int), ("weight-decay", float)]:
        add(f"--{flag}", type=typ)
    add("--scaler", choices=["auto", "none", "zscore", "minmax", "last", "diff"])
    add("--missing", choices=["interpolate", "drop", "refuse"])
    add("--cell", choices=["rnn", "rnn-relu", "lstm", "gru"])
    add("--init", choices=["default", "orthogonal", "identity"])
    add("--optimizer", choices=["adam", "sgd", "rmsprop"])
    add("--device", choices=["auto", "cpu", "cuda", "mps"])
    add("--preset", choices=sorted(PRESETS), help="start from a named configuration")
    add("--save", metavar="PATH", help="write the trained run (zip: config, history, weights)")
    add("--json", action="store_true", help="print one JSON object on stdout and nothing else")
    from rnnlab.memory import add_parser
    add_parser(sub)
    return p


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Defaults, then the preset, then every flag that was given."""
    d = preset_dict(args.preset) if args.preset else RunConfig().to_dict()
    for flag, (part, name) in FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            d[part][name] = value
    if args.inputs:
        d["data"]["inputs"] = [c.strip() for c in args.inputs.split(",") if c.strip()]
    params = dict(d["data"].get("params", {}))
    for item in args.param:
        name, sep, value = item.partition("=")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--param expects NAME=NUMBER (got {item!r}).") from None
    d["data"]["params"] = params
    return RunConfig.from_dict(d).validate()


def _clean(obj):
    """JSON cannot carry NaN/inf: turn them into null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def _progress(event) -> None:
    from rnnlab.train import Done, EpochEnd
    if isinstance(event, EpochEnd):
        val = "n/a" if event.val_loss is None else f"{event.val_loss:.4g}"
        print(f"epoch {event.epoch}: train {event.train_loss:.4g}  val {val}  ({event.seconds:.1f} s)",
              file=sys.stderr)
    elif isinstance(event, Done):
        print(f"{event.reason}: {event.message}", file=sys.stderr)


def cmd_train(args: argparse.Namespace) -> int:
    from rnnlab.experiment import run_experiment
    from rnnlab.export import save_run

    cfg = config_from_args(args)
    result, s = run_experiment(cfg, callbacks=None if args.json else [_progress])
    if args.save:
        save_run(args.save, cfg, s.model, s.prep.scaler, result["history"], _clean(result))
    result = _clean(result)
    if args.json:
        print(json.dumps(result))
        return 0
    t, b = result["test"], result["baselines"]
    print(f"device {result['device']}, {result['epochs_run']} epochs in {result['train_seconds']:.2f} s "
          f"({result['stopped_reason']}); scaler {result['scaler']}")
    for name, m in [("model", t), *b.items()]:
        mse = "n/a" if m["mse"] is None else f"{m['mse']:.5g}"
        mae = "n/a" if m["mae"] is None else f"{m['mae']:.5g}"
        print(f"  {name:15s} test MSE {mse:>12s}  MAE {mae:>10s}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return cmd_train(args)
        if args.command == "memory":
            from rnnlab.memory import cmd_memory
            return cmd_memory(args)
    except RnnlabError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: still one line, no traceback for the user
        print(f"internal error ({type(e).__name__}): {e}; please report it", file=sys.stderr)
        return 1
    return 2
