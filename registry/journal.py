"""Writers of the audit journal: every state change calls exactly one of them, inside the change's
transaction, so that the journal and the data can never disagree.

Status transitions share one writer (`record_asset_transition`) because they carry the same
payload (old and new status plus what the step set); the other event types have their own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files import File

from core.actors import Actor
from registry.events import (  # noqa: F401 (writers and callers name the types through here too)
    API_KEY_ISSUED,
    API_KEY_REVOKED,
    ASSET_ACCEPTED,
    ASSET_AMENDED,
    ASSET_CANCELLED,
    ASSET_CREATED,
    ASSET_EXPIRED,
    ASSET_OBJECTED,
    ASSET_OBJECTIONS_CLEARED,
    ASSET_PUBLICITY_STARTED,
    ASSET_REGISTERED,
    ASSET_REJECTED,
    ASSET_RENEWED,
    ASSET_RETURNED,
    ASSET_REVOKED,
    ASSET_SUBMITTED,
    ASSET_TRANSFERRED,
    ASSET_UPDATED,
    CALENDAR_OVERRIDE_SET,
    OBJECTION_DISMISSED,
    OBJECTION_FILED,
    OBJECTION_RESPONDED,
    OBJECTION_UPHELD,
    ORGANISATION_CREATED,
    ORGANISATION_UPDATED,
)
from registry.models import DataAsset, JournalEvent, Objection, Organisation, User

SYSTEM_LABEL = "system (registry_tick)"
OPERATOR_LABEL = "operator (manage.py)"


def jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, File):  # stored (FieldFile) or just uploaded: record its name
        return value.name or ""
    return value


def actor_label(actor: Actor | None) -> str:
    """A user, an API client (see api.authentication) or None for the registry itself."""
    return actor.label if actor is not None else SYSTEM_LABEL


def public_label(name: str) -> str:
    """How the journal names a member of the public acting without an account."""
    return f"公众 / public: {name}"


def asset_label(asset: DataAsset) -> str:
    """How the journal names an asset: its name and best number."""
    number = asset.registration_number or asset.application_number or f"#{asset.pk}"
    return f"{asset.name} [{number}]"[:300]


def record(
    *,
    event_type: str,
    actor: Actor | None,
    subject_type: str,
    subject_id: Any,
    subject_label: str,
    asset: DataAsset | None = None,
    reason: str = "",
    payload: dict | None = None,
    label: str | None = None,
) -> JournalEvent:
    """Append one event. Other apps' writers call this; `actor` may be a User, an ApiClient
    (journaled by label only: it is an organisation's key, not a person) or None."""
    return JournalEvent.objects.create(
        event_type=event_type,
        actor=actor if isinstance(actor, User) else None,
        actor_label=(label or actor_label(actor))[:300],
        asset=asset,
        subject_type=subject_type,
        subject_id=str(subject_id),
        subject_label=subject_label[:300],
        reason=reason,
        payload={key: jsonable(value) for key, value in (payload or {}).items()},
    )


def record_asset_created(*, asset: DataAsset, actor: User | None) -> JournalEvent:
    return record(
        event_type=ASSET_CREATED,
        actor=actor,
        subject_type="asset",
        subject_id=asset.pk,
        subject_label=asset_label(asset),
        asset=asset,
        payload={"holder": asset.holder.uscc, "status": asset.status},
    )


def record_asset_updated(
    *, asset: DataAsset, actor: User | None, changes: dict[str, tuple[Any, Any]]
) -> JournalEvent:
    return record(
        event_type=ASSET_UPDATED,
        actor=actor,
        subject_type="asset",
        subject_id=asset.pk,
        subject_label=asset_label(asset),
        asset=asset,
        payload={
            "changes": {
                field: {"old": jsonable(old), "new": jsonable(new)}
                for field, (old, new) in changes.items()
            }
        },
    )


def record_asset_transition(
    *,
    event_type: str,
    asset: DataAsset,
    actor: User | None,
    old_status: str,
    reason: str = "",
    details: dict | None = None,
    actor_label: str | None = None,
) -> JournalEvent:
    payload = {"old_status": old_status, "new_status": asset.status}
    payload.update(details or {})
    return record(
        event_type=event_type,
        actor=actor,
        subject_type="asset",
        subject_id=asset.pk,
        subject_label=asset_label(asset),
        asset=asset,
        reason=reason,
        payload=payload,
        label=actor_label,
    )


def record_objection_event(
    *,
    event_type: str,
    objection: Objection,
    actor: User | None,
    reason: str = "",
    actor_label: str | None = None,
) -> JournalEvent:
    return record(
        event_type=event_type,
        actor=actor,
        subject_type="objection",
        subject_id=objection.pk,
        subject_label=f"{objection.objector_name} / {asset_label(objection.asset)}",
        asset=objection.asset,
        reason=reason,
        payload={"objection_status": objection.status, "objector": objection.objector_name},
        label=actor_label,
    )


def record_organisation_event(
    *,
    event_type: str,
    organisation: Organisation,
    actor: User | None,
    changes: dict[str, tuple[Any, Any]],
) -> JournalEvent:
    return record(
        event_type=event_type,
        actor=actor,
        subject_type="organisation",
        subject_id=organisation.pk,
        subject_label=str(organisation),
        payload={
            "changes": {
                field: {"old": jsonable(old), "new": jsonable(new)}
                for field, (old, new) in changes.items()
            }
        },
    )


def record_calendar_override(
    *, day: dt.date, is_working_day: bool, note: str, actor: User | None, previous: bool | None
) -> JournalEvent:
    return record(
        event_type=CALENDAR_OVERRIDE_SET,
        actor=actor,
        subject_type="calendar",
        subject_id=day.isoformat(),
        subject_label=f"{day.isoformat()} {note}",
        reason=note,
        payload={"date": day, "is_working_day": is_working_day, "previous": previous},
    )


def record_api_key_event(*, event_type: str, api_key, actor: Actor | None) -> JournalEvent:
    return record(
        event_type=event_type,
        actor=actor,
        subject_type="api_key",
        subject_id=api_key.prefix,
        subject_label=f"{api_key.prefix} {api_key.name} @ {api_key.organisation.name}",
        payload={"organisation": api_key.organisation.uscc, "name": api_key.name},
        label=None if actor is not None else OPERATOR_LABEL,
    )
