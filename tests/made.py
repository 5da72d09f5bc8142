"""Hand-made run results for tests of what reads them (verdicts, scoreboards, labels)."""
from rnnlab.config import RunConfig
from rnnlab.result import LossChoice, RunResult


def made_result(test: dict, baselines: dict[str, dict], config: RunConfig | None = None, **fields) -> RunResult:
    """A RunResult with the given metrics; every other field a plain, valid value unless given."""
    base = dict(config=config or RunConfig(), device="cpu", history=[], stopped_reason="finished", message="",
                scaler="standard", scaler_reason="", loss=LossChoice("last", ""),
                windows={"train": 100, "val": 20, "test": test.get("n", 20)}, test=test, baselines=baselines,
                seasonal_period=None)
    return RunResult(**(base | fields))
