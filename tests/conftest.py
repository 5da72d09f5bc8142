"""Shared fixtures: tiny configs so the whole suite stays fast on 2 cores."""
import pytest
import torch

from rnnlab.config import RunConfig

torch.set_num_threads(2)


@pytest.fixture
def app():
    """The app's entry script run once in AppTest (Home page), without an exception."""
    from app_kit import ROOT
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    return at


@pytest.fixture
def tiny_config() -> RunConfig:
    """A run that trains in well under a second."""
    cfg = RunConfig()
    cfg.data.generator, cfg.data.length, cfg.data.lookback = "sine", 300, 20
    cfg.model.cell, cfg.model.hidden = "lstm", 8
    cfg.train.epochs, cfg.train.batch_size, cfg.train.device = 2, 32, "cpu"
    return cfg


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, one per browser test module."""
    import browser_kit
    browser_kit.SHOTS.mkdir(parents=True, exist_ok=True)
    with browser_kit.sync_playwright() as p:
        b = browser_kit.launch(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(browser, request):
    """A `python app.py` server for one browser test module, its training forkserver already warm;
    its log goes to artifacts/streamlit-<module>.log."""
    import browser_kit
    (browser_kit.ROOT / "artifacts").mkdir(exist_ok=True)
    name = request.module.__name__.rsplit(".", 1)[-1]
    with open(browser_kit.ROOT / "artifacts" / f"streamlit-{name}.log", "w") as log:
        # a closed tab's job is stopped after this TTL (the app's grace follows it)
        try:
            proc, url = browser_kit.start_server(log, session_ttl=4)
        except TimeoutError as e:
            pytest.fail(str(e))
        try:
            ctx, _ = browser_kit.new_page(browser, url)  # a first session starts the training forkserver
            browser_kit.wait_for_warm_forkserver(proc.pid)
            ctx.close()
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def pytest_collection_modifyitems(items):
    """Every test in a browser test module is marked `browser` (deselect with -m "not browser")."""
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1].startswith("test_browser"):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports what CI otherwise loses: a screenshot of every open page
    (artifacts/screenshots/FAILED-*), the pages' console, and the tail of its streamlit server's log."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed or "browser" not in item.funcargs:
        return
    import browser_kit
    for i, ctx in enumerate(item.funcargs["browser"].contexts):
        for j, page in enumerate(ctx.pages):
            try:
                page.screenshot(path=str(browser_kit.SHOTS / f"FAILED-{item.name}-{i}-{j}.png"))
            except Exception:  # noqa: BLE001 - a closed page: nothing to show
                pass
    rep.sections.append(("browser console (last 40)", "\n".join(browser_kit.CONSOLE[-40:]) or "(empty)"))
    log = browser_kit.ROOT / "artifacts" / f"streamlit-{item.module.__name__.rsplit('.', 1)[-1]}.log"
    if log.exists():
        lines = log.read_text(errors="replace").splitlines()
        tail = [ln for ln in lines if "ScriptRunContext" not in ln][-30:]
        rep.sections.append(("streamlit server log (last 30)", "\n".join(tail)))
