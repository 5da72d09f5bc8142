"""`python -m rnnlab train ... [--json]`: headless training with the contract of DESIGN.md.

Bad input exits with code 2 and one clear line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from rnnlab.config import RunConfig, cli_fields, flag
from rnnlab.errors import ConfigError, RnnlabError
from rnnlab.presets import PRESETS, preset_dict


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse prints usage + message otherwise)
        print(f"error: {message} (see python -m rnnlab {self.prog.split()[-1]} --help)", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="rnnlab", description="Train recurrent networks on time series, headless.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    t = sub.add_parser("train", help="train one configuration and report test metrics")
    add_run_flags(t)
    u = sub.add_parser("tune", help="search settings on the validation part within a time budget, then "
                                    "train the best once and report its test metrics")
    add_run_flags(u)
    u.add_argument("--budget", type=float, required=True, metavar="SECONDS",
                   help="seconds of searching (the final training of the best configuration comes after)")
    u.add_argument("--trials", type=int, metavar="N", help="stop after N trials even if time is left (with "
                                                          "--storage: N trials in the whole study)")
    u.add_argument("--storage", metavar="URL", help="share the search with other `rnnlab tune` processes through "
                                                    "Optuna's storage: sqlite:///tune.db, postgresql://..., or "
                                                    "journal:PATH (docs/cli.md)")
    u.add_argument("--study", metavar="NAME", default="rnnlab", help="the study's name in --storage (default rnnlab); "
                                                                     "the same name joins or resumes it")
    from rnnlab.memory import add_parser
    add_parser(sub)
    return p


def add_run_flags(t: argparse.ArgumentParser) -> None:
    """The flags that describe one run (train; tune starts from them), generated from the config
    fields' metadata (rnnlab/config.py): every flag defaults to None, so a preset is overridden only
    by the flags given."""
    for _, f in cli_fields():
        t.add_argument(f"--{flag(f)}", **_flag_kwargs(f))
    add = t.add_argument
    add("--preset", choices=sorted(PRESETS), help="start from a named configuration; other flags override it")
    add("--threads", type=int, metavar="N", help="CPU threads for training (default: from the model size and "
                                                 "the idle cores; torch's own default takes every core)")
    add("--save", metavar="PATH", help="write the trained run (zip: config, history, metrics, weights)")
    add("--predictions", metavar="PATH", help="write one CSV row per test target: date (or step), "
                                               "actual, predicted, lower, upper, one column per baseline")
    add("--export-script", metavar="PATH", help="write the run as one standalone PyTorch script (PATH.py) or "
                                                 "notebook (PATH.ipynb) that reproduces its test metrics")
    add("--json", action="store_true", help="print one JSON object on stdout and nothing else")


def _flag_kwargs(f) -> dict:
    """argparse keywords for one config field: its type from the default, choices, help, metavar."""
    default = f.default_factory() if f.default is dataclasses.MISSING else f.default
    help_ = f.metadata["help"].replace("%", "%%")
    if f.name == "generator":
        help_ += ": " + ", ".join(_generators())
    plain = default is None or isinstance(default, (list, dict))
    kw = {"help": help_ if plain else f"{help_} (default {default!r})"}
    if f.metadata.get("metavar"):
        kw["metavar"] = f.metadata["metavar"]
    if isinstance(default, dict):
        return {**kw, "action": "append", "default": []}
    if isinstance(default, bool):
        return {**kw, "action": argparse.BooleanOptionalAction, "default": None}
    if f.metadata.get("choices"):
        choices = f.metadata["choices"]
        return {**kw, "choices": choices, "metavar": "{" + "|".join(choices) + "}"}
    if isinstance(default, (int, float)):
        return {**kw, "type": type(default)}
    return kw


def _generators() -> list[str]:
    from rnnlab.data.generators import GENERATORS
    return list(GENERATORS)


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """Defaults, then the preset, then every flag that was given."""
    d = preset_dict(args.preset) if args.preset else RunConfig().to_dict()
    for part, f in cli_fields():
        value = getattr(args, flag(f).replace("-", "_"), None)
        if f.name == "params":
            d[part][f.name] = {**d[part].get("params", {}), **_params(value or [])}
        elif f.name == "inputs":
            if value:
                d[part][f.name] = [c.strip() for c in value.split(",") if c.strip()]
        elif value is not None:
            d[part][f.name] = value
    return RunConfig.from_dict(d).validate()


def _params(items: list[str]) -> dict[str, float]:
    """--param NAME=NUMBER items as a dict."""
    params = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--param expects NAME=NUMBER (got {item!r}).") from None
    return params


def _progress(event) -> None:
    from rnnlab.events import Done, EpochEnd
    if isinstance(event, EpochEnd):
        val = "n/a" if event.val_loss is None else f"{event.val_loss:.4g}"
        print(f"epoch {event.epoch}: train {event.train_loss:.4g}  val {val}  ({event.seconds:.1f} s)",
              file=sys.stderr)
    elif isinstance(event, Done):
        print(f"{event.reason}: {event.message}", file=sys.stderr)


def check_args(args: argparse.Namespace) -> None:
    """Contradictions and unusable paths, caught before any data is read or any step is trained."""
    if args.csv is not None and args.data is not None:
        raise ConfigError("give either --data GENERATOR or --csv PATH, not both.")
    if args.csv is not None and not args.csv.strip():
        raise ConfigError("--csv was given an empty path; give the path of a CSV file.")
    if args.save:
        check_writable(args.save)


def check_writable(path: str) -> None:
    """Refuse a --save path that is a folder or cannot be written, before training starts."""
    from pathlib import Path
    p = Path(path)
    if p.is_dir():
        raise ConfigError(f"--save {path!r} is a folder; give a file name such as run.zip.")
    existed = p.exists()
    try:  # the real test: create the folder and open the file for writing, as the save will
        p.parent.mkdir(parents=True, exist_ok=True)
        with p.open("ab"):
            pass
    except OSError as e:
        raise ConfigError(f"--save {path!r} cannot be written ({e.strerror or e}); choose another path.") from None
    if not existed:
        p.unlink()


def set_threads(cfg, threads: int | None) -> int | None:
    """torch's CPU threads for this run: --threads, else experiment.auto_threads; None off the CPU."""
    import torch

    from rnnlab.experiment import auto_threads
    from rnnlab.train import resolve_device

    if threads is not None and not 1 <= threads <= 1024:
        raise ConfigError(f"threads must be between 1 and 1,024 (got {threads}).")
    if resolve_device(cfg.train.device).type != "cpu":
        return None
    torch.set_num_threads(threads or auto_threads(cfg))
    return torch.get_num_threads()


