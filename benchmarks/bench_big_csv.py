"""Data page with a 1,000,000-row CSV: seconds to render after the upload and after a lookback change.

Goal (issue 8): under 5 s after upload, under 2 s after a lookback change. Runs the real page in
Streamlit's AppTest (no browser: the time measured is the server's, which is what grows with rows).

    python -m benchmarks.bench_big_csv [--rows 1000000]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def big_csv(rows: int) -> bytes:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2000-01-01", periods=rows, freq="min")
    values = 100 + np.cumsum(rng.normal(0, 1, rows)) + 10 * np.sin(np.arange(rows) * 2 * np.pi / 1440)
    frame = pd.DataFrame({"time": dates.strftime("%Y-%m-%d %H:%M"), "load": values.round(3)})
    return frame.to_csv(index=False).encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    raw = big_csv(args.rows)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page("views/data.py").run()
    at.radio(key="w_source").set_value("Upload CSV").run()
    t = time.perf_counter()
    at.get("file_uploader")[0].set_value(("big.csv", raw, "text/csv")).run()
    upload_s = time.perf_counter() - t
    errors = [e.value for e in at.error]
    lookback = at.number_input(key="w_data_lookback").value
    t = time.perf_counter()
    at.number_input(key="w_data_lookback").set_value(lookback // 2).run()
    change_s = time.perf_counter() - t
    t = time.perf_counter()
    at.run()
    rerun_s = time.perf_counter() - t
    print(f"{args.rows:,} rows ({len(raw) / 2**20:.0f} MB): render after upload {upload_s:.2f} s (goal < 5), "
          f"after a lookback change {change_s:.2f} s (goal < 2), plain rerun {rerun_s:.2f} s"
          + (f"; errors shown: {errors}" if errors else ""))
    print("windows:", " ".join(c.value for c in at.caption if c.value.startswith("Windows")))


if __name__ == "__main__":
    main()
