"""Run bundles: one zip with config.json, history.json, scaler.json, weights.safetensors and, for
trained runs, result.json and metrics.json (test metrics, baselines, verdict).

Weights use safetensors, a format that holds tensors only, so loading a run file can never
execute code (stronger than torch.load(weights_only=True), which is used nowhere here).
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from rnnlab.config import RunConfig
from rnnlab.errors import DataError
from rnnlab.models import RecurrentRegressor, build_model
from rnnlab.windows import Scaler


def bundle_bytes(config: RunConfig, model: RecurrentRegressor, scaler: Scaler, history: list[dict],
                 result: dict | None = None) -> bytes:
    """Serialise a trained run to zip bytes (for downloads and --save)."""
    buf = io.BytesIO()
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"n_features": model.rnn.input_size, "horizon": model.head.out_features}
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", config.to_json())
        z.writestr("history.json", json.dumps(history))
        z.writestr("scaler.json", json.dumps(scaler.to_dict()))
        z.writestr("model.json", json.dumps(meta))
        z.writestr("weights.safetensors", st_save(state))
        if result is not None:
            z.writestr("result.json", json.dumps(result, default=str))
            z.writestr("metrics.json", json.dumps(metrics_summary(result), default=str))
    return buf.getvalue()


def metrics_summary(result: dict) -> dict:
    """Test metrics of the model and every baseline, on the same windows, with the verdict."""
    from rnnlab.report import verdict
    v = verdict(result)
    return {"test": result["test"], "baselines": result["baselines"],
            "seasonal_period": result.get("seasonal_period"), "windows": result.get("windows"),
            "verdict": {"level": v.level, "text": v.line, "best_baseline": v.best}}


def save_run(path: str | Path, *args, **kwargs) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bundle_bytes(*args, **kwargs))
    return path


def load_run(source: str | Path | bytes) -> tuple[RunConfig, RecurrentRegressor, Scaler, list[dict]]:
    """Read a bundle back: (config, model with weights, scaler, history). Bad files raise DataError."""
    raw = Path(source).read_bytes() if not isinstance(source, (bytes, bytearray)) else bytes(source)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            config = RunConfig.from_json(z.read("config.json").decode())
            meta = json.loads(z.read("model.json"))
            scaler = Scaler.from_dict(json.loads(z.read("scaler.json")))
            history = json.loads(z.read("history.json"))
            state = st_load(z.read("weights.safetensors"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, ValueError) as e:
        raise DataError(f"this is not an rnnlab run file ({e}); export one from the Predict page.") from None
    model = build_model(config.model, meta["n_features"], meta["horizon"])
    model.load_state_dict(state)
    model.eval()
    return config, model, scaler, history
