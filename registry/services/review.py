"""The registrar's review decisions on a submitted application.

Return for correction with ONE notice listing everything missing, accept for substantive review
(材料齐全), or reject with a reason. Registrar only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from registry import journal
from registry.models import DataAsset, User
from registry.services._common import (
    _check_transition,
    _lock,
    _move,
    _require_reason,
    _require_registrar,
)
from registry.workflow import Action


# --- review (registrar side) -----------------------------------------------------------------
@transaction.atomic
def asset_return_for_correction(
    *, asset: DataAsset, actor: User | None, missing: list[str], reason: str = ""
) -> DataAsset:
    """Return the application with ONE notice listing everything that must be corrected."""
    _require_registrar(actor)
    items = [item.strip() for item in missing if item and item.strip()]
    if not items:
        raise ValidationError({"missing": _("List what must be corrected or supplied.")})
    asset = _lock(asset)
    _check_transition(asset, Action.RETURN)
    notice = "\n".join(f"{index}. {item}" for index, item in enumerate(items, start=1))
    return _move(
        asset,
        Action.RETURN,
        actor=actor,
        event_type=journal.ASSET_RETURNED,
        reason=reason.strip(),
        fields={"correction_notice": notice},
        details={"missing": items},
    )


@transaction.atomic
def asset_accept_for_review(*, asset: DataAsset, actor: User | None, reason: str = "") -> DataAsset:
    """Formal review passed (材料齐全): the application goes to substantive review."""
    _require_registrar(actor)
    asset = _lock(asset)
    _check_transition(asset, Action.ACCEPT)
    return _move(
        asset, Action.ACCEPT, actor=actor, event_type=journal.ASSET_ACCEPTED, reason=reason.strip()
    )


@transaction.atomic
def asset_reject(*, asset: DataAsset, actor: User | None, reason: str) -> DataAsset:
    _require_registrar(actor)
    reason = _require_reason(reason)
    asset = _lock(asset)
    _check_transition(asset, Action.REJECT)
    return _move(
        asset, Action.REJECT, actor=actor, event_type=journal.ASSET_REJECTED, reason=reason
    )
