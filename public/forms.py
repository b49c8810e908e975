"""Forms of the public pages: they validate every input; views hand `cleaned_data` on."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from certificates.numbers import CertificateNumberError, normalise_certificate_number
from core.uploads import UploadValidator, accept_attribute
from registry.choices import NUMBERED_STATUSES, AssetStatus, DataCategory

# upload_to adds "objections/<asset id>/" in front; the stored name must fit 100 characters.
EVIDENCE_NAME_MAX = 80
SEARCH_TEXT_MAX = 100
REASONS_MAX = 10_000

PUBLIC_STATUS_CHOICES = [
    (status.value, status.label) for status in AssetStatus if status in NUMBERED_STATUSES
]


class CertificateLookupForm(forms.Form):
    """The home page's verification box: a certificate number, normalised."""

    number = forms.CharField(label=_("Certificate number"), max_length=40)

    def clean_number(self) -> str:
        try:
            return normalise_certificate_number(self.cleaned_data["number"])
        except CertificateNumberError as exc:
            raise ValidationError(str(exc), code="invalid_certificate_number") from exc


class AssetSearchForm(forms.Form):
    """The public register's query (GET); every field may be left empty."""

    q = forms.CharField(
        label=_("Asset name, registration number, holder name or USCC"),
        max_length=SEARCH_TEXT_MAX,
        required=False,
        widget=forms.SearchInput,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *PUBLIC_STATUS_CHOICES], required=False
    )
    category = forms.ChoiceField(
        label=_("Data category"), choices=[("", _("All")), *DataCategory.choices], required=False
    )


class ObjectionForm(forms.Form):
    """An objection (异议) to an announced application, by anyone."""

    objector_name = forms.CharField(label=_("Objector (person or organisation)"), max_length=200)
    objector_contact = forms.CharField(
        label=_("Contact (telephone, e-mail or address)"), max_length=200
    )
    reasons = forms.CharField(
        label=_("Reasons for the objection"),
        max_length=REASONS_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    evidence = forms.FileField(
        label=_("Evidence (optional): PDF, JPEG or PNG, at most 10 MB"),
        required=False,
        max_length=EVIDENCE_NAME_MAX,
        widget=forms.FileInput(),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].widget.attrs["accept"] = accept_attribute("evidence")

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        if not upload:
            return None
        # Allowed types by content and a size limit (core.uploads, settings UPLOAD_EVIDENCE_*).
        UploadValidator("evidence")(upload)
        return upload

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's ValidationError on the fields it names (elsewhere: on the form)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for field, messages in error.message_dict.items():
            known = field in self.fields and field != NON_FIELD_ERRORS
            self.add_error(field if known else None, messages)
