"""Real-browser tests of lessons, links of lessons, projector-size screens and Tune."""
import time

import pytest

from rnnlab.lessons import LESSONS
from browser_kit import CHROMIUM, SHOTS, click_train, goto, new_page, screenshot, set_number, sync_playwright

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="Python playwright is not installed"),
]


SETTINGS = ("Hidden units", "Layers", "Epochs", "Batch size", "Clip norm", "Seed", "W_hh gain", "Dropout")
VALUES_JS = """(labels) => Object.fromEntries(labels.map(l => {
  const el = document.querySelector(`input[aria-label="${l}"]`); return [l, el ? el.value : null]; }))"""


def train_settings(page) -> dict:
    """The Train page's settings as the browser shows them (number boxes and the cell choice)."""
    goto(page, "Train", "Settings" if page.locator("text=Presenter mode").count() == 0 else "Train")
    # every box drawn (a page streams in: the Seed box came a moment after Hidden units, read as None)
    page.wait_for_function(f"() => Object.values(({VALUES_JS})({list(SETTINGS)})).every(v => v !== null)",
                           timeout=20_000)
    values = page.evaluate(VALUES_JS, list(SETTINGS))
    values["cell"] = page.locator("[data-testid=stSelectbox]").filter(has_text="Cell").inner_text()
    return values


def test_vanishing_lesson_in_one_click_shows_the_gradient(server, browser):
    ctx, page = new_page(browser, server)
    card = page.locator(".st-key-lesson_card_vanishing")
    card.get_by_role("button", name="Start").click()  # the one click: from a fresh page to a running lesson
    # the gradient-over-time chart's title: "‖∂L/∂h_t‖ at step N" (bench_latency times it)
    page.wait_for_selector("text=/at step \\d+/", timeout=10_000)
    page.wait_for_selector("text=Lesson: Vanishing gradients", timeout=5_000)
    screenshot(page, "lesson-vanishing.png")
    link_restores_the_lesson(browser, ctx, page, "Vanishing gradients")


@pytest.mark.parametrize("slug", [s for s in LESSONS if not LESSONS[s].needs_csv and s != "vanishing"])
def test_lesson_links_restore_the_same_settings_in_a_new_context(server, browser, slug):
    title = LESSONS[slug].title
    ctx, page = new_page(browser, server)
    card = page.locator(f".st-key-lesson_card_{slug}")
    card.get_by_role("button", name="Start").click()
    page.wait_for_selector(f"text=Lesson: {title}", timeout=20_000)
    link_restores_the_lesson(browser, ctx, page, title)


def link_restores_the_lesson(browser, ctx, page, title: str) -> None:
    """The running lesson's URL, opened in a new context, shows the lesson and the same settings."""
    page.wait_for_function("() => location.search.includes('lesson=')", timeout=10_000)
    link = page.evaluate("() => location.href")
    expected = train_settings(page)
    ctx.close()  # its runs are stopped when the session's TTL passes
    ctx2 = browser.new_context(viewport={"width": 1280, "height": 720})
    other = ctx2.new_page()
    other.goto(link)
    other.wait_for_selector(f"text=Lesson: {title}", timeout=30_000)  # the banner, with Run again
    assert train_settings(other) == expected
    ctx2.close()


# Layout problems of every Plotly chart on the page: a title overlapping the legend or an axis title,
# a legend over an axis title, a tick label or axis title drawn outside the chart (clipped).
LAYOUT_JS = """() => {
  const box = el => el ? el.getBoundingClientRect() : null;
  const hit = (a, b) => a && b && a.width && b.width && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const problems = [];
  document.querySelectorAll('.js-plotly-plot').forEach((plot, i) => {
    const svg = box(plot.querySelector('svg.main-svg'));
    const title = box(plot.querySelector('.g-gtitle text')), legend = box(plot.querySelector('.legend'));
    const xt = box(plot.querySelector('.g-xtitle text')), yt = box(plot.querySelector('.g-ytitle text'));
    const name = (plot.querySelector('.g-gtitle text') || {}).textContent || `chart ${i}`;
    if (hit(title, legend)) problems.push(`${name}: title overlaps legend`);
    if (hit(legend, xt)) problems.push(`${name}: legend overlaps x title`);
    if (hit(title, yt)) problems.push(`${name}: title overlaps y title`);
    plot.querySelectorAll('.g-gtitle text, .xtick text, .ytick text, .g-xtitle text, .g-ytitle text').forEach(t => {
      const b = box(t);
      if (b.width && (b.left < svg.left - 1 || b.right > svg.right + 1 || b.top < svg.top - 1 || b.bottom > svg.bottom + 1))
        problems.push(`${name}: '${t.textContent}' clipped`);
    });
  });
  return problems;
}"""


