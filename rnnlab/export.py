"""Run bundles: one zip with config.json, history.json, scaler.json, weights.safetensors and, for
trained runs, result.json and metrics.json (test metrics, baselines, verdict).

Weights use safetensors, a format that holds tensors only, so loading a run file can never
execute code (stronger than torch.load(weights_only=True), which is used nowhere here).
"""
from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from typing import NamedTuple

from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from rnnlab.config import RunConfig
from rnnlab.errors import DataError, RnnlabError
from rnnlab.models import RecurrentRegressor, build_model
from rnnlab.result import RunResult, finite
from rnnlab.scalers import Scaler


def bundle_bytes(config: RunConfig, model: RecurrentRegressor, scaler: Scaler, history: list[dict],
                 result: RunResult | None = None) -> bytes:
    """Serialise a trained run to zip bytes (for downloads and --save)."""
    buf = io.BytesIO()
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"n_features": model.rnn.input_size, "horizon": model.head.out_features,
            "shrink": result.shrink if result is not None else None}  # the weights hold the shrink; its record goes with them
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", config.to_json())
        z.writestr("history.json", json.dumps(history))
        z.writestr("scaler.json", json.dumps(scaler.to_dict()))
        z.writestr("model.json", json.dumps(meta))
        z.writestr("weights.safetensors", st_save(state))
        if result is not None:
            z.writestr("result.json", json.dumps(result.to_json()))
            z.writestr("metrics.json", json.dumps(metrics_summary(result), default=str))
    return buf.getvalue()


def metrics_summary(result: RunResult) -> dict:
    """Test metrics of the model and every baseline, on the same windows, with the verdict."""
    from rnnlab.report import verdict
    v = verdict(result)
    return finite({"test": result.test, "baselines": result.baselines, "seasonal_period": result.seasonal_period,
                   "windows": result.windows, "verdict": v.to_dict()})


def save_run(path: str | Path, *args, **kwargs) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bundle_bytes(*args, **kwargs))
    return path


MEMBER_LIMITS = {"config.json": 1 << 20, "history.json": 64 << 20, "scaler.json": 1 << 20,
                 "model.json": 1 << 16, "weights.safetensors": 512 << 20, "result.json": 64 << 20,
                 "metrics.json": 1 << 20}  # bytes read at most from each member, whatever it claims
MAX_RUN_FILE = 600 << 20  # a run zip larger than this is refused before opening


def _member(z: zipfile.ZipFile, name: str) -> bytes:
    """One member, read with a bound: a zip bomb stops at the limit instead of filling memory."""
    limit = MEMBER_LIMITS[name]
    with z.open(name) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise DataError(f"{name} in the run file is larger than {limit >> 20 or 1} MB unpacked; "
                        "this is not a run file rnnlab wrote.")
    return data


class RunFile(NamedTuple):
    config: RunConfig
    model: RecurrentRegressor
    scaler: Scaler
    history: list[dict]
    shrink: dict | None  # experiment.shrink_to_persistence's record, already folded into the weights


def _shrink(meta: dict) -> dict | None:
    """The shrink record of model.json, checked: a run file comes from anywhere."""
    s = meta.get("shrink")
    if s is None:
        return None
    ok = (isinstance(s, dict) and set(s) == {"alpha", "val_mse", "persistence_val_mse", "reason"}
          and isinstance(s["reason"], str) and len(s["reason"]) <= 500
          and all(isinstance(s[k], (int, float)) and math.isfinite(s[k]) and s[k] >= 0
                  for k in ("alpha", "val_mse", "persistence_val_mse")) and s["alpha"] <= 1)
    if not ok:
        raise DataError("the run file's shrink record is malformed.")
    return {**s, "alpha": float(s["alpha"])}


def load_run(source: str | Path | bytes) -> RunFile:
    """Read a bundle back: (config, model with weights, scaler, history, shrink). Bad files raise DataError.

    Nothing is extracted to disk and only the members rnnlab writes are read, each with a size
    bound; the config is validated (sizes within the limits) before any model is built."""
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise DataError(f"{str(path)!r} is not a run file (no such file).")
        if path.stat().st_size > MAX_RUN_FILE:
            raise DataError(f"the run file is larger than {MAX_RUN_FILE >> 20} MB.")
        raw = path.read_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            names = set(z.namelist())
            unknown = sorted(names - set(MEMBER_LIMITS))
            if unknown:
                raise DataError(f"the run file holds unexpected members ({', '.join(map(repr, unknown[:3]))}); "
                                "only files rnnlab writes are accepted.")
            config = RunConfig.from_json(_member(z, "config.json").decode()).validate()
            meta = json.loads(_member(z, "model.json"))
            scaler = Scaler.from_dict(json.loads(_member(z, "scaler.json")))
            history = json.loads(_member(z, "history.json"))
            state = st_load(_member(z, "weights.safetensors"))
            n_features, horizon = int(meta["n_features"]), int(meta["horizon"])
            if not (1 <= n_features <= 65 and 1 <= horizon <= 500) or not isinstance(history, list):
                raise DataError("the run file's model description is out of range.")
            shrink = _shrink(meta)
            model = build_model(config.model, n_features, horizon, config.data.lookback)
            model.load_state_dict(state)
    except RnnlabError as e:
        raise DataError(f"this run file cannot be used: {e}") from None
    except Exception as e:  # noqa: BLE001 - any failure to decode a foreign or damaged file
        raise DataError(f"this is not an rnnlab run file ({type(e).__name__}: {str(e)[:120]}); "
                        "export one from the Predict page.") from None
    model.eval()
    return RunFile(config, model, scaler, history, shrink)
