"""Run the demo and lesson browser tests many times in a row, each in a fresh pytest process (a
fresh server), and count the failures: the check for a live chart that stops refreshing.

    python -m benchmarks.loop_browser [--times 20]

Prints one line per round and the count at the end; exits 1 if any round failed. The tests it
loops check that the loss chart keeps redrawing while training (test_demo_streams_loss_and_stops)
and that a lesson's gradient chart appears after one click."""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT / "artifacts" / "loop"
TESTS = ["tests/test_browser.py::test_demo_streams_loss_and_stops",
         "tests/test_browser.py::test_page_switch_keeps_training",
         "tests/test_browser_lessons.py::test_vanishing_lesson_in_one_click_shows_the_gradient"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--times", type=int, default=20)
    args = ap.parse_args()
    failed = 0
    for i in range(1, args.times + 1):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
                             cwd=ROOT, capture_output=True, text=True)
        last = (out.stdout.strip().splitlines() or ["(no output)"])[-1]
        failed += out.returncode != 0
        print(f"round {i}: {'ok' if out.returncode == 0 else 'FAILED'} in {time.perf_counter() - t:.0f} s · {last}",
              flush=True)
        if out.returncode != 0:  # the whole log of a failed round, for reading later
            LOGS.mkdir(parents=True, exist_ok=True)
            (LOGS / f"round-{i}.log").write_text(out.stdout + out.stderr)
            print(f"  log: {LOGS / f'round-{i}.log'}", flush=True)
    print(f"{args.times - failed} of {args.times} rounds passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
