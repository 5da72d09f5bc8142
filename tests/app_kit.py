"""Helpers shared by the AppTest page tests (the `app` fixture itself lives in conftest.py)."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"views/{name}.py").run()
    assert not at.exception, at.exception
    return at


def train_tiny(at: AppTest, epochs: int = 2) -> None:
    open_page(at, "train")
    at.number_input(key="w_train_epochs").set_value(epochs)
    at.number_input(key="w_model_hidden").set_value(8)
    at.button(key="train_button").click().run()
    assert not at.exception, at.exception
    job = at.session_state["job"]
    assert job.join(timeout=60)
    at.run()


def process_gone(pid: int) -> bool:
    """True once process `pid` has ended (gone, or a zombie waiting to be reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"  # zombie: ended
    except FileNotFoundError:
        return True


def wait_until(condition, timeout: float = 30.0, what: str = "the condition", every: float = 0.01) -> None:
    """Poll `condition()` until it is true; fail after `timeout` seconds, saying what was awaited."""
    import time
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(every)
