"""Organisations, the working-day calendar and API keys.

Registrar-only writes (an API key may also be issued or revoked by an operator at the server,
`actor=None`). Each is atomic and journals one event; a calendar override needs a note.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from registry import journal
from registry.choices import OrganisationKind
from registry.exceptions import InvalidTransition
from registry.models import CalendarOverride, Organisation, OrganisationAPIKey, User
from registry.services._common import _require_reason, _require_registrar


# --- organisations and calendar ---------------------------------------------------------------
@transaction.atomic
def organisation_create(*, actor: User | None, **fields: Any) -> Organisation:
    _require_registrar(actor)
    organisation = Organisation(**fields)
    organisation.full_clean()
    organisation.save()
    journal.record_organisation_event(
        event_type=journal.ORGANISATION_CREATED,
        organisation=organisation,
        actor=actor,
        changes={field: (None, getattr(organisation, field)) for field in fields},
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, actor: User | None, **fields: Any
) -> Organisation:
    _require_registrar(actor)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    changes = {}
    for field, value in fields.items():
        old = getattr(organisation, field)
        if old != value:
            changes[field] = (old, value)
            setattr(organisation, field, value)
    if not changes:
        return organisation
    organisation.full_clean()
    organisation.save(update_fields=list(changes))
    journal.record_organisation_event(
        event_type=journal.ORGANISATION_UPDATED,
        organisation=organisation,
        actor=actor,
        changes=changes,
    )
    return organisation


@transaction.atomic
def calendar_override_set(
    *, actor: User | None, day: dt.date, is_working_day: bool, note: str
) -> CalendarOverride:
    _require_registrar(actor)
    note = _require_reason(note, "note")
    previous = CalendarOverride.objects.select_for_update().filter(date=day).first()
    override, _created = CalendarOverride.objects.update_or_create(
        date=day, defaults={"is_working_day": is_working_day, "note": note}
    )
    journal.record_calendar_override(
        day=day,
        is_working_day=is_working_day,
        note=note,
        actor=actor,
        previous=previous.is_working_day if previous else None,
    )
    return override


# --- API keys ---------------------------------------------------------------------------------
@transaction.atomic
def api_key_issue(
    *, organisation: Organisation, actor: User | None, name: str = ""
) -> tuple[OrganisationAPIKey, str]:
    """A new key for the organisation's systems; the secret is returned once and never stored.

    `actor=None` is an operator at the server (`manage.py issue_api_key`)."""
    if actor is not None:
        _require_registrar(actor)
    if organisation.kind == OrganisationKind.REGISTRY:
        raise ValidationError({"organisation": _("The registration body needs no API key.")})
    label = (name or "").strip() or f"{organisation.name} API"
    created, key = OrganisationAPIKey.objects.create_key(organisation=organisation, name=label[:50])
    api_key = cast(OrganisationAPIKey, created)  # the library's manager is typed for its base
    journal.record_api_key_event(event_type=journal.API_KEY_ISSUED, api_key=api_key, actor=actor)
    return api_key, key


@transaction.atomic
def api_key_revoke(*, api_key: OrganisationAPIKey, actor: User | None) -> OrganisationAPIKey:
    if actor is not None:
        _require_registrar(actor)
    api_key = OrganisationAPIKey.objects.select_for_update().get(pk=api_key.pk)
    if api_key.revoked:
        raise InvalidTransition(_("This API key is already revoked."))
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])
    journal.record_api_key_event(event_type=journal.API_KEY_REVOKED, api_key=api_key, actor=actor)
    return api_key
