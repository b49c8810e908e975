"""API-key authentication: `Authorization: Api-Key <prefix>.<secret>`.

An authenticated key becomes an `ApiClient`, which stands for the key's organisation (not for a
person): services journal it by its label, and permissions read its organisation and kind.

Every request reads its key from the database (one query: the usable key by prefix, with its
organisation), so a revoked or expired key is refused at once, by every server process. The query
is `OrganisationAPIKey.objects.get_usable_keys()` compiled once (`PrecompiledValues`) instead of on
each request, which is what made the look-up costly; the secret is checked against the stored
SHA-512 hash by the key model itself (`is_valid`), as `get_from_key` does. Keys are deliberately
not cached in memory: a cache would let a revoked key through until it expired in each process,
and the API's constant query counts (tests/api/test_bank_api.py) include this look-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from core.precompiled import PrecompiledValues
from registry.choices import OrganisationKind, Role
from registry.models import Organisation, OrganisationAPIKey

KEYWORD = "Api-Key"

_KEY_FIELDS = tuple(field.attname for field in OrganisationAPIKey._meta.concrete_fields)
_ORGANISATION_FIELDS = tuple(field.attname for field in Organisation._meta.concrete_fields)
_lookup: Any = None  # the PrecompiledValues of `usable_key`, made on first use


def _usable_keys_by_prefix(prefixes: list[str]):
    return (
        OrganisationAPIKey.objects.get_usable_keys()
        .filter(prefix__in=prefixes)
        .order_by()
        .values(*_KEY_FIELDS, *(f"organisation__{name}" for name in _ORGANISATION_FIELDS))
    )


def usable_key(key: str) -> OrganisationAPIKey | None:
    """The unrevoked key whose prefix and secret are `key`'s, with its organisation; else None.
    What `OrganisationAPIKey.objects.get_from_key` answers, in one precompiled query."""
    global _lookup
    if _lookup is None:
        _lookup = PrecompiledValues(
            OrganisationAPIKey,
            _usable_keys_by_prefix,
            sentinel=lambda index: f"\x00api-key-prefix-{index}",
        )
    prefix, _sep, _secret = key.partition(".")
    rows = _lookup.rows([prefix])
    if len(rows) != 1:
        return None
    row = rows[0]
    db = router.db_for_read(OrganisationAPIKey)  # where PrecompiledValues read it
    api_key = OrganisationAPIKey.from_db(db, _KEY_FIELDS, [row[name] for name in _KEY_FIELDS])
    api_key.organisation = Organisation.from_db(
        db,
        _ORGANISATION_FIELDS,
        [row[f"organisation__{name}"] for name in _ORGANISATION_FIELDS],
    )
    return api_key if api_key.is_valid(key) else None


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
        if not key or "." not in key or "\x00" in key:  # NUL: the database cannot compare it
            raise exceptions.AuthenticationFailed(_("Malformed API key."))
        api_key = usable_key(key)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        return ApiClient(organisation=api_key.organisation, key_prefix=api_key.prefix), api_key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with this challenge) rather than 403 when no credentials came.
        return f'{KEYWORD} realm="api"'
