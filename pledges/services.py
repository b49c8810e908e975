"""Every write of the pledge registry: register (设立), amend (变更), extend (展期), release (解除),
annul (registrar) and expire (housekeeping). Each locks, checks, writes and journals in one
transaction.

Filing on an asset locks the asset row first, then draws the priority from the pledge sequence:
concurrent filings on one asset are therefore ranked in the order the registry accepted them, with
no gap or tie, and a release racing a filing sees a consistent set of active pledges.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock, sequences
from core.actors import Actor
from core.strict import MONEY_MAX, StrictInputError, parse_decimal
from pledges.certificates import pledge_certificate_issue, pledge_certificate_revoke
from pledges.events import (
    PLEDGE_AMENDED,
    PLEDGE_ANNULLED,
    PLEDGE_EXPIRED,
    PLEDGE_EXTENDED,
    PLEDGE_REGISTERED,
    PLEDGE_RELEASED,
)
from pledges.models import Pledge, PledgeStatus
from registry import journal
from registry.choices import AssetStatus, OrganisationKind, Role
from registry.exceptions import InvalidTransition, NotPermitted, RegistryError, TransitionBlocked
from registry.models import DataAsset, Organisation

# Every way in (API, portal, admin) reads amounts in the one grammar of core.strict.
MAX_AMOUNT = MONEY_MAX


def pledge_number(year: int, serial: int) -> str:
    return f"ZY{year:04d}{serial:08d}"


def _acts_for_bank(actor: Actor | None, organisation_id: int) -> bool:
    return (
        actor is not None
        and getattr(actor, "role", "") == Role.BANK
        and actor.acts_for(organisation_id)
    )


def _require_pledgee_or_registrar(actor: Actor | None, pledgee_id: int) -> None:
    if actor is not None and (
        getattr(actor, "is_registrar", False) or _acts_for_bank(actor, pledgee_id)
    ):
        return
    raise NotPermitted(_("Only the pledgee bank or a registrar may do this."))


def _journal(
    event_type: str, pledge: Pledge, actor: Actor | None, *, reason: str = "", **payload
) -> None:
    journal.record(
        event_type=event_type,
        actor=actor,
        subject_type="pledge",
        subject_id=pledge.number,
        subject_label=f"{pledge.number} {pledge.pledgee.name}",
        asset=pledge.asset,
        reason=reason,
        payload={"number": pledge.number, "status": pledge.status, **payload},
    )


def _amount(value: Any, field: str = "secured_amount") -> Decimal:
    if isinstance(value, float | bool):
        raise ValidationError({field: _("Send the amount as a decimal string, not a number.")})
    if isinstance(value, str):
        try:
            # Any sign and length here, so that the refusals below can say what is wrong.
            amount = parse_decimal(value, places=12, integer_digits=30, negative=True)
        except StrictInputError as exc:
            raise ValidationError({field: _("Not a decimal amount.")}) from exc
    elif isinstance(value, Decimal | int):
        amount = Decimal(value)
    else:
        raise ValidationError({field: _("Not a decimal amount.")})
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({field: _("The secured amount must be greater than 0.")})
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError(
            {field: _("At most 13 digits before the point and 2 decimal places.")}
        )
    return amount.quantize(Decimal("0.01"))


def _check_term(debt_start: dt.date, debt_end: dt.date, registration_end: dt.date) -> None:
    if debt_end < debt_start:
        raise ValidationError({"debt_end": _("The debt term cannot end before it starts.")})
    if registration_end < debt_end:
        raise ValidationError(
            {"registration_end": _("The registration period must cover the debt term.")}
        )


def _lock_pledge(pledge: Pledge | str) -> Pledge:
    number = pledge.number if isinstance(pledge, Pledge) else pledge
    return (
        Pledge.objects.select_for_update(of=("self",))
        .select_related("asset", "pledgee", "pledgor")
        .get(number=number)
    )


@transaction.atomic
def pledge_register(
    *,
    asset: DataAsset,
    pledgee: Organisation,
    actor: Actor | None,
    secured_amount: Any,
    debt_start: dt.date,
    debt_end: dt.date,
    registration_end: dt.date | None = None,
) -> Pledge:
    """Register a pledge on a registered, unexpired asset; its rank follows earlier pledges."""
    _require_pledgee_or_registrar(actor, pledgee.pk)
    amount = _amount(secured_amount)
    registration_end = registration_end or debt_end
    _check_term(debt_start, debt_end, registration_end)
    if registration_end < clock.today():
        raise ValidationError({"registration_end": _("The registration period has already ended.")})
    if pledgee.kind != OrganisationKind.BANK:
        raise ValidationError({"pledgee": _("The pledgee must be a bank.")})
    asset = (
        DataAsset.objects.select_for_update(of=("self",)).select_related("holder").get(pk=asset.pk)
    )
    if asset.status != AssetStatus.REGISTERED:
        raise TransitionBlocked(
            _("Only a registered asset can be pledged; this one is %(status)s.")
            % {"status": asset.get_status_display()}
        )
    # A registered asset has its validity end (database constraint asset_registered_has_number).
    assert asset.valid_until is not None
    if asset.valid_until < clock.today():
        raise TransitionBlocked(_("The asset's registration has expired."))
    if asset.holder_id == pledgee.pk:
        raise ValidationError({"pledgee": _("The holder cannot pledge an asset to itself.")})
    serial = sequences.next_value(sequences.PLEDGE_NUMBER)
    pledge = Pledge.objects.create(
        number=pledge_number(clock.today().year, serial),
        asset=asset,
        pledgor=asset.holder,
        pledgee=pledgee,
        secured_amount=amount,
        debt_start=debt_start,
        debt_end=debt_end,
        registration_end=registration_end,
        priority=serial,
        registered_at=clock.now(),
        filed_by_label=journal.actor_label(actor)[:300],
    )
    rank = Pledge.objects.filter(
        asset=asset, status=PledgeStatus.ACTIVE, priority__lte=pledge.priority
    ).count()
    _journal(
        PLEDGE_REGISTERED,
        pledge,
        actor,
        pledgee=pledgee.uscc,
        pledgor=asset.holder.uscc,
        secured_amount=str(amount),
        debt_start=debt_start.isoformat(),
        debt_end=debt_end.isoformat(),
        registration_end=registration_end.isoformat(),
        rank=rank,
    )
    pledge_certificate_issue(pledge=pledge, actor=actor, reason="registration")
    return pledge


def _require_active(pledge: Pledge) -> None:
    if pledge.status != PledgeStatus.ACTIVE:
        raise InvalidTransition(
            _("The pledge is %(status)s.") % {"status": pledge.get_status_display()}
        )


@transaction.atomic
def pledge_amend(
    *,
    pledge: Pledge | str,
    actor: Actor | None,
    reason: str,
    secured_amount: Any = None,
    debt_start: dt.date | None = None,
    debt_end: dt.date | None = None,
) -> Pledge:
    """Change the secured amount or the debt term (变更); the priority is kept."""
    pledge = _lock_pledge(pledge)
    _require_pledgee_or_registrar(actor, pledge.pledgee_id)
    _require_active(pledge)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("A reason is required for this step.")})
    changes: dict[str, tuple[str, str]] = {}
    if secured_amount is not None:
        amount = _amount(secured_amount)
        if amount != pledge.secured_amount:
            changes["secured_amount"] = (str(pledge.secured_amount), str(amount))
            pledge.secured_amount = amount
    for field, value in (("debt_start", debt_start), ("debt_end", debt_end)):
        if value is not None and value != getattr(pledge, field):
            changes[field] = (getattr(pledge, field).isoformat(), value.isoformat())
            setattr(pledge, field, value)
    if not changes:
        raise ValidationError({"body": _("The amendment changes nothing.")})
    _check_term(pledge.debt_start, pledge.debt_end, pledge.registration_end)
    pledge.save(update_fields=["secured_amount", "debt_start", "debt_end"])
    _journal(
        PLEDGE_AMENDED,
        pledge,
        actor,
        reason=reason.strip(),
        changes={f: {"old": old, "new": new} for f, (old, new) in changes.items()},
    )
    pledge_certificate_issue(pledge=pledge, actor=actor, reason="amendment")
    return pledge


@transaction.atomic
def pledge_extend(
    *,
    pledge: Pledge | str,
    actor: Actor | None,
    registration_end: dt.date,
    debt_end: dt.date | None = None,
    reason: str = "",
) -> Pledge:
    """Extend the registration period, and the debt term with it (展期)."""
    pledge = _lock_pledge(pledge)
    _require_pledgee_or_registrar(actor, pledge.pledgee_id)
    _require_active(pledge)
    if registration_end <= pledge.registration_end:
        raise ValidationError(
            {"registration_end": _("An extension must end after the current period.")}
        )
    old = {"registration_end": pledge.registration_end, "debt_end": pledge.debt_end}
    if debt_end is not None:
        if debt_end < pledge.debt_end:
            raise ValidationError({"debt_end": _("An extension cannot shorten the debt term.")})
        pledge.debt_end = debt_end
    pledge.registration_end = registration_end
    _check_term(pledge.debt_start, pledge.debt_end, pledge.registration_end)
    pledge.save(update_fields=["registration_end", "debt_end"])
    _journal(
        PLEDGE_EXTENDED,
        pledge,
        actor,
        reason=(reason or "").strip(),
        changes={
            field: {"old": value.isoformat(), "new": getattr(pledge, field).isoformat()}
            for field, value in old.items()
            if value != getattr(pledge, field)
        },
    )
    pledge_certificate_issue(pledge=pledge, actor=actor, reason="extension")
    return pledge


def _close(
    pledge: Pledge, status: PledgeStatus, event: str, actor: Actor | None, reason: str
) -> Pledge:
    pledge.status = status
    pledge.status_changed_at = clock.now()
    pledge.status_reason = reason
    pledge.save(update_fields=["status", "status_changed_at", "status_reason"])
    _journal(event, pledge, actor, reason=reason)
    pledge_certificate_revoke(pledge=pledge, actor=actor, reason=reason)
    return pledge


@transaction.atomic
def pledge_release(*, pledge: Pledge | str, actor: Actor | None, reason: str = "") -> Pledge:
    """Release (解除) after the debt is repaid: the pledgee (or a registrar) files it."""
    pledge = _lock_pledge(pledge)
    _require_pledgee_or_registrar(actor, pledge.pledgee_id)
    _require_active(pledge)
    return _close(pledge, PledgeStatus.RELEASED, PLEDGE_RELEASED, actor, (reason or "").strip())


@transaction.atomic
def pledge_annul(*, pledge: Pledge | str, actor: Actor | None, reason: str) -> Pledge:
    """A registrar annuls an erroneous or unlawful filing."""
    if actor is None or not getattr(actor, "is_registrar", False):
        raise NotPermitted(_("Only a registrar may annul a pledge registration."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("A reason is required for this step.")})
    pledge = _lock_pledge(pledge)
    _require_active(pledge)
    return _close(pledge, PledgeStatus.ANNULLED, PLEDGE_ANNULLED, actor, reason.strip())


@transaction.atomic
def pledge_expire(*, pledge: Pledge | str, on: dt.date | None = None) -> Pledge:
    """The registration period ended without extension or release."""
    pledge = _lock_pledge(pledge)
    _require_active(pledge)
    day = on or clock.today()
    if pledge.registration_end >= day:
        raise TransitionBlocked(
            _("The pledge registration runs until %(end)s.")
            % {"end": pledge.registration_end.isoformat()}
        )
    return _close(pledge, PledgeStatus.EXPIRED, PLEDGE_EXPIRED, None, "registration period ended")


def active_pledges_block(asset: DataAsset, *, consent: bool, step: str) -> None:
    """Cancelling or transferring a pledged asset needs the pledgees' consent (domain.md §6)."""
    if consent:
        return
    active = list(
        Pledge.objects.filter(asset=asset, status=PledgeStatus.ACTIVE).values_list(
            "number", flat=True
        )
    )
    if active:
        raise TransitionBlocked(
            _("The asset is pledged (%(numbers)s): %(step)s needs the pledgees' written consent.")
            % {"numbers": ", ".join(active), "step": step}
        )


@dataclasses.dataclass
class PledgeTickReport:
    expired: list[str] = dataclasses.field(default_factory=list)
    failed: dict[str, str] = dataclasses.field(default_factory=dict)


def pledges_expire_lapsed(*, today: dt.date | None = None) -> PledgeTickReport:
    """Expire every active pledge whose registration period ended before `today` (housekeeping,
    run daily with the registry's tick); each pledge in its own transaction."""
    day = today or clock.today()
    report = PledgeTickReport()
    lapsed = (
        Pledge.objects.filter(status=PledgeStatus.ACTIVE, registration_end__lt=day)
        .order_by("registration_end", "pk")
        .values_list("number", flat=True)
    )
    for number in lapsed:
        try:
            pledge_expire(pledge=number, on=day)
        except (RegistryError, ValidationError) as exc:
            report.failed[number] = str(getattr(exc, "message", exc))
        else:
            report.expired.append(number)
    return report
