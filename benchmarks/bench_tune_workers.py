"""Tune across processes: trials finished by one `rnnlab tune` process against two sharing a study.

    python -m benchmarks.bench_tune_workers [--budget 30] [--workers 2]

Each process trains with one CPU thread, so on a machine with as many free cores as workers each
has its own core. Prints the trial count of one process alone, of N processes on one SQLite study,
and the ratio (goal >= 1.5 for two workers).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--data", "sales", "--length", "800", "--epochs", "15", "--threads", "1", "--json"]


def run(workers: int, budget: float, folder: Path) -> tuple[int, list[int]]:
    """(trials in the study, exit codes) of `workers` processes started together on a fresh study."""
    url = f"sqlite:///{folder}/tune-{workers}.db"
    procs = [subprocess.Popen([sys.executable, "-m", "rnnlab", "tune", *FLAGS, "--budget", str(budget),
                               "--storage", url, "--study", "bench"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True) for _ in range(workers)]
    outs = [p.communicate()[0] for p in procs]
    counts = [json.loads(o)["tune"]["trials"] for o in outs if o.strip()]
    return max(counts, default=0), [p.returncode for p in procs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one, codes1 = run(1, args.budget, Path(tmp))
        many, codes = run(args.workers, args.budget, Path(tmp))
    print(f"budget {args.budget:g} s: 1 process {one} trials (exit {codes1}); {args.workers} processes "
          f"{many} trials (exit {codes}); ratio {many / max(one, 1):.2f} (goal >= 1.5)")


if __name__ == "__main__":
    main()
