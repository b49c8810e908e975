"""The certificate engine's journal events, written through the writer the registry installs
(`certificates.ports`): one event per issue, supersession, revocation and rendering."""

from __future__ import annotations

from certificates import ports
from certificates.models import Certificate
from core.actors import Actor


def journal_certificate_event(
    event_type: str, certificate: Certificate, actor: Actor | None, **payload
) -> None:
    label = payload.pop("label", None)
    ports.journal_writer()(
        event_type=event_type,
        actor=actor,
        label=label,
        subject_type="certificate",
        subject_id=certificate.number,
        subject_label=f"{certificate.number} {certificate.data.get('asset_name', '')}",
        asset=certificate.asset,
        reason=payload.pop("reason", ""),
        payload={"number": certificate.number, "status": certificate.status, **payload},
    )