def cmd_train(args: argparse.Namespace) -> int:
    from rnnlab.experiment import run_experiment
    from rnnlab.export import save_run

    check_args(args)
    cfg = config_from_args(args)
    if args.export_script:
        from rnnlab.script import check_exportable
        check_exportable(cfg)
    threads = set_threads(cfg, args.threads)
    result, s = run_experiment(cfg, callbacks=None if args.json else [_progress])
    result.cpu_threads = threads
    if args.save:
        save_run(args.save, cfg, s.model, s.prep.scaler, result.history, result)
    _write_predictions(args, s)
    _write_script(args, s, result)
    from rnnlab.report import verdict
    v = verdict(result)
    if args.json:
        print(json.dumps({**result.to_json(), "verdict": v.to_dict()}))
        return 0
    print(f"device {result.device}, {result.epochs_run} epochs in {result.train_seconds:.2f} s "
          f"({result.stopped_reason}); scaler {result.scaler}")
    for name, m in [("model", result.test), *result.baselines.items()]:
        mse = "n/a" if m["mse"] is None else f"{m['mse']:.5g}"
        mae = "n/a" if m["mae"] is None else f"{m['mae']:.5g}"
        print(f"  {name:15s} test MSE {mse:>12s}  MAE {mae:>10s}")
    for name, why in result.missing_baselines.items():
        print(f"  {name:15s} no row: {why}")
    if result.config.data.horizon > 1:
        print("test MAE by step ahead: " + _by_step(result))
    if result.interval is not None:
        band = result.interval
        cover = "n/a" if band.get("coverage") is None else f"{band['coverage']:.1%}"
        print(f"{band['level']:.0%} interval: test coverage {cover}" + (f"; {band['warning']}" if band["warning"] else ""))
    print(v.line)
    if result.shrunk:
        print(f"shrink: {result.shrink['reason']} (--shrink off keeps the network as trained)")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _by_step(result) -> str:
    """The model's test MAE per step ahead, and the best baseline's at each step."""
    rows = []
    for h, m in enumerate(result.test["by_horizon"]):
        best = min(((v["by_horizon"][h]["mae"], k) for k, v in result.baselines.items()
                    if v["by_horizon"][h]["mae"] is not None), default=(None, None))
        mae = "n/a" if m["mae"] is None else f"{m['mae']:.4g}"
        rows.append(f"{m['step']}: {mae}" + (f" ({best[1]} {best[0]:.4g})" if best[1] else ""))
    return "; ".join(rows)


