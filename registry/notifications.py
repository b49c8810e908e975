"""E-mail notifications of workflow steps (Django's mail framework; console backend in the demo).

The holder hears of every step of its application or registration; registrars hear of new
submissions and objections. A step asks for its notification through the outbox (`core.outbox`,
topic `NOTIFY_TOPIC`), in its own transaction: a rolled-back step never sends anything, a
committed one always does (retried while the mail server is away), and a slow mail server never
holds a request. Messages are composed when sent, from the asset as it then is.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation

from core.outbox import outbox_add
from registry import journal
from registry.choices import Role
from registry.models import DataAsset, User

# Steps registrars must act on.
REGISTRAR_EVENTS = {journal.ASSET_SUBMITTED, journal.ASSET_OBJECTED, journal.OBJECTION_FILED}

SUBJECTS = {
    journal.ASSET_SUBMITTED: "申请已提交 Application submitted",
    journal.ASSET_RETURNED: "申请被退回补正 Application returned for correction",
    journal.ASSET_ACCEPTED: "申请已受理审查 Application accepted for review",
    journal.ASSET_PUBLICITY_STARTED: "登记公示开始 Publicity started",
    journal.ASSET_OBJECTED: "公示期间收到异议 Objection filed during publicity",
    journal.OBJECTION_FILED: "公示期间收到异议 Objection filed during publicity",
    journal.ASSET_OBJECTIONS_CLEARED: "异议已处理，公示继续 Objections resolved, publicity resumes",
    journal.ASSET_REGISTERED: "已准予登记 Registered",
    journal.ASSET_REJECTED: "不予登记 Application rejected",
    journal.ASSET_AMENDED: "登记已变更 Registration amended",
    journal.ASSET_RENEWED: "登记已续展 Registration renewed",
    journal.ASSET_TRANSFERRED: "登记已转移 Registration transferred",
    journal.ASSET_CANCELLED: "登记已注销 Registration cancelled",
    journal.ASSET_REVOKED: "登记已撤销 Registration revoked",
    journal.ASSET_EXPIRED: "登记已到期 Registration expired",
}


NOTIFY_TOPIC = "registry.notify"


def notify_after_commit(asset: DataAsset, event_type: str) -> None:
    """Ask for the notification of a step; called by the services inside the step."""
    if event_type not in SUBJECTS:
        return
    outbox_add(NOTIFY_TOPIC, payload={"asset_id": asset.pk, "event_type": event_type})


def _holder_addresses(asset: DataAsset) -> list[str]:
    addresses = set(
        User.objects.filter(organisation_id=asset.holder_id, role=Role.ENTERPRISE, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if asset.holder.contact_email:
        addresses.add(asset.holder.contact_email)
    return sorted(addresses)


def _registrar_addresses() -> list[str]:
    return sorted(
        User.objects.filter(role=Role.REGISTRAR, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _body(asset: DataAsset, event_type: str) -> str:
    with translation.override("zh-hans"):
        status = str(asset.get_status_display())
    number = asset.registration_number or asset.application_number or "—"
    lines = [
        f"数据资产 Asset: {asset.name}",
        f"编号 Number: {number}",
        f"当前状态 Status: {status} ({asset.status})",
    ]
    if event_type == journal.ASSET_RETURNED and asset.correction_notice:
        lines += ["", "需补正的材料 To correct or supply:", asset.correction_notice]
    if asset.publicity_end and event_type == journal.ASSET_PUBLICITY_STARTED:
        lines.append(f"公示截止 Publicity ends: {asset.publicity_end.isoformat()}")
    if asset.status_reason:
        lines.append(f"理由 Reason: {asset.status_reason}")
    lines += ["", f"{settings.PUBLIC_BASE_URL.rstrip('/')}/portal/assets/{asset.pk}/"]
    return "\n".join(lines)


def send_step_notification(*, asset_id: int, event_type: str) -> int:
    """Send the holder's (and, for steps they act on, the registrars') e-mails; returns the
    number of messages sent."""
    asset = DataAsset.objects.select_related("holder").get(pk=asset_id)
    subject = f"[{settings.REGISTRY_NAME}] {SUBJECTS[event_type]}: {asset.name}"
    body = _body(asset, event_type)
    sent = 0
    holder = _holder_addresses(asset)
    if holder:
        sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, holder)
    if event_type in REGISTRAR_EVENTS:
        registrars = _registrar_addresses()
        if registrars:
            base = settings.PUBLIC_BASE_URL.rstrip("/")
            admin_link = f"{base}/admin/registry/dataasset/{asset.pk}/change/"
            sent += send_mail(
                subject, f"{body}\n\n{admin_link}", settings.DEFAULT_FROM_EMAIL, registrars
            )
    return sent
