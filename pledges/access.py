"""Who may see an asset's private material (certificates' PDFs, appraisal details, drafts).

The holder's users and registrars always may, and so may pledgees with an active pledge on the
asset (domain.md section 6); everyone else sees public records only.
"""

from __future__ import annotations

from typing import Any

from pledges.models import Pledge, PledgeStatus
from registry.models import DataAsset


def can_view_private(user: Any, asset: DataAsset) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_registrar", False):
        return True
    if user.acts_for(asset.holder_id):
        return True
    return is_active_pledgee(user, asset)


def is_active_pledgee(user: Any, asset: DataAsset) -> bool:
    organisation_id = getattr(user, "organisation_id", None)
    return (
        getattr(user, "is_active", False)
        and organisation_id is not None
        and Pledge.objects.filter(
            asset=asset, pledgee_id=organisation_id, status=PledgeStatus.ACTIVE
        ).exists()
    )
