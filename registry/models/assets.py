"""Data assets: the application content (domain.md section 2) and the registration record.

A `DataAsset` is one asset's identity through its whole life: it is created as a draft, moves
through the workflow (`registry.workflow`) and, once registered, keeps its registration number for
ever. Registered content is never edited in place: an amendment, renewal or transfer writes a new
immutable `AssetVersion` (the previous ones are kept) and journals the change; the asset row carries
the current version's content so that lists and filters stay single-table queries.

Invariants held by the database:
- status, category, format, source, frequency, security level, industry hold known values;
- sizes are non-negative; time span and licence periods do not end before they start;
- application and registration numbers are unique; numbered statuses always carry a number;
- at most one live application or registration per holder and asset name;
- core data (核心数据) never reaches a status beyond draft / returned / rejected.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.choices import (
    EDITABLE_STATUSES,
    LIVE_STATUSES,
    NUMBERED_STATUSES,
    SOURCES_NEEDING_PROOF,
    AssetStatus,
    DataCategory,
    DataFormat,
    DataSource,
    Industry,
    SecurityLevel,
    UpdateFrequency,
    VersionReason,
)
from registry.models.organisations import Organisation
from registry.validators import validate_registration_number, validate_sha256_hex

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The application fields a holder fills in (domain.md section 2); a version snapshot stores them.
CONTENT_FIELDS = (
    "name",
    "description",
    "industry",
    "data_category",
    "data_format",
    "source",
    "source_proof",
    "record_count",
    "size_bytes",
    "time_span_start",
    "time_span_end",
    "update_frequency",
    "application_scenarios",
    "processing_rules",
    "security_level",
    "involves_personal_info",
    "deidentification_method",
    "right_holding",
    "right_processing",
    "right_operation",
    "source_licence_start",
    "source_licence_end",
)

# Required before submission, with the reason shown in the single correction notice.
REQUIRED_FOR_SUBMISSION = (
    "description",
    "industry",
    "data_category",
    "data_format",
    "source",
    "record_count",
    "size_bytes",
    "time_span_start",
    "update_frequency",
    "application_scenarios",
    "processing_rules",
    "security_level",
)


def _choices_check(field: str, choices: type[models.TextChoices], *, blank_ok: bool = True):
    condition = models.Q(**{f"{field}__in": choices.values})
    if blank_ok:
        condition |= models.Q(**{field: ""})
    return models.CheckConstraint(condition=condition, name=f"asset_{field}_valid")


def sample_upload_to(instance: DataAsset, filename: str) -> str:
    return f"samples/{instance.holder_id}/{filename}"


def proof_upload_to(instance: DataAsset, filename: str) -> str:
    return f"proofs/{instance.holder_id}/{filename}"


class DataAsset(models.Model):
    # --- who --------------------------------------------------------------------------------
    holder = models.ForeignKey(
        Organisation,
        verbose_name=_("holder"),
        on_delete=models.PROTECT,
        related_name="assets",
    )
    joint_holders = models.ManyToManyField(
        Organisation,
        verbose_name=_("joint holders"),
        blank=True,
        related_name="jointly_held_assets",
    )
    agent = models.ForeignKey(
        Organisation,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="represented_assets",
        help_text=_("An agent applying for the holder must provide a power of attorney."),
    )
    power_of_attorney = models.FileField(
        _("power of attorney"), upload_to=proof_upload_to, blank=True
    )

    # --- what (application content) ----------------------------------------------------------
    name = models.CharField(_("asset name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices, blank=True)
    data_category = models.CharField(
        _("data category"), max_length=30, choices=DataCategory.choices, blank=True
    )
    data_format = models.CharField(
        _("data format"), max_length=20, choices=DataFormat.choices, blank=True
    )
    source = models.CharField(
        _("data source"), max_length=30, choices=DataSource.choices, blank=True
    )
    source_proof = models.TextField(
        _("proof of source"),
        blank=True,
        help_text=_("Contracts, licences or authorisations proving lawful acquisition."),
    )
    source_proof_file = models.FileField(
        _("proof of source (file)"), upload_to=proof_upload_to, blank=True
    )
    record_count = models.BigIntegerField(
        _("number of records"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    size_bytes = models.BigIntegerField(
        _("size in bytes"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    time_span_start = models.DateField(_("time span start"), null=True, blank=True)
    time_span_end = models.DateField(
        _("time span end"), null=True, blank=True, help_text=_("Empty while still collected.")
    )
    update_frequency = models.CharField(
        _("update frequency"), max_length=20, choices=UpdateFrequency.choices, blank=True
    )
    application_scenarios = models.TextField(_("application scenarios"), blank=True)
    processing_rules = models.TextField(
        _("processing and algorithm rules"),
        blank=True,
        help_text=_("Summary of how the data is collected, cleaned, processed and produced."),
    )
    security_level = models.CharField(
        _("security classification"), max_length=20, choices=SecurityLevel.choices, blank=True
    )
    involves_personal_info = models.BooleanField(_("involves personal information"), default=False)
    deidentification_method = models.TextField(_("de-identification method"), blank=True)
    right_holding = models.BooleanField(_("data resource holding right"), default=False)
    right_processing = models.BooleanField(_("data processing and use right"), default=False)
    right_operation = models.BooleanField(_("data product operation right"), default=False)
    source_licence_start = models.DateField(_("source licence start"), null=True, blank=True)
    source_licence_end = models.DateField(
        _("source licence end"),
        null=True,
        blank=True,
        help_text=_("Registration validity ends no later than this date."),
    )
    sample_file = models.FileField(
        _("sample data or manifest"), upload_to=sample_upload_to, blank=True
    )
    evidence_sha256 = models.CharField(
        _("evidence hash (SHA-256)"),
        max_length=64,
        blank=True,
        validators=[validate_sha256_hex],
        help_text=_("Computed from the sample or manifest at submission."),
    )

    # --- workflow ----------------------------------------------------------------------------
    status = models.CharField(
        _("status"), max_length=20, choices=AssetStatus.choices, default=AssetStatus.DRAFT
    )
    application_number = models.CharField(
        _("application number"), max_length=14, unique=True, null=True, blank=True
    )
    registration_number = models.CharField(
        _("registration number"),
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_registration_number],
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    correction_notice = models.TextField(_("correction notice"), blank=True)
    publicity_start = models.DateField(_("publicity announced on"), null=True, blank=True)
    publicity_end = models.DateField(_("publicity ends on"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status_reason = models.TextField(_("reason for the current status"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("data asset")
        verbose_name_plural = _("data assets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="asset_status_created"),
            models.Index(fields=["holder", "status"], name="asset_holder_status"),
            models.Index(fields=["publicity_end"], name="asset_publicity_end"),
            models.Index(fields=["valid_until"], name="asset_valid_until"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=AssetStatus.values), name="asset_status_valid"
            ),
            _choices_check("industry", Industry),
            _choices_check("data_category", DataCategory),
            _choices_check("data_format", DataFormat),
            _choices_check("source", DataSource),
            _choices_check("update_frequency", UpdateFrequency),
            _choices_check("security_level", SecurityLevel),
            models.CheckConstraint(condition=~models.Q(name=""), name="asset_name_not_empty"),
            models.CheckConstraint(
                condition=models.Q(record_count__isnull=True) | models.Q(record_count__gte=0),
                name="asset_record_count_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(size_bytes__isnull=True) | models.Q(size_bytes__gte=0),
                name="asset_size_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(time_span_end__isnull=True)
                | models.Q(time_span_start__isnull=True)
                | models.Q(time_span_end__gte=models.F("time_span_start")),
                name="asset_time_span_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(source_licence_end__isnull=True)
                | models.Q(source_licence_start__isnull=True)
                | models.Q(source_licence_end__gte=models.F("source_licence_start")),
                name="asset_licence_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(publicity_end__isnull=True)
                | models.Q(publicity_end__gt=models.F("publicity_start")),
                name="asset_publicity_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="asset_validity_ordered",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=NUMBERED_STATUSES)
                | models.Q(registration_number__isnull=False, valid_until__isnull=False),
                name="asset_registered_has_number",
            ),
            models.CheckConstraint(
                condition=~models.Q(security_level=SecurityLevel.CORE)
                | models.Q(
                    status__in=[AssetStatus.DRAFT, AssetStatus.RETURNED, AssetStatus.REJECTED]
                ),
                name="asset_core_data_never_registered",
            ),
            models.UniqueConstraint(
                fields=["holder", "name"],
                condition=models.Q(status__in=LIVE_STATUSES),
                name="asset_one_live_per_holder_and_name",
                violation_error_message=_(
                    "This holder already has a live application or registration with this name."
                ),
            ),
        ]

    def __str__(self) -> str:
        number = self.registration_number or self.application_number or _("draft")
        return f"{self.name} [{number}]"

    # --- derived properties ------------------------------------------------------------------
    @property
    def rights(self) -> list[str]:
        labels = []
        for field in ("right_holding", "right_processing", "right_operation"):
            if getattr(self, field):
                model_field = self._meta.get_field(field)
                assert isinstance(model_field, models.Field)  # the right_* booleans, not relations
                labels.append(str(model_field.verbose_name))
        return labels

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    def content_snapshot(self) -> dict:
        """The application content as JSON-ready values (for versions and journal payloads)."""
        snapshot = {}
        for field in CONTENT_FIELDS:
            value = getattr(self, field)
            snapshot[field] = value.isoformat() if isinstance(value, dt.date) else value
        return snapshot

    # --- validation --------------------------------------------------------------------------
    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.name and not self.name.strip():  # "" is already refused as blank
            errors["name"] = _("The asset name cannot be empty.")
        if (
            self.time_span_start
            and self.time_span_end
            and self.time_span_end < self.time_span_start
        ):
            errors["time_span_end"] = _("The time span cannot end before it starts.")
        if (
            self.source_licence_start
            and self.source_licence_end
            and self.source_licence_end < self.source_licence_start
        ):
            errors["source_licence_end"] = _("The source licence cannot end before it starts.")
        if self.security_level == SecurityLevel.CORE:
            errors["security_level"] = _(
                "Core data cannot be registered (Data Security Law, art. 21)."
            )
        if self.agent_id and self.agent_id == self.holder_id:
            errors["agent"] = _("The agent must be another organisation than the holder.")
        if errors:
            raise ValidationError(errors)

    def submission_gaps(self) -> dict[str, str]:
        """Everything missing for a complete application, in one notice (field -> message)."""
        gaps: dict[str, str] = {}
        for field in REQUIRED_FOR_SUBMISSION:
            value = getattr(self, field)
            if value is None or value == "":
                gaps[field] = str(_("required"))
        if not (self.right_holding or self.right_processing or self.right_operation):
            gaps["rights"] = str(_("claim at least one right"))
        if self.source in SOURCES_NEEDING_PROOF and not (
            self.source_proof.strip() or self.source_proof_file
        ):
            gaps["source_proof"] = str(_("proof of the source's authorisation is required"))
        if self.involves_personal_info and not self.deidentification_method.strip():
            gaps["deidentification_method"] = str(
                _("describe how personal information was de-identified")
            )
        if self.agent_id and not self.power_of_attorney:
            gaps["power_of_attorney"] = str(_("an agent must provide a power of attorney"))
        if not self.sample_file and not self.evidence_sha256:
            gaps["sample_file"] = str(_("upload the data sample or manifest to hash"))
        return gaps


class AssetVersion(models.Model):
    """An immutable snapshot of a registered asset's content, validity and holder."""

    asset = models.ForeignKey(
        DataAsset, verbose_name=_("asset"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    reason = models.CharField(_("reason"), max_length=20, choices=VersionReason.choices)
    holder = models.ForeignKey(
        Organisation, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="+"
    )
    content = models.JSONField(_("content"))
    evidence_sha256 = models.CharField(_("evidence hash (SHA-256)"), max_length=64)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("asset version")
        verbose_name_plural = _("asset versions")
        ordering = ["asset", "number"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "number"], name="asset_version_unique"),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="asset_version_number_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=VersionReason.values),
                name="asset_version_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Asset versions are immutable: add a new version instead.")
        super().save(*args, **kwargs)
