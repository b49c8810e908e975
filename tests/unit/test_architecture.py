"""The layout the README describes: each app imports on its own, in a fresh interpreter, module
by module (an import cycle shows up as a partially initialised module), and the layer contracts
of import-linter hold (also run by `make test`; here so a plain `pytest` run checks them too)."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
# The project's own apps, in INSTALLED_APPS order (third-party apps live in site-packages).
APPS = [app for app in settings.INSTALLED_APPS if (REPO_ROOT / app / "apps.py").exists()]


def _modules(app: str) -> list[str]:
    names = []
    for path in sorted((REPO_ROOT / app).rglob("*.py")):
        relative = path.relative_to(REPO_ROOT).with_suffix("")
        if "migrations" in relative.parts:
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        names.append(".".join(parts))
    return names


def test_the_project_apps_are_found_in_installed_apps():
    assert APPS[0] == "core"
    assert {"certificates", "registry", "pledges", "valuation", "records", "api"} <= set(APPS)


@pytest.mark.parametrize("app", APPS)
def test_each_app_imports_alone(app):
    # given a fresh interpreter with Django set up and nothing of the project imported yet
    modules = _modules(app)
    assert modules, f"{app} has no modules"
    code = (
        "import os, importlib, django; "
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings_test'); "
        "django.setup(); "
        f"[importlib.import_module(name) for name in {modules!r}]"
    )
    # when
    completed = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    # then
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_layer_contracts_hold():
    # given the contracts in pyproject.toml; when
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports"))],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # then
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert "0 broken" in completed.stdout
