"""How fast the live page answers, in headless Chromium against fresh `python app.py` servers.

    python -m benchmarks.bench_latency [--fresh 3] [--runs 5] [--epochs 400]

Measured in the page (performance.now()), on the Train page's default series:
- first page: from the navigation's start to the Home page's demo button, the first page of a
  fresh server (median of `fresh` servers, each started, measured and ended with its forkserver);
- first loss point after Train, from the mouse press: the first click after server start on each
  fresh server (median; the click comes as soon as the Train page is there and its epochs are set),
  and the median of `runs` clicks once the training forkserver is warm;
- the live chart's redraw gaps while training (median and longest);
- Stop: from the press to "stopped · epoch" on the page;
- the vanishing lesson: from Start on its card to the gradient-over-time chart.
Each figure is printed with its goal and figure / goal (below 1 meets it). The browser tests check
only that these things happen; how fast is this script's business.
"""
from __future__ import annotations

import argparse
import statistics
import time

from benchmarks.app_driver import (FIRST_POINT_JS, LATEST_X_JS, WATCH_JS, click_train, goto, launch, new_page,
                                   set_number, start_server, stop_server, sync_playwright, wait_for_warm_forkserver)

DEMO = "Train the classic random-walk demo"
# When the demo button's text first shows, in ms from the navigation's start (before any script runs).
PAGE_SEEN_JS = """new MutationObserver((_, obs) => {
  if (document.body && document.body.innerText.includes('%s')) { window.__page = performance.now(); obs.disconnect(); }
}).observe(document, {subtree: true, childList: true, characterData: true});""" % DEMO

GOALS = {"first page (fresh server)": 2.0, "first point, first click after start": 1.0,
         "first point, warm (median)": 0.3, "Stop (median)": 0.5, "redraw gap (median)": 1.0,
         "redraw gap (longest)": 2.0, "vanishing lesson: gradient chart": 5.0}


def since_press(page, mark: str) -> float:
    page.wait_for_function(f"() => window.{mark} !== null", timeout=30_000)
    return page.evaluate(f"() => (window.{mark} - window.__down) / 1000")


def train_once(page, epochs: int, watch_s: float = 3.0) -> tuple[float, list[float], float]:
    """(first point, redraw gaps, Stop) of one Train click: seconds, measured in the page."""
    clicked = click_train(page, epochs, before_click=FIRST_POINT_JS)
    first = since_press(page, "__first")
    changes, prev = [], None
    while time.perf_counter() - clicked < first + watch_s:
        x = page.evaluate(LATEST_X_JS)
        if x != prev:
            changes.append(time.perf_counter())
            prev = x
        page.wait_for_timeout(25)
    page.evaluate(WATCH_JS, "stopped · epoch")
    page.get_by_role("button", name="Stop").click()
    stop = since_press(page, "__seen")
    return first, [b - a for a, b in zip(changes, changes[1:])], stop


def fresh_server(browser, epochs: int) -> tuple[float, float]:
    """(first page, first point of the first Train click) on a freshly started server."""
    proc, url = start_server()
    try:
        ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = ctx.new_page()
        page.add_init_script(PAGE_SEEN_JS)
        page.goto(url)
        page.wait_for_selector(f"text={DEMO}", timeout=60_000)
        first_page = page.evaluate("() => window.__page") / 1000
        goto(page, "Train", "Press")
        set_number(page, "Epochs", epochs)
        cold, _, _ = train_once(page, epochs, watch_s=0.5)
        ctx.close()
    finally:
        stop_server(proc)
    return first_page, cold


def measure(browser, fresh: int, runs: int, epochs: int) -> dict[str, float]:
    out = {}
    pages, colds = zip(*(fresh_server(browser, epochs) for _ in range(fresh)))
    out["first page (fresh server)"] = statistics.median(pages)
    out["first point, first click after start"] = statistics.median(colds)
    print(f"fresh servers: first page {', '.join(f'{x:.2f}' for x in pages)} s; "
          f"first point, first click {', '.join(f'{x:.2f}' for x in colds)} s")
    proc, url = start_server()
    try:
        ctx, page = new_page(browser, url)
        goto(page, "Train", "Press")
        set_number(page, "Epochs", epochs)
        wait_for_warm_forkserver(proc.pid)
        firsts, gaps, stops = [], [], []
        for _ in range(runs):
            first, g, stop = train_once(page, epochs)
            firsts.append(first)
            gaps += g
            stops.append(stop)
        out["first point, warm (median)"] = statistics.median(firsts)
        out["Stop (median)"] = statistics.median(stops)
        out["redraw gap (median)"] = statistics.median(gaps) if gaps else float("inf")
        out["redraw gap (longest)"] = max(gaps, default=float("inf"))
        ctx.close()
        ctx, page = new_page(browser, url)
        page.evaluate(WATCH_JS, "at step")  # the gradient-over-time chart's title: "‖∂L/∂h_t‖ at step N"
        page.locator(".st-key-lesson_card_vanishing").get_by_role("button", name="Start").click()
        out["vanishing lesson: gradient chart"] = since_press(page, "__seen")
        ctx.close()
    finally:
        stop_server(proc)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fresh", type=int, default=3, help="fresh servers: first page, first click (median)")
    ap.add_argument("--runs", type=int, default=5, help="warm Train clicks (median)")
    ap.add_argument("--epochs", type=int, default=400, help="epochs per run (each run is stopped)")
    args = ap.parse_args()
    with sync_playwright() as p:
        browser = launch(p)
        try:
            out = measure(browser, args.fresh, args.runs, args.epochs)
        finally:
            browser.close()
    print("| measure | seconds | goal | / goal |\n|---|---|---|---|")
    for name, seconds in out.items():
        print(f"| {name} | {seconds:.3f} | {GOALS[name]:g} | {seconds / GOALS[name]:.2f} |")


if __name__ == "__main__":
    main()
