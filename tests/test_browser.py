"""Real-browser tests: a `python app.py` server driven by Playwright in headless Debian Chromium.

Skipped, with the reason, only where no Chromium or Playwright exists. Screenshots go to
artifacts/screenshots/ (ignored by git). Fixtures in conftest.py, helpers in tests/browser_kit.py.
"""
import time

import numpy as np
import pytest

from browser_kit import (CHROMIUM, FIRST_POINT_JS, LATEST_X_JS, click_train, goto, new_page,
                         progress_text, screenshot, set_number, start_training, sync_playwright)

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="Python playwright is not installed"),
]


def test_demo_streams_loss_and_stops(server, browser):
    """Things happen (how fast is benchmarks/bench_latency.py's business): the first loss point, the
    chart redrawing as training goes on (a frozen chart fails here), Stop shown."""
    ctx, page = new_page(browser, server)
    page.get_by_role("button", name="Train the classic random-walk demo").click()  # one click trains it
    try:
        page.wait_for_selector("text=test MAE", timeout=30_000)
    except Exception:  # noqa: BLE001 - playwright's TimeoutError: keep what the page showed, for the log
        screenshot(page, "demo-no-result.png")
        raise
    set_number(page, "Epochs", 400)
    clicked = click_train(page, 400, before_click=FIRST_POINT_JS)
    changes, prev = [], None
    while time.perf_counter() - clicked < 7.0:  # redraws of the new run's chart, from its first point on
        n = page.evaluate(LATEST_X_JS)
        if page.evaluate("() => window.__first !== null") and n != prev:
            changes.append(time.perf_counter())
            prev = n
        page.wait_for_timeout(50)
    page.wait_for_function("() => window.__first !== null", timeout=5_000)  # the new run drew its first point
    assert len(changes) >= 4, f"loss chart redrew only {len(changes)} times in 7 s: {np.diff(changes)}"
    screenshot(page, "train-live.png")
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector("text=/stopped · epoch/", timeout=5_000)
    goto(page, "Predict", "Test metrics")
    page.wait_for_selector(".js-plotly-plot", timeout=20_000)
    screenshot(page, "predict.png", height=2600)
    goto(page, "Inspect", "The gradient at every time step")
    page.wait_for_selector("text=/steps back|vanishes|explodes/", timeout=20_000)
    # the charts stream in one after another: wait for all five (heatmaps, gates, gradients), not the first
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 5", timeout=20_000)
    screenshot(page, "inspect.png", height=2600)
    ctx.close()


def test_page_switch_keeps_training(server, browser):
    ctx, page = new_page(browser, server)
    goto(page, "Train", "Press")
    start_training(page, epochs=500)
    page.wait_for_selector("text=/running · epoch/", timeout=10_000)
    goto(page, "Data", "Scaler auto")
    page.wait_for_selector(".js-plotly-plot", timeout=20_000)
    screenshot(page, "data.png")
    page.wait_for_timeout(1500)
    goto(page, "Train", "samples/s")
    text = progress_text(page)
    assert text.startswith("running"), text
    step_a = int(text.split("step ")[1].split("/")[0].replace(",", ""))
    page.wait_for_timeout(1500)
    step_b = int(progress_text(page).split("step ")[1].split("/")[0].replace(",", ""))
    assert step_b > step_a > 0
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector("text=/stopped · epoch/", timeout=5_000)
    ctx.close()


def test_upload_csv_and_train(server, browser, tmp_path):
    t = np.arange(300)
    rows = [f"2024-01-01,{v:.2f}" for v in 100 + 10 * np.sin(2 * np.pi * t / 7)]
    dates = np.datetime64("2024-01-01") + t
    csv = tmp_path / "visits.csv"
    csv.write_text("day,visits\n" + "\n".join(f"{d},{r.split(',')[1]}" for d, r in zip(dates, rows)) + "\n")
    ctx, page = new_page(browser, server)
    goto(page, "Data", "Scaler")
    page.get_by_text("Upload CSV").click()
    page.locator("input[type=file]").set_input_files(str(csv))
    page.wait_for_selector("text=first rows", timeout=20_000)
    page.wait_for_selector("text=dates from column 'day'", timeout=20_000)
    goto(page, "Train", "Press")
    start_training(page, epochs=3)
    page.wait_for_selector("text=test MAE", timeout=60_000)
    # the sidebar is filled after the page on each full rerun (ui/sidebar.py): wait for it, not the first read
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]')"
                           ".innerText.includes('visits.csv')", timeout=10_000)
    ctx.close()


