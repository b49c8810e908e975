"""Forms for workflow steps: the extra input each step takes (reason, missing items, new holder).

Used by the registrar admin (and reusable by the portal); they validate input only, and the view
hands `cleaned_data` to the matching service.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.choices import OrganisationKind
from registry.models import DataAsset, Organisation
from registry.models.assets import CONTENT_FIELDS
from registry.workflow import Action


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    reason_required = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = self.reason_required


class RequiredReasonForm(ReasonForm):
    reason_required = True


class ReturnForCorrectionForm(ReasonForm):
    missing = forms.CharField(
        label=_("What must be corrected or supplied (one item per line)"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def clean_missing(self) -> list[str]:
        items = [line.strip() for line in self.cleaned_data["missing"].splitlines()]
        items = [item for item in items if item]
        if not items:
            raise forms.ValidationError(_("List at least one item."))
        return items


class PledgeeConsentForm(RequiredReasonForm):
    pledgee_consent = forms.BooleanField(
        label=_("The pledgees' written consent has been received (required for a pledged asset)"),
        required=False,
    )


class TransferForm(PledgeeConsentForm):
    new_holder = forms.ModelChoiceField(
        label=_("New holder"),
        queryset=Organisation.objects.exclude(kind=OrganisationKind.REGISTRY),
    )


class AmendForm(forms.ModelForm):
    """The registered content, pre-filled; the changed fields become the amendment."""

    new_sample = forms.FileField(label=_("New sample or manifest"), required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = DataAsset
        fields = CONTENT_FIELDS

    def changes(self) -> dict:
        return {
            field: self.cleaned_data[field]
            for field in self.changed_data
            if field in CONTENT_FIELDS
        }


class ObjectionResolutionForm(forms.Form):
    note = forms.CharField(label=_("Resolution"), widget=forms.Textarea(attrs={"rows": 3}))


# The form each admin transition takes.
TRANSITION_FORMS: dict[Action, type[forms.Form]] = {
    Action.SUBMIT: ReasonForm,
    Action.RETURN: ReturnForCorrectionForm,
    Action.ACCEPT: ReasonForm,
    Action.START_PUBLICITY: ReasonForm,
    Action.REGISTER: ReasonForm,
    Action.REJECT: RequiredReasonForm,
    Action.RENEW: ReasonForm,
    Action.TRANSFER: TransferForm,
    Action.CANCEL: PledgeeConsentForm,
    Action.REVOKE: RequiredReasonForm,
}
