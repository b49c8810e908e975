"""Forms for entering quality assessments and appraisals (registrar admin)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.identifiers import IdentifierError, normalise_registration_number
from registry.models import DataAsset
from valuation.methods.quality import INDICATORS

EXAMPLE_BODIES = {
    "cost": {
        "method": "cost",
        "variant": "guidance_2023",
        "costs": {
            "preliminary": "20",
            "direct": "120",
            "indirect": "30",
            "opportunity": "10",
            "taxes": "5",
        },
        "delta": "0.88",
    },
    "income": {
        "method": "income",
        "variant": "royalty",
        "discount_rate": "0.12",
        "tax_rate": "0",
        "mid_year": False,
        "periods": [{"revenue": "1000", "share_rate": "0.05"}] * 3,
    },
    "market": {
        "method": "market",
        "comparables": [
            {
                "price": "100",
                "quality": "1.0625",
                "supply_demand": "1",
                "date": "1.03",
                "capacity": "1.2",
                "other": "1",
                "weight": "1",
            }
        ],
    },
}


class AssetNumberField(forms.CharField):
    """An asset by its registration or application number (no list of a million options)."""

    def clean(self, value: str) -> DataAsset:
        value = super().clean(value).strip().upper()
        if value.startswith("SQ"):
            asset = DataAsset.objects.filter(application_number=value).first()
        else:
            try:
                number = normalise_registration_number(value)
            except IdentifierError as exc:
                raise forms.ValidationError(str(exc)) from exc
            asset = DataAsset.objects.filter(registration_number=number).first()
        if asset is None:
            raise forms.ValidationError(_("No asset has this number."))
        return asset


class QualityAssessmentForm(forms.Form):
    asset = AssetNumberField(label=_("Registration or application number"))
    assessed_on = forms.DateField(label=_("Assessed on"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        weight = _("Weight")
        for indicator in INDICATORS:
            self.fields[f"weight__{indicator.key}"] = forms.DecimalField(
                label=f"{indicator.label_zh} {indicator.label_en}: {weight}",
                required=False,
                min_value=0,
                max_value=1,
                decimal_places=6,
            )
            for sub in indicator.sub_indicators:
                for part, label in (("count", "A"), ("evaluated", "B")):
                    self.fields[f"{sub.key}__{part}"] = forms.IntegerField(
                        label=f"{sub.label_zh} {sub.label_en} {label}",
                        required=False,
                        min_value=0,
                    )

    def indicator_groups(self) -> list[dict[str, Any]]:
        """Bound fields grouped by indicator, for the template."""
        return [
            {
                "label": f"{indicator.label_zh} {indicator.label_en}",
                "weight": self[f"weight__{indicator.key}"],
                "rows": [
                    (sub, self[f"{sub.key}__count"], self[f"{sub.key}__evaluated"])
                    for sub in indicator.sub_indicators
                ],
            }
            for indicator in INDICATORS
        ]

    def clean(self):
        data = super().clean()
        for indicator in INDICATORS:
            for sub in indicator.sub_indicators:
                count, evaluated = data.get(f"{sub.key}__count"), data.get(f"{sub.key}__evaluated")
                if (count is None) != (evaluated is None):
                    self.add_error(
                        f"{sub.key}__evaluated" if evaluated is None else f"{sub.key}__count",
                        _("Give both A and B, or neither."),
                    )
        return data

    def body(self) -> dict[str, Any]:
        data = self.cleaned_data
        measurements = {}
        for indicator in INDICATORS:
            for sub in indicator.sub_indicators:
                count = data.get(f"{sub.key}__count")
                if count is not None:
                    measurements[sub.key] = {
                        "count": str(count),
                        "evaluated": str(data[f"{sub.key}__evaluated"]),
                    }
        weights = {
            indicator.key.value: str(data[f"weight__{indicator.key}"])
            for indicator in INDICATORS
            if data.get(f"weight__{indicator.key}") is not None
        }
        body: dict[str, Any] = {"measurements": measurements}
        if weights:
            body["weights"] = weights
        return body


class AppraisalForm(forms.Form):
    asset = AssetNumberField(label=_("Registration or application number"))
    base_date = forms.DateField(label=_("Base date"))
    inputs = forms.CharField(
        label=_("Method and inputs (JSON)"),
        widget=forms.Textarea({"rows": 14, "cols": 90, "style": "font-family: monospace"}),
        help_text=_(
            "A cost, income or market body as in the valuation preview API, or "
            '{"method": "reconciled", "components": [{"weight": "0.6", "body": {...}}, ...]}. '
            "Amounts are decimal strings."
        ),
    )
    assumptions = forms.CharField(
        label=_("Assumptions"), required=False, widget=forms.Textarea({"rows": 3})
    )

    def clean_inputs(self) -> dict[str, Any]:
        try:
            body = json.loads(self.cleaned_data["inputs"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("Not valid JSON (line %(line)s, column %(col)s): %(msg)s")
                % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
            ) from exc
        if not isinstance(body, dict):
            raise forms.ValidationError(_("The inputs must be a JSON object."))
        return body