def projector_shots(page, name: str) -> None:
    """Screenshots at 1280 x 720 as a projector shows them, scrolled to each chart in turn; every
    chart's layout checked (no overlapping titles or legends, no clipped axis labels)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.wait_for_timeout(1200)
    for i in range(min(page.locator(".js-plotly-plot").count(), 4)):  # live charts are redrawn: found anew
        page.evaluate("(i) => { const c = document.querySelectorAll('.js-plotly-plot')[i]; "
                      "if (c) c.scrollIntoView({block: 'start'}); }", i)
        page.wait_for_timeout(400)
        page.screenshot(path=str(SHOTS / f"{name}-{i + 1}.png"))
    assert page.evaluate(LAYOUT_JS) == []
    assert page.locator("[data-testid=stException]").count() == 0  # no traceback, ever


def test_screens_at_1280x720_a_lesson_presented_compare_and_inspect_while_training(server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    page.goto(server + "/?present=1")
    card = page.locator(".st-key-lesson_card_keras-mistake")  # a short race: two runs of ~2 s
    card.get_by_role("button", name="Start").click()
    page.wait_for_selector("text=Lesson: The classic Keras mistake", timeout=20_000)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=30_000)
    page.wait_for_selector("text=/wins on test MAE/", timeout=30_000)  # the race run to its end
    projector_shots(page, "lesson-present")
    page.locator("[data-testid=stExpandSidebarButton]").click()  # folded while presenting
    toggle = page.locator("[data-testid=stSidebar]").get_by_role("button", name="Leave presenter mode")
    toggle.wait_for(state="visible", timeout=10_000)
    page.wait_for_timeout(500)  # the sidebar slides in
    toggle.click()  # presenting off
    page.wait_for_function("() => !location.search.includes('present=1')", timeout=10_000)
    projector_shots(page, "compare")
    goto(page, "Train", "Hidden units")
    set_number(page, "Epochs", 300)
    click_train(page, 300)  # a fresh run to inspect while it trains
    goto(page, "Inspect", "The gradient at every time step")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=30_000)
    projector_shots(page, "inspect-live")
    ctx.close()


TRIALS_JS = """() => { const el = [...document.querySelectorAll('.js-plotly-plot')].find(
  p => (p.querySelector('.g-gtitle text') || {}).textContent?.startsWith('Trials'));
  return el && el._fullData ? el._fullData.filter(t => t.name !== 'best so far').reduce((a, t) => a + (t._length || 0), 0) : 0; }"""


def test_tune_shows_trials_live_stops_and_the_best_run_opens_on_predict(server, browser):
    ctx, page = new_page(browser, server)
    goto(page, "Data", "Scaler")
    set_number(page, "Length (points)", 400)
    goto(page, "Train", "Press")
    set_number(page, "Epochs", 15)
    goto(page, "Tune", "Budget")
    set_number(page, "Budget (seconds)", 20)
    page.get_by_role("button", name="Tune", exact=True).click()
    counts, deadline = [], time.perf_counter() + 15
    while time.perf_counter() < deadline:
        counts.append(page.evaluate(TRIALS_JS))
        if len(set(c for c in counts if c > 0)) >= 2:  # trials kept appearing while we watched
            break
        page.wait_for_timeout(500)
    assert len(set(c for c in counts if c > 0)) >= 2, counts
    # longer than the server's disconnectedSessionTTL (4 s) on another page, the search still runs: its
    # trials belong to this session, whose sidebar keeps sending heartbeats (once they belonged to a
    # stranger, and then no page sent any: either way the registry stopped them and the search ended)
    goto(page, "Data", "Scaler")
    page.wait_for_timeout(7_000)
    goto(page, "Tune", "Budget")
    page.wait_for_selector("text=/running · \\d+ trials · \\d+ of 20 s/", timeout=5_000)  # still searching
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector("text=The best settings, trained once", timeout=30_000)
    page.wait_for_selector("text=/test MAE/", timeout=60_000)
    screenshot(page, "tune.png")
    goto(page, "Predict", "Test metrics")
    screenshot(page, "tune-predict.png")
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stSelectbox]')].some("
                           "e => e.innerText.includes('tuned: trial') || (e.querySelector('input') || {}).value"
                           "?.includes('tuned: trial'))", timeout=10_000)  # the run picker shows the best run
    ctx.close()
