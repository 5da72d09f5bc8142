"""The sidebar's device choice while the server's warm-up thread is still importing torch."""
import importlib.machinery
import sys
import types

from ui import settings


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
