"""The documents name what the code has: every CLI flag and JSON key in docs/cli.md, every module in
docs/architecture.md, and a README that stays a short front door."""
import argparse
import re
from pathlib import Path

from rnnlab.cli import build_parser
from rnnlab.experiment import run_experiment
from rnnlab.report import verdict

ROOT = Path(__file__).resolve().parents[1]


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    out = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out |= _flags(sub)
        out |= {s for s in action.option_strings if s.startswith("--") and s != "--help"}
    return out


def test_every_cli_flag_is_documented():
    doc = (ROOT / "docs" / "cli.md").read_text()
    flags = _flags(build_parser())
    missing = sorted(f for f in flags if not re.search(re.escape(f) + r"(?![\w-])", doc))
    assert len(flags) > 40
    assert not missing, f"flags not in docs/cli.md: {missing}"


def test_every_json_key_of_train_is_documented(tiny_config):
    doc = (ROOT / "docs" / "cli.md").read_text()
    result, _ = run_experiment(tiny_config)
    result = {**result.to_json(), "verdict": verdict(result).to_dict()}
    keys = set(result) | {f"{k}.{sub}" for k in ("test", "shrink", "loss", "verdict", "windows")
                          for sub in (result[k] or {})}
    missing = sorted(k for k in keys if ("." not in k and f"`{k}`" not in doc)
                     or ("." in k and not re.search(rf"\b{k.rsplit('.', 1)[-1]}\b", doc)))
    assert not missing, f"JSON keys not in docs/cli.md: {missing}"


def test_every_module_is_named_in_the_architecture_document():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    files = [p for d in ("rnnlab", "ui", "views") for p in (ROOT / d).rglob("*.py") if p.name != "__init__.py"]
    missing = sorted(str(p.relative_to(ROOT)) for p in files if p.name not in doc)
    assert not missing, f"modules not in docs/architecture.md: {missing}"


def test_readme_is_a_short_front_door_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    assert "pip install -r requirements.txt && python app.py" in readme
    assert "pip install -r requirements-dev.txt && python -m pytest" in readme
    assert 'python -m pytest -m "not browser and not slow"' in readme
    for link in re.findall(r"\]\(([^)#]+)\)", readme):
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link
