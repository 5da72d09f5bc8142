"""In-app training throughput: a TrainingJob polled like the Train page versus the headless CLI path.

    python -m benchmarks.bench_job [--preset sales-lstm] [--refresh 0.5] [--epochs 120]
    python -m benchmarks.bench_job --browser --preset keras-classic --epochs 200   # the real app

The job runs in its background thread while this thread does what the page fragment does every
`refresh` seconds (snapshot + build the loss and gradient figures + serialise them to JSON).
Prints samples/s of both and the ratio (goal: >= 0.8).
"""
from __future__ import annotations

import argparse
import statistics
import json
import subprocess
import sys
import time

from rnnlab import plots
from rnnlab.config import RunConfig
from rnnlab.job import TrainingJob
from rnnlab.presets import preset_config


def config(preset: str) -> RunConfig:
    return preset_config(preset, device="cpu")


def headless(preset: str, epochs: int) -> float:
    """samples/s of the real CLI in its own process (torch's default thread count)."""
    out = subprocess.run([sys.executable, "-m", "rnnlab", "train", "--preset", preset, "--epochs", str(epochs),
                          "--device", "cpu", "--json"], capture_output=True, text=True, check=True).stdout
    r = json.loads(out)
    return r["windows"]["train"] * r["epochs_run"] / r["train_seconds"]


def in_app(cfg: RunConfig, refresh: float) -> float:
    job = TrainingJob(cfg, mode="process", cpu_threads=1).start()  # as the app runs it (ui/jobs.py)
    redraws = 0
    while job.alive:
        time.sleep(refresh)
        snap = job.snapshot()
        per_epoch = snap.total_steps / max(snap.epochs, 1)
        plots.loss_figure(snap.history, snap.steps, snap.losses, per_epoch).to_json()
        plots.grad_norm_figure(snap.steps, snap.grad_norms).to_json()
        redraws += 1
    r = job.result
    print(f"  in-app run: {redraws} redraws, {r.train_seconds:.2f} s")
    return r["windows"]["train"] * r["epochs_run"] / r["train_seconds"]


def in_browser(preset: str, epochs: int, diagnostics: bool = True) -> float:
    """samples/s of the real app: a streamlit server driven by headless Chromium (Train page)."""
    import re
    import shutil
    import socket
    import urllib.parse
    import urllib.request

    from playwright.sync_api import sync_playwright

    from rnnlab.experiment import setup

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "app.py", "--server.port", str(port),  # as README runs it
                               "--server.headless", "true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                  args=["--no-sandbox", "--disable-background-networking"])
            page = b.new_page(viewport={"width": 1600, "height": 1000})
            cfg = config(preset)
            cfg.train.epochs = epochs
            query = {**cfg.to_query(), "train.probe_every": "-1" if diagnostics else "0"}
            page.goto(f"{url}/train?{urllib.parse.urlencode(query)}")  # a link sets every widget
            page.wait_for_selector("text=Press", timeout=60_000)
            page.get_by_role("button", name="Train").click()
            page.wait_for_selector("text=/s of training/", timeout=600_000)
            text = page.locator("text=/s of training/").first.inner_text()
            b.close()
    finally:
        server.terminate()
    seconds = float(re.search(r"([0-9.]+) s of training", text).group(1))
    n_train = len(setup(config(preset)).prep.train)
    return n_train * epochs / seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="sales-lstm")
    ap.add_argument("--refresh", type=float, default=0.5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=120, help="long enough for many redraws")
    ap.add_argument("--browser", action="store_true",
                    help="measure the real app in headless Chromium instead of a simulated page")
    args = ap.parse_args()
    if args.browser:
        ratios = {False: [], True: []}
        for r in range(args.repeats):
            a = headless(args.preset, args.epochs)
            for diagnostics in (False, True):
                b = in_browser(args.preset, args.epochs, diagnostics)
                ratios[diagnostics].append(b / a)
                label = "diagnostics auto" if diagnostics else "diagnostics off"
                print(f"run {r}: headless CLI {a:,.0f} samples/s, app in Chromium ({label}) {b:,.0f} samples/s, "
                      f"ratio {b / a:.3f}", flush=True)
        for diagnostics, values in ratios.items():
            label = "diagnostics auto" if diagnostics else "diagnostics off"
            print(f"median ratio app / CLI ({label}): {statistics.median(values):.3f} "
                  f"(min {min(values):.3f}, max {max(values):.3f}, {len(values)} runs)")
        return
    cfg = config(args.preset)
    cfg.train.epochs = args.epochs
    ratios = []
    for _ in range(args.repeats):
        a = headless(args.preset, args.epochs)
        b = in_app(cfg, args.refresh)
        ratios.append(b / a)
        print(f"headless {a:,.0f} samples/s, in-app {b:,.0f} samples/s, ratio {ratios[-1]:.3f}")
    print(f"min ratio in-app / headless: {min(ratios):.3f} (preset {args.preset}, refresh {args.refresh} s)")


if __name__ == "__main__":
    main()
