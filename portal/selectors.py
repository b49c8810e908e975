"""Reads of the enterprise portal. Every query starts from the user's organisation: an asset of any
other organisation is simply not in the queryset, so the views answer 404 without revealing that
it exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from certificates.models import Certificate, CertificateKind, CertificateStatus
from pledges.models import Pledge, PledgeStatus
from registry.choices import ObjectionStatus
from registry.models import DataAsset, JournalEvent, Objection
from valuation.selectors import with_current_valuation

# Journal event types -> (Chinese, English), for the asset's timeline. Unknown types (a new event
# added elsewhere) are shown by their stable identifier.
EVENT_LABELS: dict[str, tuple[str, str]] = {
    "asset.created": ("创建申请草稿", "Application created"),
    "asset.updated": ("修改申请", "Application edited"),
    "asset.submitted": ("提交申请", "Application submitted"),
    "asset.returned_for_correction": ("退回补正", "Returned for correction"),
    "asset.accepted_for_review": ("形式审查通过，进入实质审查", "Accepted for review"),
    "asset.publicity_started": ("开始公示", "Publicity started"),
    "asset.objected": ("公示期收到异议", "Objection received"),
    "asset.objections_cleared": ("异议处理完毕，恢复公示", "Objections cleared"),
    "asset.registered": ("准予登记", "Registered"),
    "asset.rejected": ("不予登记", "Rejected"),
    "asset.amended": ("变更登记", "Amended"),
    "asset.renewed": ("续展登记", "Renewed"),
    "asset.transferred": ("转让登记", "Transferred"),
    "asset.cancelled": ("注销登记", "Cancelled"),
    "asset.revoked": ("撤销登记", "Revoked"),
    "asset.expired": ("登记有效期届满", "Expired"),
    "objection.filed": ("提出异议", "Objection filed"),
    "objection.responded": ("申请人答复异议", "Applicant responded"),
    "objection.upheld": ("异议成立", "Objection upheld"),
    "objection.dismissed": ("异议不成立", "Objection dismissed"),
    "change_request.filed": ("提出变更或续展申请", "Change request filed"),
    "change_request.approved": ("变更或续展申请获准", "Change request approved"),
    "change_request.rejected": ("变更或续展申请被驳回", "Change request rejected"),
    "pledge.registered": ("质押登记", "Pledge registered"),
    "pledge.amended": ("质押变更", "Pledge amended"),
    "pledge.extended": ("质押展期", "Pledge extended"),
    "pledge.released": ("质押解除", "Pledge released"),
    "pledge.annulled": ("质押登记撤销", "Pledge annulled"),
    "pledge.expired": ("质押登记期满", "Pledge expired"),
    "certificate.issued": ("颁发证书", "Certificate issued"),
    "certificate.superseded": ("证书被换发", "Certificate superseded"),
    "certificate.revoked": ("证书作废", "Certificate revoked"),
    "certificate.rendered": ("证书文件生成", "Certificate document ready"),
    "quality.assessed": ("数据质量等级评定", "Quality graded"),
    "usage.recorded": ("记录使用情况", "Usage recorded"),
    "appraisal.drafted": ("价值评估草稿", "Appraisal drafted"),
    "appraisal.revised": ("价值评估修订", "Appraisal revised"),
    "appraisal.finalised": ("价值评估定稿", "Appraisal finalised"),
    "appraisal.batch_revalued": ("批量重估", "Batch revaluation"),
}


def organisation_assets(organisation_id: int) -> QuerySet[DataAsset]:
    """The organisation's assets, every status, newest first."""
    return DataAsset.objects.filter(holder_id=organisation_id).order_by("-created_at", "-id")


def dashboard_assets(organisation_id: int) -> QuerySet[DataAsset]:
    """The dashboard rows: grade, latest final value, active pledges and the current certificate
    annotated in one query."""
    certificate = Certificate.objects.filter(
        asset=OuterRef("pk"),
        kind=CertificateKind.REGISTRATION,
        status=CertificateStatus.VALID,
    ).order_by("-issued_at", "-id")
    active_pledges = (
        Pledge.objects.filter(asset=OuterRef("pk"), status=PledgeStatus.ACTIVE)
        .order_by()
        .values("asset")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return with_current_valuation(organisation_assets(organisation_id)).annotate(
        active_pledge_count=Subquery(active_pledges[:1]),
        certificate_number=Subquery(certificate.values("number")[:1]),
        certificate_rendered_at=Subquery(certificate.values("rendered_at")[:1]),
    )


def asset_open_objections(asset: DataAsset) -> QuerySet[Objection]:
    return asset.objections.filter(status=ObjectionStatus.OPEN).order_by("filed_at", "id")


def asset_resolved_objections(asset: DataAsset) -> QuerySet[Objection]:
    return asset.objections.filter(~Q(status=ObjectionStatus.OPEN)).order_by("filed_at", "id")


def asset_certificates(asset: DataAsset) -> QuerySet[Certificate]:
    """Registration and pledge certificates of the asset, newest first."""
    return (
        Certificate.objects.filter(
            asset=asset, kind__in=[CertificateKind.REGISTRATION, CertificateKind.PLEDGE]
        )
        .select_related("pledge")
        .order_by("-issued_at", "-id")
    )


def asset_pledges(asset: DataAsset) -> QuerySet[Pledge]:
    """Pledges in priority order (public facts only are shown)."""
    return asset.pledges.select_related("pledgee").order_by("priority")


@dataclass(frozen=True)
class TimelineEntry:
    occurred_at: datetime
    event_type: str
    label_zh: str
    label_en: str
    actor_label: str
    reason: str


def asset_timeline(asset: DataAsset) -> list[TimelineEntry]:
    """The asset's journal, oldest first, with readable event names."""
    events = JournalEvent.objects.filter(asset=asset).order_by("occurred_at", "id")
    return [
        TimelineEntry(
            occurred_at=event.occurred_at,
            event_type=event.event_type,
            label_zh=EVENT_LABELS.get(event.event_type, (event.event_type, ""))[0],
            label_en=EVENT_LABELS.get(event.event_type, ("", ""))[1],
            actor_label=event.actor_label,
            reason=event.reason,
        )
        for event in events
    ]
