"""House rules that can be checked from the source: small functions and files, no import cycle
(function-level imports included), and config fields listed only in rnnlab/config.py."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for d in ("rnnlab", "ui", "views") for p in (ROOT / d).rglob("*.py")] + [ROOT / "app.py"]


def _module(p: Path) -> str:
    name = ".".join(p.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def test_no_function_over_50_lines_and_no_file_over_350():
    long = [f"{p.relative_to(ROOT)}:{n.lineno} {n.name} ({n.end_lineno - n.lineno + 1} lines)"
            for p in SOURCES for n in ast.walk(ast.parse(p.read_text()))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 50]
    big = [f"{p.relative_to(ROOT)} ({len(p.read_text().splitlines())} lines)" for p in SOURCES
           if len(p.read_text().splitlines()) > 350]
    assert not long and not big, long + big


def _imports(p: Path, modules: set[str]) -> set[str]:
    """Every project module `p` imports, at any depth (function-level imports too)."""
    pkg = _module(p) if p.name == "__init__.py" else _module(p).rsplit(".", 1)[0]
    out = set()
    for n in ast.walk(ast.parse(p.read_text())):
        if isinstance(n, ast.Import):
            out |= {a.name for a in n.names}
        elif isinstance(n, ast.ImportFrom):
            base = n.module or ""
            if n.level:
                parts = pkg.split(".")[: len(pkg.split(".")) - n.level + 1]
                base = ".".join(parts + ([base] if base else []))
            out |= {base} | {f"{base}.{a.name}" for a in n.names}
    return {m for m in out if m in modules and m != _module(p)}


def test_no_import_cycle():
    modules = {_module(p) for p in SOURCES}
    graph = {_module(p): _imports(p, modules) for p in SOURCES}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m == goal:
                return True
            if m not in seen:
                seen.add(m)
                todo += graph[m]
        return False

    cycles = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if a < b and reaches(b, a))
    assert not cycles, cycles


FIRST_PAGE_SCRIPT = """
import sys
from streamlit.testing.v1 import AppTest
from ui import jobs
jobs._import_torch = lambda: None  # the warm-up thread would load torch once the page is drawn
at = AppTest.from_file("app.py", default_timeout=60).run()
assert not at.exception, at.exception
assert at.button(key="demo_button").label.startswith("Train the classic")
print(sorted(m for m in ("torch", "statsmodels", "optuna", "scipy", "pandas", "ui.dataset", "rnnlab.job")
             if m in sys.modules))
"""


def test_first_page_imports_no_torch():
    """A fresh server draws Home without torch, statsmodels, optuna or scipy (about 4 s of imports):
    the warm-up loads them after the first page (ui/jobs.warm_up_torch; bench_latency times it)."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", FIRST_PAGE_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_the_warm_up_waits_until_the_first_page_is_on_screen(monkeypatch):
    """ui/jobs.page_drawn: the first script run's end starts the warm-up only PAINT_S later (the
    browser is still painting); any later run (a click) starts it at once."""
    import itertools
    import threading

    from ui import jobs
    monkeypatch.setattr(jobs, "_scripts_ended", itertools.count())
    monkeypatch.setattr(jobs, "PAINT_S", 0.3)
    first = threading.Event()
    monkeypatch.setattr(jobs, "FIRST_PAGE", first)
    jobs.page_drawn()
    assert not first.is_set() and first.wait(5)
    second = threading.Event()
    monkeypatch.setattr(jobs, "FIRST_PAGE", second)
    jobs.page_drawn()
    assert second.is_set()