def _write_predictions(args: argparse.Namespace, s) -> None:
    """--predictions PATH: the test targets, predictions, band and baselines as CSV."""
    if not getattr(args, "predictions", None):
        return
    from pathlib import Path

    from rnnlab.report import predictions_table
    path = Path(args.predictions)
    path.parent.mkdir(parents=True, exist_ok=True)
    predictions_table(s).to_csv(path, index=False)


def _write_script(args: argparse.Namespace, s, result) -> None:
    """--export-script PATH: the run as a standalone script, or a notebook when PATH ends in .ipynb."""
    if not getattr(args, "export_script", None):
        return
    from pathlib import Path

    from rnnlab.script import export_result

    path = Path(args.export_script)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(export_result(s, result, path.name, notebook=path.suffix == ".ipynb"), encoding="utf-8")


def cmd_tune(args: argparse.Namespace) -> int:
    """Search on the validation part, then train the best configuration once: the JSON is train's,
    plus `trials` (each trial's params, validation MSE, state) and `tune` (budget, counts)."""
    from rnnlab.experiment import load_data, run_experiment
    from rnnlab.result import finite
    from rnnlab.tune import Tuner

    check_args(args)
    cfg = config_from_args(args)
    threads = set_threads(cfg, args.threads)
    data = load_data(cfg.data)
    tuner = Tuner(cfg, data, args.budget, seed=cfg.train.seed, max_trials=args.trials, storage=args.storage,
                  study_name=args.study).start()
    shown: set[int] = set()
    while not tuner.join(0.5):
        if not args.json:
            for r in tuner.snapshot().trials:
                if r.state != "running" and r.number not in shown:
                    shown.add(r.number)
                    value = "n/a" if r.value is None else f"{r.value:.5g}"
                    if r.alpha is not None and r.alpha < 1:
                        value += f" (after its shrink toward persistence, α {r.alpha:.2f})"
                    print(f"trial {r.number}: {r.state}, validation MSE {value} {r.params}", file=sys.stderr)
    snap = tuner.snapshot()
    best = tuner.best_config()
    if best is None:
        raise ConfigError(f"no trial finished within the budget of {args.budget:g} s; give a larger --budget.")
    best.train.max_seconds = 0.0
    result, s = run_experiment(best, data=data, callbacks=None if args.json else [_progress])
    result.cpu_threads = threads
    if args.save:
        from rnnlab.export import save_run
        save_run(args.save, best, s.model, s.prep.scaler, result.history, result)
    _write_predictions(args, s)
    from rnnlab.report import verdict
    v = verdict(result)
    if args.json:
        print(json.dumps(finite({**result.to_json(), "verdict": v.to_dict(), **_tune_json(args, tuner, snap)})))
        return 0
    print(f"{len(snap.trials)} trials in {snap.elapsed:.0f} s; best: trial {snap.best.number} {snap.best.params}")
    print(v.line)
    return 0


def _tune_json(args: argparse.Namespace, tuner, snap) -> dict:
    """`trials` and `tune`: what tune's JSON adds to train's."""
    trials = [{"number": r.number, "params": r.params, "validation_mse": r.value, "state": r.state,
               "epochs": r.epochs, "seconds": round(r.seconds, 3), "loss": r.loss,
               "validation_blocks": r.origins, "shrink_alpha": r.alpha} for r in snap.trials]
    tune = {"budget_seconds": args.budget, "search_seconds": round(snap.elapsed, 3),
            "trials": len(snap.trials), "complete": sum(r.state == "complete" for r in snap.trials),
            "pruned": sum(r.state == "pruned" for r in snap.trials),
            "best_trial": snap.best.number, "best_validation_mse": snap.best.value,
            "validation_blocks": len(tuner.origins), "validation_windows": tuner.n_val_windows,
            "persistence_validation_mse": snap.persistence,
            "study": args.study if args.storage else None, "workers": tuner.workers()}
    return {"trials": trials, "tune": tune}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return cmd_train(args)
        if args.command == "tune":
            return cmd_tune(args)
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
