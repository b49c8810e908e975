"""What domains above the registry plug into its rules, without the registry importing them.

- Encumbrances: before an asset is cancelled or transferred, every registered check runs; the
  pledges app registers one that refuses while active pledges exist without the pledgees'
  consent (domain.md section 6).
- Certificate facts: a registration certificate prints the asset's quality grade, which the
  valuation app knows; it registers a provider.

Registered in the higher apps' `AppConfig.ready()`, so every process has them before it serves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from registry.models import DataAsset


class EncumbranceCheck(Protocol):
    def __call__(self, asset: DataAsset, *, consent: bool, step: str) -> None:
        """Raise a domain error when the step may not go ahead."""


QualityGradeProvider = Callable[["DataAsset"], str]

_encumbrance_checks: list[EncumbranceCheck] = []
_quality_grade_providers: list[QualityGradeProvider] = []


def add_encumbrance_check(check: EncumbranceCheck) -> None:
    if check not in _encumbrance_checks:
        _encumbrance_checks.append(check)


def check_encumbrances(asset: DataAsset, *, consent: bool, step: str) -> None:
    for check in _encumbrance_checks:
        check(asset, consent=consent, step=step)


def set_quality_grade_provider(provider: QualityGradeProvider) -> None:
    _quality_grade_providers[:] = [provider]


def quality_grade(asset: DataAsset) -> str:
    """The grade printed on the asset's registration certificate ("" when ungraded)."""
    return _quality_grade_providers[0](asset) if _quality_grade_providers else ""
