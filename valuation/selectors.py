"""Reads of the valuation app: current grade, latest final value, history."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from registry.models import DataAsset
from valuation.models import Appraisal, AppraisalStatus, QualityAssessment


def current_quality(asset: DataAsset) -> QualityAssessment | None:
    return asset.quality_assessments.order_by("-assessed_on", "-id").first()


def current_quality_grade(asset: DataAsset) -> str:
    """The grade of the current assessment, "" when the asset is not graded."""
    quality = current_quality(asset)
    return quality.grade if quality else ""


def latest_final_appraisal(asset: DataAsset) -> Appraisal | None:
    return (
        asset.appraisals.filter(status=AppraisalStatus.FINAL).order_by("-base_date", "-id").first()
    )


def final_appraisal_history(asset: DataAsset) -> QuerySet[Appraisal]:
    return asset.appraisals.filter(status=AppraisalStatus.FINAL).order_by("base_date", "id")


def with_current_valuation(assets: QuerySet[DataAsset]) -> QuerySet[DataAsset]:
    """Annotate current grade / score and the latest final value / base date, in one query."""
    quality = QualityAssessment.objects.filter(asset=OuterRef("pk")).order_by("-assessed_on", "-id")
    final = Appraisal.objects.filter(asset=OuterRef("pk"), status=AppraisalStatus.FINAL).order_by(
        "-base_date", "-id"
    )
    return assets.annotate(
        quality_grade=Subquery(quality.values("grade")[:1]),
        quality_score=Subquery(quality.values("score")[:1]),
        value_amount=Subquery(final.values("value_amount")[:1]),
        value_base_date=Subquery(final.values("base_date")[:1]),
    )
