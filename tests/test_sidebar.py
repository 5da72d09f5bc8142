"""The sidebar's device: a choice only where there is one, and never read from a half-imported torch."""
import importlib.machinery
import sys
import types
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import settings

ROOT = Path(__file__).resolve().parent.parent


def half_imported_torch() -> types.ModuleType:
    """torch as another thread sees it midway through its import: in sys.modules, `cuda` not yet there."""
    torch = types.ModuleType("torch")
    torch.__spec__ = importlib.machinery.ModuleSpec("torch", None)
    torch.__spec__._initializing = True  # what the import system sets until the module's code has run
    return torch


def test_device_choices_do_not_read_a_half_imported_torch(monkeypatch):
    """A page drawn while the warm-up imports torch (a click in the seconds after the first page)
    crashed with "partially initialized module 'torch' has no attribute 'cuda'": the sidebar vanished."""
    monkeypatch.setitem(sys.modules, "torch", half_imported_torch())
    monkeypatch.setattr(settings, "gpu_driver", lambda: True)
    assert settings.device_options() == {"auto": "auto", "cpu": "CPU", "cuda": "CUDA"}
    monkeypatch.setattr(settings, "gpu_driver", lambda: False)
    assert settings.device_options() == {"auto": "auto", "cpu": "CPU"}


def test_device_choices_ask_a_loaded_torch():
    import torch
    opts = settings.device_options()
    assert ("cuda" in opts) == torch.cuda.is_available() and opts["cpu"] == "CPU"


def sidebar_app(monkeypatch, opts: dict) -> AppTest:
    monkeypatch.setattr(settings, "device_options", lambda: dict(opts))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    return at


def test_without_a_gpu_the_sidebar_says_cpu_and_offers_no_choice(monkeypatch):
    """No select box where there is nothing to choose (and none for the first page to load)."""
    monkeypatch.setattr(settings, "torch_loaded", lambda: True)
    at = sidebar_app(monkeypatch, {"auto": "auto", "cpu": "CPU"})
    assert not [s for s in at.sidebar.selectbox if s.key == "w_train_device"]
    assert any(c.value == "**Device:** CPU (no GPU found)" for c in at.sidebar.caption)


def test_before_torch_loads_the_sidebar_says_auto_not_cpu(monkeypatch):
    """Until torch is loaded only an NVIDIA driver can be seen: on an Apple-silicon Mac "auto" will
    train on MPS, so the first page must not say CPU."""
    monkeypatch.setattr(settings, "torch_loaded", lambda: False)
    at = sidebar_app(monkeypatch, {"auto": "auto", "cpu": "CPU"})
    device = [c.value for c in at.sidebar.caption if c.value.startswith("**Device:**")]
    assert device == ["**Device:** auto (a GPU if torch finds one, else CPU)"]


def test_torch_loaded_is_false_midway_through_its_import(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", half_imported_torch())
    assert not settings.torch_loaded()
    monkeypatch.delitem(sys.modules, "torch")
    assert not settings.torch_loaded()


def test_with_a_gpu_the_sidebar_offers_the_choice(monkeypatch):
    at = sidebar_app(monkeypatch, {"auto": "auto", "cpu": "CPU", "cuda": "CUDA · H200"})
    box = at.sidebar.selectbox(key="w_train_device")
    assert box.options == ["auto", "CPU", "CUDA · H200"] and box.value == "auto"
    box.set_value("cuda").run()
    assert at.session_state["store"]["w_train_device"] == "cuda"


def test_a_chosen_gpu_that_is_no_longer_offered_says_so_and_goes_back_to_auto(monkeypatch):
    """CUDA offered while only its driver could be seen, then not by a CPU build of torch."""
    opts = {"auto": "auto", "cpu": "CPU", "cuda": "CUDA"}
    at = sidebar_app(monkeypatch, opts)
    at.sidebar.selectbox(key="w_train_device").set_value("cuda").run()
    del opts["cuda"]
    monkeypatch.setattr(settings, "device_options", lambda: dict(opts))
    at.run()
    assert any('"cuda" is not offered here' in t.value for t in at.toast)
    assert at.session_state["store"]["w_train_device"] == "auto"
