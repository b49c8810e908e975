"""Who may see an asset's private material (certificates' PDFs, appraisal values, drafts): one
rule for the pages, the downloads and the bank API.

The holder's users and registrars always may, and so may pledgees with an active pledge on the
asset (domain.md section 6); everyone else sees public records only. `may_view_private` decides
on ids, so a bulk read decides for many assets on pledges it already fetched; `can_view_private`
asks the database for the active pledgees only when the rule gets that far.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pledges.models import Pledge, PledgeStatus
from registry.models import DataAsset


def may_view_private(
    viewer: Any,
    *,
    holder_id: int | None,
    active_pledgee_ids: Iterable[int] | Callable[[], Iterable[int]],
) -> bool:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if getattr(viewer, "is_registrar", False):
        return True
    if viewer.acts_for(holder_id):
        return True
    organisation_id = getattr(viewer, "organisation_id", None)
    if not getattr(viewer, "is_active", False) or organisation_id is None:
        return False
    pledgee_ids = active_pledgee_ids() if callable(active_pledgee_ids) else active_pledgee_ids
    return any(pledgee_id == organisation_id for pledgee_id in pledgee_ids)


def can_view_private(user: Any, asset: DataAsset) -> bool:
    return may_view_private(
        user,
        holder_id=asset.holder_id,
        active_pledgee_ids=lambda: Pledge.objects.filter(
            asset=asset, status=PledgeStatus.ACTIVE
        ).values_list("pledgee_id", flat=True),
    )
