"""The browser tests' helpers: screenshots, and what benchmarks/app_driver.py shares with the
latency benchmark (server, pages, clicks, in-page timers). The fixtures live in conftest.py."""
from __future__ import annotations

from benchmarks.app_driver import (CHROMIUM, CONSOLE, FIRST_POINT_JS, LATEST_X_JS, POINTS_JS,  # noqa: F401
                                   ROOT, WATCH_JS, click_train, goto, launch, new_page, progress_text,
                                   set_number, start_server, start_training, sync_playwright,
                                   wait_for_warm_forkserver)

SHOTS = ROOT / "artifacts" / "screenshots"


def screenshot(page, name: str, height: int = 1900) -> None:
    """Full-height screenshot (Streamlit scrolls inside the page, so enlarge the viewport)."""
    page.set_viewport_size({"width": 1600, "height": height})
    page.wait_for_timeout(700)
    page.screenshot(path=str(SHOTS / name))
    page.set_viewport_size({"width": 1600, "height": 1000})
