"""API-key authentication: `Authorization: Api-Key <prefix>.<secret>`.

An authenticated key becomes an `ApiClient`, which stands for the key's organisation (not for a
person): services journal it by its label, and permissions read its organisation and kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from registry.choices import OrganisationKind, Role
from registry.models import Organisation, OrganisationAPIKey

KEYWORD = "Api-Key"


@dataclass(frozen=True)
class ApiClient:
    organisation: Organisation
    key_prefix: str

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    is_registrar = False
    pk = None

    @property
    def organisation_id(self) -> int:
        return self.organisation.pk

    @property
    def role(self) -> str:
        return Role.BANK if self.organisation.kind == OrganisationKind.BANK else Role.ENTERPRISE

    @property
    def label(self) -> str:
        return f"API key {self.key_prefix} @ {self.organisation.name}"

    def acts_for(self, organisation_id: int | None) -> bool:
        return organisation_id is not None and organisation_id == self.organisation.pk

    def get_username(self) -> str:
        return self.label


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _sep, key = header.partition(" ")
        if scheme != KEYWORD:
            return None
        key = key.strip()
        if not key or "." not in key:
            raise exceptions.AuthenticationFailed(_("Malformed API key."))
        try:
            api_key = OrganisationAPIKey.objects.get_from_key(key)
        except OrganisationAPIKey.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key.")) from exc
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        return ApiClient(organisation=api_key.organisation, key_prefix=api_key.prefix), api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with this challenge) rather than 403 when no credentials came.
        return f'{KEYWORD} realm="api"'
