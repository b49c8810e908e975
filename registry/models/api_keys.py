"""API keys of organisations (banks' systems): stored only as hashes, shown once at creation."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager


class OrganisationAPIKeyManager(APIKeyManager):
    def get_usable_keys(self):
        return super().get_usable_keys().select_related("organisation")


class OrganisationAPIKey(AbstractAPIKey):
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="api_keys",
    )

    objects: ClassVar[OrganisationAPIKeyManager[OrganisationAPIKey]] = OrganisationAPIKeyManager()

    # rest_framework_api_key's Meta sets plain-str verbose names, so mypy infers ``str`` for them;
    # Django accepts lazy translations here (stub limitation, not a type error).
    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")  # type: ignore[assignment]
        verbose_name_plural = _("API keys")  # type: ignore[assignment]
