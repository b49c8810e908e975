"""valuation.methods is pure Python: importing every module loads no Django (nor anything of the
project outside valuation.methods). Every module found on disk is checked, so a new calculator is
covered the day it is added; import-linter checks the same rule statically in `make test`."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
METHODS = REPO_ROOT / "valuation" / "methods"
MODULES = sorted(path.stem for path in METHODS.glob("*.py") if path.stem != "__init__")


def test_every_calculator_module_is_found():
    # the glob sees the calculators this test was written for, and whatever is added later
    assert {"cost", "income", "market", "quality", "reconcile", "money"} <= set(MODULES)


def test_calculators_import_without_django():
    # given a fresh interpreter (this one may have Django loaded by pytest-django)
    imports = "; ".join(f"import valuation.methods.{name}" for name in MODULES)
    check = (
        "import sys; loaded = [m for m in sys.modules if m.split('.')[0] in "
        "('django', 'rest_framework', 'registry', 'pledges', 'certificates', 'core', 'api')]; "
        "assert not loaded, loaded"
    )
    # when
    completed = subprocess.run(
        [sys.executable, "-c", f"{imports}; {check}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # then
    assert completed.returncode == 0, completed.stderr