def test_two_sessions_are_isolated_and_leave_no_job(server, browser):
    (ctx_a, a), (ctx_b, b) = new_page(browser, server), new_page(browser, server)
    for page, epochs in ((a, 700), (b, 600)):
        goto(page, "Train", "Press")
        start_training(page, epochs)
    for page, epochs in ((a, 700), (b, 600)):
        page.wait_for_selector("text=/running · epoch/", timeout=15_000)
        assert f"/{epochs} · step" in progress_text(page)  # each session sees its own run (read once: it moves)
    a.wait_for_selector("text=Training slots in use on this server: 2 of 2", timeout=10_000)
    ctx_a.close()
    ctx_b.close()
    ctx_c, c = new_page(browser, server)
    goto(c, "Train", "Press")
    deadline = time.perf_counter() + 20
    while time.perf_counter() < deadline:
        c.reload()
        c.wait_for_selector("text=Training slots in use", timeout=20_000)
        if c.locator("text=Training slots in use on this server: 0 of 2").count():
            break
        c.wait_for_timeout(1000)
    assert c.locator("text=Training slots in use on this server: 0 of 2").count() == 1
    ctx_c.close()


def wait_for_value(page, label: str, value: str) -> None:
    page.wait_for_function(f"() => (document.querySelector('input[aria-label=\"{label}\"]') || {{}}).value === '{value}'",
                           timeout=20_000)


def test_settings_live_in_the_url_and_a_new_context_restores_them(server, browser):
    ctx, page = new_page(browser, server)
    goto(page, "Train", "Press")
    set_number(page, "Hidden units", 48)
    set_number(page, "Epochs", 7)
    page.wait_for_function("() => location.search.includes('model.hidden=48') && location.search.includes('train.epochs=7')",
                           timeout=10_000)
    link = page.evaluate("() => location.href")
    assert "/train?" in link
    page.reload()  # a reload keeps the settings
    wait_for_value(page, "Hidden units", "48")
    ctx.close()
    ctx2 = browser.new_context(viewport={"width": 1280, "height": 720})
    other = ctx2.new_page()
    other.goto(link)  # someone else opens the link
    wait_for_value(other, "Hidden units", "48")
    wait_for_value(other, "Epochs", "7")
    ctx2.close()


RACE_POINTS_JS = """() => {
  const el = document.querySelector('.js-plotly-plot');
  if (!el || !el._fullData) return {};
  const out = {};
  for (const t of el._fullData) { out[t.name] = t._length || 0; }
  return out;
}"""


def test_race_of_cells_grows_three_curves_live(server, browser):
    ctx, page = new_page(browser, server)
    goto(page, "Train", "Press")
    set_number(page, "Hidden units", 16)  # small runs: with two slots the third (queued) starts soon
    set_number(page, "Epochs", 60)
    page.get_by_role("link", name="Compare").click()
    page.wait_for_selector("text=Race the cells", timeout=20_000)
    page.get_by_role("button", name="Race the cells").click()
    page.wait_for_function("() => document.body.innerText.includes('race 1: gru')", timeout=20_000)
    seen: dict[str, list[int]] = {}
    deadline = time.perf_counter() + 25
    while time.perf_counter() < deadline:
        for name, n in page.evaluate(RACE_POINTS_JS).items():
            if name.endswith("validation"):
                seen.setdefault(name, []).append(n)
        if len(seen) == 3 and all(max(v) > min(v) > 0 for v in seen.values()):
            break
        page.wait_for_timeout(500)
    assert sorted(seen) == [f"race 1: {c} validation" for c in ("gru", "lstm", "rnn")], seen
    assert all(max(v) > min(v) > 0 for v in seen.values()), seen  # each curve grew while we watched
    screenshot(page, "compare.png")
    ctx.close()


