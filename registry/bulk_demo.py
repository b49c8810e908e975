"""Synthetic registered assets in bulk, for benchmarks and load tests (`seed_demo --assets N`).

Rows are written with bulk inserts (minutes, not hours, for a million assets): organisations
(one per thousand assets), registered assets with numbers from the real sequences, their first
version, one quality assessment and one year of usage each, and a single journal event for the
load. Idempotent: it tops the synthetic set up to N assets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.db import transaction

from registry import clock, journal, sequences
from registry.choices import DATA_SOURCE_CODES, AssetStatus, OrganisationKind, VersionReason
from registry.identifiers import (
    compose_application_number,
    compose_registration_number,
    uscc_with_check_character,
)
from registry.models import AssetVersion, DataAsset, Organisation, User
from registry.periods import validity_end

NAME_PREFIX = "批量演示数据集"
ASSETS_PER_HOLDER = 1000
BATCH = 5000
INDUSTRIES = "ACDFGIJKLMNPQR"
SOURCES = ("self_collected", "purchased", "licensed", "public_authorisation")


def _holders(count: int) -> list[Organisation]:
    existing = list(Organisation.objects.filter(name__startswith="批量演示企业").order_by("pk"))
    missing = [
        Organisation(
            name=f"批量演示企业{serial:06d}有限公司",
            uscc=uscc_with_check_character(f"91120000B{serial:08d}"),
            kind=OrganisationKind.ENTERPRISE,
        )
        for serial in range(len(existing) + 1, count + 1)
    ]
    Organisation.objects.bulk_create(missing, batch_size=BATCH)
    return list(Organisation.objects.filter(name__startswith="批量演示企业").order_by("pk"))


def seed_bulk(target: int, *, today: dt.date | None = None) -> int:
    """Top the synthetic set up to `target` registered assets; returns how many were added."""
    from valuation.models import QualityAssessment, UsageRecord

    today = today or clock.today()
    existing = DataAsset.objects.filter(name__startswith=NAME_PREFIX).count()
    if existing >= target:
        return 0
    registrar = User.objects.get(username="registrar")
    holders = _holders(max(1, -(-target // ASSETS_PER_HOLDER)))
    registered_on = today - dt.timedelta(days=60)
    now = clock.now()
    added = 0
    for start in range(existing, target, BATCH):
        serials = range(start + 1, min(start + BATCH, target) + 1)
        with transaction.atomic():
            reg_numbers = sequences.next_values(sequences.REGISTRATION_NUMBER, len(serials))
            app_numbers = sequences.next_values(sequences.APPLICATION_NUMBER, len(serials))
            assets = []
            for serial, reg_seq, app_seq in zip(serials, reg_numbers, app_numbers, strict=True):
                holder = holders[(serial - 1) // ASSETS_PER_HOLDER]
                source = SOURCES[serial % len(SOURCES)]
                digest = hashlib.sha256(f"bulk-{serial}".encode()).hexdigest()
                assets.append(
                    DataAsset(
                        holder=holder,
                        name=f"{NAME_PREFIX}{serial:07d}",
                        description="批量生成的演示数据集，用于性能测试。",
                        industry=INDUSTRIES[serial % len(INDUSTRIES)],
                        data_category="enterprise",
                        data_format="table",
                        source=source,
                        source_proof="演示授权协议" if source != "self_collected" else "",
                        record_count=1000 * serial,
                        size_bytes=4096 * serial,
                        time_span_start=dt.date(2022, 1, 1),
                        update_frequency="daily",
                        application_scenarios="性能测试",
                        processing_rules="采集→清洗→汇总",
                        security_level="general",
                        right_holding=True,
                        right_processing=True,
                        evidence_sha256=digest,
                        status=AssetStatus.REGISTERED,
                        application_number=compose_application_number(
                            year=registered_on.year, sequence=app_seq
                        ),
                        registration_number=compose_registration_number(
                            year=registered_on.year,
                            source_code=DATA_SOURCE_CODES[source],
                            subject_code=holder.uscc[0],
                            sequence=reg_seq,
                        ),
                        version=1,
                        submitted_at=now,
                        publicity_start=registered_on - dt.timedelta(days=20),
                        publicity_end=registered_on - dt.timedelta(days=1),
                        registered_at=now,
                        valid_from=registered_on,
                        valid_until=validity_end(registered_on, years=3, licence_end=None),
                        status_changed_at=now,
                        created_by=registrar,
                    )
                )
            DataAsset.objects.bulk_create(assets, batch_size=BATCH)
            AssetVersion.objects.bulk_create(
                [
                    AssetVersion(
                        asset=asset,
                        number=1,
                        reason=VersionReason.REGISTRATION,
                        holder_id=asset.holder_id,
                        content=asset.content_snapshot(),
                        evidence_sha256=asset.evidence_sha256,
                        valid_from=asset.valid_from,
                        valid_until=asset.valid_until,
                        created_by=registrar,
                    )
                    for asset in assets
                ],
                batch_size=BATCH,
            )
            QualityAssessment.objects.bulk_create(
                [_assessment(asset, registrar, registered_on) for asset in assets],
                batch_size=BATCH,
            )
            UsageRecord.objects.bulk_create(
                [_usage(asset, registrar, today) for asset in assets], batch_size=BATCH
            )
        added += len(assets)
    journal.record(
        event_type="demo.bulk_seeded",
        actor=None,
        subject_type="demo",
        subject_id=str(target),
        subject_label=f"{added} synthetic registered assets",
        payload={"added": added, "target": target},
        label=journal.OPERATOR_LABEL,
    )
    return added


def _assessment(asset: DataAsset, assessor: User, day: dt.date):
    from valuation.models import QualityAssessment

    score = Decimal(60 + (asset.record_count // 1000) % 40)
    return QualityAssessment(
        asset=asset,
        assessed_on=day,
        assessor=assessor,
        measurements={"element_completeness": {"count": str(score * 10), "evaluated": "1000"}},
        weights=None,
        indicators=[],
        score=score,
        grade="A" if score >= 90 else "B" if score >= 80 else "C" if score >= 70 else "D",
        formula=f"S = {score} (synthetic)",
    )


def _usage(asset: DataAsset, recorder: User, today: dt.date):
    from valuation.models import UsageRecord

    serial = asset.record_count // 1000
    return UsageRecord(
        asset=asset,
        period_start=today - dt.timedelta(days=365),
        period_end=today - dt.timedelta(days=1),
        api_calls=10_000 * (serial % 50 + 1),
        licensees=serial % 5,
        revenue_amount=Decimal(1000 * (serial % 200 + 1)),
        recorded_by=recorder,
    )
