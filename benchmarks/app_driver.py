"""The real app driven in headless Chromium: a `python app.py` server, pages, clicks and in-page
timers. Shared by the browser tests (tests/browser_kit.py holds their fixtures) and the latency
benchmark (benchmarks/bench_latency.py)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

# Sum of drawn points over all traces of the first Plotly chart (the loss chart on Train).
POINTS_JS = """() => {
  const el = document.querySelector('.js-plotly-plot');
  if (!el || !el._fullData) return -1;
  return el._fullData.reduce((a, t) => a + (t._length || 0), 0);
}"""


# The latest x drawn on the first Plotly chart (the loss chart's step): it moves on every live redraw,
# while the number of points stops changing once the live chart's decimation cap is reached.
LATEST_X_JS = """() => {
  const el = document.querySelector('.js-plotly-plot');
  if (!el || !el._fullData) return -1;
  return Math.max(-1, ...el._fullData.map(t => t.x && t.x.length ? Number(t.x[t.x.length - 1]) : -1));
}"""


# Time from the mouse press on a button to a text appearing on the page, measured in the page.
WATCH_JS = """(text) => {
  window.__down = null; window.__seen = null;
  document.addEventListener('mousedown', () => { if (window.__down === null) window.__down = performance.now(); },
                            {capture: true, once: true});
  const obs = new MutationObserver(() => {
    if (window.__seen === null && document.body.innerText.includes(text)) { window.__seen = performance.now(); obs.disconnect(); }
  });
  obs.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


# Time from the mouse press to the first drawn point of a new run's loss chart, measured in the page:
# the first non-empty chart whose (points, latest step) differ from the finished run's chart at the
# press (a finished run's chart no longer changes; counting points alone missed a new run that drew
# more points at its first redraw than the decimated old chart had).
FIRST_POINT_JS = """() => {
  window.__down = null; window.__first = null; window.__before = null;
  const sig = () => { const el = document.querySelector('.js-plotly-plot');
    if (!el || !el._fullData) return [0, -1];
    return [el._fullData.reduce((a, t) => a + (t._length || 0), 0),
            Math.max(-1, ...el._fullData.map(t => t.x && t.x.length ? Number(t.x[t.x.length - 1]) : -1))]; };
  document.addEventListener('mousedown', () => { if (window.__down === null) { window.__down = performance.now();
    window.__before = sig(); } }, {capture: true, once: true});
  const timer = setInterval(() => {
    const [n, x] = sig();
    if (window.__down !== null && n > 0 && (n !== window.__before[0] || x !== window.__before[1])) {
      window.__first = performance.now(); clearInterval(timer); }
  }, 20);
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def wait_for_warm_forkserver(server_pid: int, timeout: float = 30.0) -> None:
    """The first browser session starts the training forkserver, which imports torch in the
    background; wait until it exists and has gone idle, so timings measure training, not start-up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in forkserver_pids(server_pid):
            try:
                before = _cpu_ticks(pid)
                time.sleep(0.5)
                if _cpu_ticks(pid) == before:
                    return
            except (FileNotFoundError, ProcessLookupError):
                continue
        time.sleep(0.2)
    raise TimeoutError(f"the training forkserver did not start within {timeout:g} s")


def start_server(log=subprocess.DEVNULL, session_ttl: float | None = None, timeout: float = 30.0):
    """(process, url) of a fresh `python app.py` (the README's way: Streamlit, with the training
    forkserver warming up from the start), once its health check answers."""
    port = free_port()
    env = {**os.environ, "RNNLAB_MAX_JOBS": "2", "PYTHONUNBUFFERED": "1"}
    ttl = [] if session_ttl is None else ["--server.disconnectedSessionTTL", f"{session_ttl:g}"]
    proc = subprocess.Popen([sys.executable, "app.py", "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false", *ttl],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise TimeoutError(f"streamlit server did not become healthy in {timeout:g} s")


def _descendants(pid: int) -> list[int]:
    """Every process below pid (Linux /proc; one that ends meanwhile is skipped)."""
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids + [d for k in kids for d in _descendants(k)]


def forkserver_pids(server_pid: int) -> list[int]:
    """The training forkserver(s) below a server (any of its threads may have started one)."""
    found = []
    for pid in _descendants(server_pid):
        try:
            if b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:  # it ended meanwhile
            pass
    return found


def stop_server(proc) -> None:
    """End a server and every process it started (its training forkserver goes on importing torch
    for seconds after its server is gone, which would slow whatever is measured next)."""
    family = _descendants(proc.pid)
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for pid in family:
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def launch(p):
    """Headless Debian Chromium (Playwright's own download is not used)."""
    return p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


CONSOLE: list[str] = []  # the pages' console and websocket errors, shown when a browser test fails


def new_page(browser, url, wait_text: str = "Train the classic random-walk demo"):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = ctx.new_page()
    page.on("console", lambda m: CONSOLE.append(f"{time.strftime('%H:%M:%S')} {m.type}: {m.text[:300]}"))
    page.on("pageerror", lambda e: CONSOLE.append(f"{time.strftime('%H:%M:%S')} pageerror: {str(e)[:300]}"))
    page.goto(url)
    page.wait_for_selector(f"text={wait_text}", timeout=30_000)
    return ctx, page


def goto(page, name: str, wait_text: str) -> None:
    """Open a page from the sidebar."""
    page.get_by_role("link", name=name).click()
    page.get_by_role("heading", name=name).first.wait_for(timeout=20_000)
    page.wait_for_selector(f"text={wait_text}", timeout=20_000)


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(600)  # let the rerun land


def click_train(page, epochs: int, before_click: str | None = None) -> float:
    """Press Train and wait for the new run's progress line ("/epochs · step"). before_click: JS run
    before the press (an in-page timer that starts at the press)."""
    if before_click:
        page.evaluate(before_click)
    page.get_by_role("button", name="Train", exact=True).click()
    clicked = time.perf_counter()
    page.wait_for_selector(f"text=/\\/{epochs} · step/", timeout=20_000)
    return clicked


def start_training(page, epochs: int) -> float:
    set_number(page, "Epochs", epochs)
    return click_train(page, epochs)


def progress_text(page) -> str:
    el = page.locator("text=/(running|paused|stopped|completed|queued) · epoch/").first
    return el.inner_text(timeout=10_000)


