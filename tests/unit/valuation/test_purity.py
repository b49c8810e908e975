"""valuation.methods is pure Python: importing every module loads no Django."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
MODULES = [
    "accounting",
    "checks",
    "cost",
    "errors",
    "income",
    "market",
    "money",
    "payload",
    "quality",
    "reconcile",
]


def test_calculators_import_without_django():
    # given a fresh interpreter (this one may have Django loaded by pytest-django)
    imports = "; ".join(f"import valuation.methods.{name}" for name in MODULES)
    check = "import sys; assert not [m for m in sys.modules if m.split('.')[0] == 'django']"
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
