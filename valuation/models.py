"""Quality assessments, usage records and appraisals of registered data assets.

The maths lives in `valuation.methods` (pure Python); these rows store what went in and what came
out, so that every figure can be recomputed and explained later.

Invariants:
- quality assessments and usage records are immutable once written (corrections are new rows);
  an asset's current grade is its latest assessment (by date, then id);
- an appraisal is a draft until finalised; a final appraisal is immutable (model guard, and on
  PostgreSQL a trigger) and a re-appraisal adds a row; the asset's value is its latest final one;
- at most one batch draft per asset (partial unique constraint): the batch replaces its own draft;
- amounts are non-negative `Decimal` in CNY with low ≤ value ≤ high; scores lie in [0, 100].
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

CURRENCY = "CNY"
NON_NEGATIVE = MinValueValidator(0)


class ImmutableRow(models.Model):
    """Rows written once: a correction is a new row."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError(f"{type(self).__name__} rows are immutable: add a new one instead.")
        super().save(*args, **kwargs)


class QualityAssessment(ImmutableRow):
    asset = models.ForeignKey(
        "registry.DataAsset",
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        related_name="quality_assessments",
    )
    assessed_on = models.DateField(_("assessed on"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessor"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    measurements = models.JSONField(
        _("measurements"), help_text=_("Per sub-indicator: elements meeting (A) and evaluated (B).")
    )
    weights = models.JSONField(_("indicator weights"), null=True, blank=True)
    indicators = models.JSONField(_("indicator scores"))
    score = models.DecimalField(_("quality score"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("quality grade"), max_length=2)
    formula = models.TextField(_("formula"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quality assessment")
        verbose_name_plural = _("quality assessments")
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["asset", "-assessed_on", "-id"], name="quality_latest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100), name="quality_score_range"
            ),
            models.CheckConstraint(condition=~models.Q(grade=""), name="quality_grade_set"),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.assessed_on} {self.grade} ({self.score})"


class UsageRecord(ImmutableRow):
    """Recorded use of an asset over a period: the driver of income forecasts."""

    asset = models.ForeignKey(
        "registry.DataAsset",
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        related_name="usage_records",
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    api_calls = models.BigIntegerField(_("API calls"), default=0, validators=[NON_NEGATIVE])
    downloads = models.BigIntegerField(_("downloads"), default=0, validators=[NON_NEGATIVE])
    licensees = models.IntegerField(_("licensees"), default=0, validators=[NON_NEGATIVE])
    subscriptions = models.IntegerField(_("subscriptions"), default=0, validators=[NON_NEGATIVE])
    revenue_amount = models.DecimalField(
        _("revenue"), max_digits=20, decimal_places=2, default=0, validators=[NON_NEGATIVE]
    )
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")
        ordering = ["asset", "-period_start"]
        indexes = [models.Index(fields=["asset", "period_end"], name="usage_asset_period")]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "period_start", "period_end"], name="usage_period_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="usage_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    api_calls__gte=0,
                    downloads__gte=0,
                    licensees__gte=0,
                    subscriptions__gte=0,
                    revenue_amount__gte=0,
                ),
                name="usage_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(currency=CURRENCY), name="usage_currency_cny"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.period_start}..{self.period_end}"

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The period cannot end before it starts.")})


class AppraisalMethod(models.TextChoices):
    COST = "cost", _("Cost approach")
    INCOME = "income", _("Income approach")
    MARKET = "market", _("Market approach")
    RECONCILED = "reconciled", _("Reconciled (several methods)")


class AppraisalStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FINAL = "final", _("Final")


class AppraisalOrigin(models.TextChoices):
    APPRAISER = "appraiser", _("Appraiser")
    BATCH = "batch", _("Batch revaluation")


class Appraisal(models.Model):
    asset = models.ForeignKey(
        "registry.DataAsset",
        verbose_name=_("asset"),
        on_delete=models.PROTECT,
        related_name="appraisals",
    )
    method = models.CharField(_("method"), max_length=20, choices=AppraisalMethod.choices)
    variant = models.CharField(_("variant"), max_length=40, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AppraisalStatus.choices,
        default=AppraisalStatus.DRAFT,
    )
    origin = models.CharField(
        _("origin"),
        max_length=10,
        choices=AppraisalOrigin.choices,
        default=AppraisalOrigin.APPRAISER,
    )
    base_date = models.DateField(_("base date"))
    inputs = models.JSONField(_("inputs"))
    assumptions = models.TextField(_("assumptions"), blank=True)
    value_amount = models.DecimalField(_("value"), max_digits=20, decimal_places=2)
    low_amount = models.DecimalField(_("low"), max_digits=20, decimal_places=2)
    high_amount = models.DecimalField(_("high"), max_digits=20, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default=CURRENCY)
    formula = models.TextField(_("formula"))
    breakdown = models.JSONField(_("breakdown"))
    sensitivity = models.JSONField(_("sensitivity"), default=list, blank=True)
    appraiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("appraiser"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    computed_at = models.DateTimeField(_("computed at"))
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["-base_date", "-id"]
        indexes = [
            models.Index(fields=["asset", "status", "-base_date", "-id"], name="appraisal_latest")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method__in=AppraisalMethod.values),
                name="appraisal_method_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AppraisalStatus.values),
                name="appraisal_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(origin__in=AppraisalOrigin.values),
                name="appraisal_origin_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    low_amount__gte=0,
                    value_amount__gte=models.F("low_amount"),
                    high_amount__gte=models.F("value_amount"),
                ),
                name="appraisal_amounts_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(currency=CURRENCY), name="appraisal_currency_cny"
            ),
            models.CheckConstraint(
                condition=models.Q(status=AppraisalStatus.DRAFT, finalised_at__isnull=True)
                | models.Q(status=AppraisalStatus.FINAL, finalised_at__isnull=False),
                name="appraisal_final_has_date",
            ),
            models.UniqueConstraint(
                fields=["asset"],
                condition=models.Q(status=AppraisalStatus.DRAFT, origin=AppraisalOrigin.BATCH),
                name="appraisal_one_batch_draft_per_asset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.method} {self.base_date} {self.value_amount} {self.status}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == AppraisalStatus.FINAL:
                raise ValueError("A final appraisal is immutable: re-appraise with a new row.")
        super().save(*args, **kwargs)

    @property
    def is_final(self) -> bool:
        return self.status == AppraisalStatus.FINAL
