"""Filters of the public asset list (django-filter): status, holder, category, grade, registration
date range and a text search.

Dates follow `core.strict`: `YYYY-MM-DD`, 1949-10-01 to 2100-12-31. A parameter that is present
must hold a value: `registered_to=` (empty) is a 400 like any other malformed date, not "no
filter", since the schema documents a date there and a client sending an empty one has a bug
worth hearing about. Absent parameters do not filter.
"""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from core import strict
from records.register import asset_text_search
from registry.choices import NUMBERED_STATUSES, AssetStatus, DataCategory
from registry.identifiers import IdentifierError, normalise_uscc
from registry.models import DataAsset


class UsccField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        try:
            return normalise_uscc(value)
        except IdentifierError as exc:
            raise ValidationError(str(exc), code="invalid_uscc") from exc


class UsccFilter(filters.CharFilter):
    field_class = UsccField


class StrictDateFormField(forms.Field):
    """A day under `core.strict`'s grammar; empty (present without a value) is refused."""

    default_error_messages = {"empty": _("Give a date (YYYY-MM-DD) or leave the parameter out.")}

    def to_python(self, value):
        if value is None:
            return None
        if value == "":
            raise ValidationError(self.error_messages["empty"], code="empty")
        try:
            return strict.parse_date(value)
        except strict.StrictInputError as exc:
            raise ValidationError(exc.message, code="invalid") from exc


@extend_schema_field(
    {
        "type": "string",
        "pattern": strict.date_pattern(),
        "description": (
            "A day, YYYY-MM-DD, from 1949-10-01 to 2100-12-31; leave it out for no limit."
        ),
    }
)
class StrictDateFilter(filters.DateFilter):
    field_class = StrictDateFormField


class PublicAssetFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=[
            (status.value, status.label) for status in AssetStatus if status in NUMBERED_STATUSES
        ]
    )
    holder = UsccFilter(field_name="holder__uscc", help_text=_("The holder's USCC."))
    category = filters.ChoiceFilter(field_name="data_category", choices=DataCategory.choices)
    grade = filters.CharFilter(
        field_name="quality_grade", help_text=_("Current quality grade (e.g. A).")
    )
    registered_from = StrictDateFilter(
        field_name="registered_at",
        lookup_expr="date__gte",
        help_text=_("Registered on or after this day (YYYY-MM-DD)."),
    )
    registered_to = StrictDateFilter(
        field_name="registered_at",
        lookup_expr="date__lte",
        help_text=_("Registered on or before this day (YYYY-MM-DD)."),
    )
    q = filters.CharFilter(
        method="search",
        help_text=_("Text in the asset name, registration number or holder name."),
    )

    class Meta:
        model = DataAsset
        fields: list[str] = []

    def search(self, queryset, name, value):
        return asset_text_search(queryset, value)
