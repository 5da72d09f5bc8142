"""Memory of a long series: 1,000,000 points x lookback 200, prepared and trained for one epoch
the way the app does it (a TrainingJob whose loop runs in a forkserver child).

Prints the peak RSS of this process (the server's part: data, preparation, the job's thread) and
of the training child, and how long an over-budget configuration takes to be refused.
Goal (issue 8): server peak RSS under 1.5 GB; refusal under 100 ms.

    python -m benchmarks.bench_memory [--length 1000000] [--lookback 200]
"""
from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from rnnlab.config import RunConfig
from rnnlab.errors import RnnlabError
from rnnlab.experiment import load_data, prepare_data
from rnnlab.job import TrainingJob


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory of a live process, from /proc (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--length", type=int, default=1_000_000)
    ap.add_argument("--lookback", type=int, default=200)
    args = ap.parse_args()
    cfg = RunConfig()
    cfg.data.generator, cfg.data.length, cfg.data.lookback = "sales", args.length, args.lookback
    cfg.model.cell, cfg.model.hidden = "gru", 4
    cfg.train.epochs, cfg.train.batch_size, cfg.train.device = 1, 1024, "cpu"

    start_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    data = load_data(cfg.data)
    prep = prepare_data(cfg.data, data)
    prep_s = time.perf_counter() - t
    print(f"{args.length:,} points x lookback {args.lookback}: prepared in {prep_s:.1f} s "
          f"({len(prep.train):,} training windows, scaler {prep.scaler.kind})")

    job = TrainingJob(cfg, data, mode="process", cpu_threads=1).start()
    child_peak = 0.0
    while not job.join(timeout=0.5):
        if job.child_pid:
            child_peak = max(child_peak, vm_hwm_mb(job.child_pid) or 0.0)
    snap = job.snapshot()
    server_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"training: {snap.state} ({snap.message}); {snap.step:,} steps; test MAE "
          f"{job.result.mae if job.result else None}")
    print(f"peak RSS: server process {server_peak:,.0f} MB (goal < 1,536; {start_mb:,.0f} MB at start), "
          f"training child {child_peak:,.0f} MB")

    too_big = RunConfig()
    too_big.data.length, too_big.data.lookback = 2_000_000, 5_000
    t = time.perf_counter()
    try:
        load_data(too_big.validate().data)
        print("over-budget config was NOT refused")
    except RnnlabError as e:
        print(f"over-budget config refused in {(time.perf_counter() - t) * 1000:.1f} ms (goal < 100): {e}")


if __name__ == "__main__":
    main()
