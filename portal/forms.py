"""Forms of the enterprise portal. They validate input only; the views hand `cleaned_data` to
`registry.services`, which validates again with the holder set and writes.

Labels are fixed Chinese / English pairs (Chinese first), like the certificate and the public
verification page: they are deliberately not passed through gettext, which would print the
Chinese twice in the Chinese UI. Messages, help texts and errors are gettext'd (English msgids).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.uploads import UploadValidator, accept_attribute
from registry.models import DataAsset
from registry.models.assets import CONTENT_FIELDS
from registry.services.change_requests import typed_value

FILE_FIELDS = ("sample_file", "source_proof_file")
ASSET_FORM_FIELDS = (*CONTENT_FIELDS, *FILE_FIELDS)

# Field -> (Chinese, English): domain.md section 2.
LABELS: dict[str, tuple[str, str]] = {
    "name": ("数据资产名称", "Asset name"),
    "description": ("资产描述", "Description"),
    "industry": ("所属行业", "Industry"),
    "data_category": ("数据类别", "Data category"),
    "data_format": ("数据形态", "Format"),
    "source": ("数据来源", "Source"),
    "source_proof": ("来源证明说明", "Proof of source"),
    "source_proof_file": ("来源证明文件", "Proof of source (file)"),
    "source_licence_start": ("来源授权起始日", "Source licence start"),
    "source_licence_end": ("来源授权截止日", "Source licence end"),
    "record_count": ("记录数", "Number of records"),
    "size_bytes": ("数据量（字节）", "Size in bytes"),
    "time_span_start": ("时间跨度起", "Time span start"),
    "time_span_end": ("时间跨度止", "Time span end"),
    "update_frequency": ("更新频率", "Update frequency"),
    "application_scenarios": ("应用场景", "Application scenarios"),
    "processing_rules": ("加工处理及算法规则说明", "Processing and algorithm rules"),
    "security_level": ("数据安全分级", "Security classification"),
    "involves_personal_info": ("涉及个人信息", "Involves personal information"),
    "deidentification_method": ("去标识化处理方式", "De-identification method"),
    "right_holding": ("数据资源持有权", "Data resource holding right"),
    "right_processing": ("数据加工使用权", "Data processing and use right"),
    "right_operation": ("数据产品经营权", "Data product operation right"),
    "sample_file": ("样本数据或清单", "Data sample or manifest"),
    # Submission gaps that are not a single form field.
    "rights": ("登记权利", "Rights claimed"),
    "power_of_attorney": ("授权委托书", "Power of attorney"),
    "agent": ("代理机构", "Agent"),
    "holder": ("权利人", "Holder"),
}

# (key, Chinese, English, fields): the fieldsets of the application form, in order.
FIELDSETS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "basic",
        "基本信息",
        "Basic information",
        ("name", "description", "industry", "data_category", "data_format"),
    ),
    (
        "source",
        "数据来源",
        "Source",
        (
            "source",
            "source_proof",
            "source_proof_file",
            "source_licence_start",
            "source_licence_end",
        ),
    ),
    (
        "scale",
        "规模与时间跨度",
        "Scale and time span",
        ("record_count", "size_bytes", "time_span_start", "time_span_end", "update_frequency"),
    ),
    (
        "use",
        "应用场景与加工规则",
        "Use and processing",
        ("application_scenarios", "processing_rules"),
    ),
    (
        "security",
        "安全分级与个人信息",
        "Security and personal information",
        ("security_level", "involves_personal_info", "deidentification_method"),
    ),
    (
        "rights",
        "登记权利（三权分置）",
        "Rights claimed",
        ("right_holding", "right_processing", "right_operation"),
    ),
    ("evidence", "样本与存证", "Sample and evidence hash", ("sample_file",)),
)

# Where a submission gap that is not itself a form field is shown.
GAP_FIELD = {"rights": "right_holding"}


def label_of(field: str) -> tuple[str, str]:
    return LABELS.get(field, (field, field))


@dataclass(frozen=True)
class Fieldset:
    key: str
    title_zh: str
    title_en: str
    fields: list  # of (BoundField, Chinese label, English label)


def _date_widget() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _text_widget(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class AssetApplicationForm(forms.ModelForm):
    """The application (domain.md section 2): every content field plus the sample and proof."""

    class Meta:
        model = DataAsset
        fields = ASSET_FORM_FIELDS
        widgets = {
            "description": _text_widget(),
            "source_proof": _text_widget(),
            "application_scenarios": _text_widget(),
            "processing_rules": _text_widget(4),
            "deidentification_method": _text_widget(),
            "time_span_start": _date_widget(),
            "time_span_end": _date_widget(),
            "source_licence_start": _date_widget(),
            "source_licence_end": _date_widget(),
            # Not clearable: a new upload replaces the stored file, which is never removed.
            "sample_file": forms.FileInput(),
            "source_proof_file": forms.FileInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.label = label_of(name)[0]
        for name in ("record_count", "size_bytes"):
            self.fields[name].widget.attrs["min"] = 0
            self.fields[name].validators.append(_non_negative(name))
        limit = settings.REGISTRY_SAMPLE_MAX_BYTES
        self.fields["sample_file"].help_text = _(
            "At most %(limit)s. Its SHA-256 is computed when you submit and printed on the "
            "certificate as the evidence hash."
        ) % {"limit": filesizeformat(limit)}
        self.fields["source_proof_file"].help_text = _(
            "Contract, licence or authorisation (required with a purchased, licensed or "
            "public-data source unless described above)."
        )
        self.fields["time_span_end"].help_text = _("Leave empty while the data is still collected.")
        # The browser's picker offers the allowed types; the content is checked on upload.
        for name, kind in UPLOAD_KINDS.items():
            self.fields[name].widget.attrs["accept"] = accept_attribute(kind)

    # --- validation --------------------------------------------------------------------------
    def clean_sample_file(self):
        upload = self.cleaned_data.get("sample_file")
        limit = settings.REGISTRY_SAMPLE_MAX_BYTES
        # Only a new upload is checked: the stored file (unchanged) passed when it came.
        if isinstance(upload, UploadedFile) and upload.size > limit:
            raise ValidationError(
                _(
                    "The sample file is %(size)s; the limit is %(limit)s (%(bytes)s bytes). "
                    "Upload a smaller sample or a manifest of the data instead."
                ),
                code="too_large",
                params={
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(limit),
                    "bytes": limit,
                },
            )
        return _checked(upload, "sample")

    def clean_source_proof_file(self):
        return _checked(self.cleaned_data.get("source_proof_file"), "proof")

    def validate_constraints(self):
        # Cross-field rules (time span and licence ordering, core data) come from
        # `DataAsset.clean()`, which the ModelForm runs, with field messages; the check
        # constraints only repeat them, and the unique constraint needs the holder:
        # `registry.services` checks both on save.
        return

    # --- what the services take --------------------------------------------------------------
    def service_data(self) -> dict:
        """Content for `asset_create` / `asset_update_draft`; files only when a new one came."""
        data = {field: self.cleaned_data[field] for field in CONTENT_FIELDS}
        for field in FILE_FIELDS:
            upload = self.cleaned_data.get(field)
            if isinstance(upload, UploadedFile):
                data[field] = upload
        return data

    def uploaded_files(self) -> bool:
        return any(self.files.get(self.add_prefix(field)) for field in FILE_FIELDS)

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the form: on its field when the form has it."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            target = GAP_FIELD.get(field, field)
            if field == NON_FIELD_ERRORS:
                self.add_error(None, messages)
            elif target in self.fields:
                self.add_error(target, messages)
            else:
                zh, en = label_of(field)
                self.add_error(None, [f"{zh} {en}: {message}" for message in messages])

    def add_gaps(self, gaps: dict[str, str]) -> list[tuple[str, str, str]]:
        """Show every submission gap on its field; returns (Chinese, English, message) rows for
        the single notice at the top of the form."""
        rows = []
        for field, message in gaps.items():
            text = _required_message(message)
            target = GAP_FIELD.get(field, field)
            if target in self.fields:
                self.add_error(target, text)
            else:
                zh, en = label_of(field)
                self.add_error(None, f"{zh} {en}: {text}")
            rows.append((*label_of(field), text))
        return rows

    def fieldsets(self) -> list[Fieldset]:
        return [
            Fieldset(key, zh, en, [(self[name], *label_of(name)) for name in names])
            for key, zh, en, names in FIELDSETS
        ]


# Form field -> kind of upload (`core.uploads`: allowed types by content, size limit).
UPLOAD_KINDS = {"sample_file": "sample", "source_proof_file": "proof"}


def _checked(upload, kind: str):
    """Only a new upload is checked: the stored file (unchanged) passed when it came."""
    if isinstance(upload, UploadedFile):
        UploadValidator(kind)(upload)
    return upload


def _non_negative(field: str):
    message = {
        "record_count": _("The number of records cannot be negative."),
        "size_bytes": _("The size cannot be negative."),
    }[field]

    def validate(value):
        if value is not None and value < 0:
            raise ValidationError(message, code="min_value")

    return validate


def _required_message(message: str) -> str:
    if message == gettext("required"):
        return gettext("Required to submit the application.")
    message = message[:1].upper() + message[1:]
    # A sentence of the English msgids ends with a full stop; a translation keeps its own ending.
    return message + "." if message[-1:].isascii() and message[-1:].isalnum() else message


class ObjectionResponseForm(forms.Form):
    response = forms.CharField(
        label="申请人答复",
        widget=_text_widget(4),
        max_length=5000,
        error_messages={"required": _("Write your response to the objection.")},
        help_text=_("The registrar weighs it when deciding the objection."),
    )

    def clean_response(self) -> str:
        response = self.cleaned_data["response"].strip()
        if not response:
            raise ValidationError(_("Write your response to the objection."), code="required")
        return response


class CancellationForm(forms.Form):
    reason = forms.CharField(
        label="注销理由",
        widget=_text_widget(3),
        max_length=2000,
        error_messages={"required": _("Give the reason for the cancellation.")},
    )
    confirm = forms.BooleanField(
        label="确认注销",
        error_messages={
            "required": _("Tick the box to confirm: a cancelled registration cannot be restored.")
        },
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give the reason for the cancellation."), code="required")
        return reason


# --- amendment and renewal requests ----------------------------------------------------------
# Content a holder may ask to amend from the portal; other changes go through the registrar.
REQUESTABLE_FIELDS = (
    "description",
    "application_scenarios",
    "processing_rules",
    "update_frequency",
    "record_count",
    "size_bytes",
    "time_span_end",
)


def _request_reason_field(message: str) -> forms.CharField:
    return forms.CharField(
        label="申请理由",
        widget=_text_widget(3),
        max_length=2000,
        error_messages={"required": message},
    )


class AmendmentRequestForm(forms.Form):
    """One field's new value. The value is typed as the asset field (a date as YYYY-MM-DD, a
    number, a frequency code) and checked by the service's converter."""

    field = forms.ChoiceField(
        label="变更事项",
        choices=[(name, f"{LABELS[name][0]} · {LABELS[name][1]}") for name in REQUESTABLE_FIELDS],
    )
    value = forms.CharField(
        label="变更后内容",
        widget=_text_widget(3),
        max_length=5000,
        required=False,
        help_text=_(
            "Dates as YYYY-MM-DD; numbers without separators; update frequency as its code "
            "(e.g. daily). Leave empty to clear an optional value."
        ),
    )
    reason = _request_reason_field(_("Give the reason for the amendment."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "amendment_%s")  # unique ids beside the other forms
        super().__init__(*args, **kwargs)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give the reason for the amendment."), code="required")
        return reason

    def clean(self) -> dict:
        cleaned = super().clean()
        field = cleaned.get("field")
        if field and "value" in cleaned:
            try:
                typed_value(field, cleaned["value"])
            except ValidationError as exc:
                self.add_error("value", exc.message_dict.get(field, exc.messages))
        return cleaned

    def add_service_errors(self, error: ValidationError) -> None:
        """Errors keyed by an asset field or by the proposal are about the value."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for key, messages in error.message_dict.items():
            target = "reason" if key == "reason" else ("value" if key != "kind" else None)
            self.add_error(target, messages)


class RenewalRequestForm(forms.Form):
    reason = _request_reason_field(_("Give the reason for the renewal."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "renewal_%s")
        super().__init__(*args, **kwargs)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give the reason for the renewal."), code="required")
        return reason
