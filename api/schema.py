"""How the OpenAPI document describes the API beyond what views declare: the API-key
authentication scheme, on every POST the `Idempotency-Key` header (`api.idempotency`), the
answers every endpoint can give in the error envelope (`api.errors`), the enums of the status
fields, and closed request bodies where the parser refuses unknown keys.

tests/api/test_schemathesis.py checks every answer against this document."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter
from rest_framework.fields import ListField

from api import examples, idempotency
from api.schema_serializers import ClosedBodySerializer
from api.serializers import ErrorSerializer
from certificates.models import CertificateStatus
from pledges.models import PledgeStatus
from registry.choices import NUMBERED_STATUSES

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    idempotency.HEADER,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_LENGTH,
        "pattern": "^[ -~]+$",
    },
    OpenApiParameter.HEADER,
    required=False,
    description=(
        'Makes the POST safe to retry (IETF httpapi draft "The Idempotency-Key HTTP Header '
        'Field", as Stripe and PayPal use it). Send a new unique value (a UUID) with each new '
        "request, and the same value when you send that request again, e.g. after a timeout or "
        "a 5xx: a repeat with the same key, path and body gets the first answer again (status "
        "and body, with `Idempotent-Replayed: true`) and is not executed twice, also while the "
        "first is still running. The same key with another body is 422 "
        "`idempotency_key_reused`. Only successes use up a key: after a 4xx or 5xx nothing was "
        "written and the key may be sent again. Keys belong to the API key's organisation (a "
        "signed-in user's own otherwise) and are remembered at least 48 hours. 1 to 255 "
        'printable ASCII characters; the quoted Structured Field form (`"..."`) is accepted. '
        "Banks should send one with every write."
    ),
    examples=[examples.IDEMPOTENCY_KEY],
)

REPLAYED_HEADER = OpenApiParameter(
    idempotency.REPLAYED_HEADER,
    {"type": "string", "enum": ["true"]},
    OpenApiParameter.HEADER,
    required=False,
    description="Present when this is the stored answer to an earlier request with the same "
    "Idempotency-Key (the request was not executed again).",
    response=[200, 201],
)

KEY_REUSED_DESCRIPTION = (
    "The Idempotency-Key was already used (by this organisation, within 48 hours) for a "
    "different request: another path or another body. Nothing was executed."
)


# Statuses as the API shows them: an asset of the public register, a certificate's effective
# status (`certificates.selectors.effective_status`: expired once the registration has lapsed).
ASSET_STATUSES = [str(status) for status in NUMBERED_STATUSES]
CERTIFICATE_STATUSES = [*(str(status) for status in CertificateStatus), "expired"]
PLEDGE_STATUSES = [str(status) for status in PledgeStatus]
# Output serializer → the enum component of its `status` (a component of its own: drf-spectacular
# names inline enums after the property and reports the three `status` sets as a collision).
STATUS_ENUMS = {
    "AssetListItemSerializer": ("RegisteredAssetStatus", ASSET_STATUSES),
    "AssetDetailSerializer": ("RegisteredAssetStatus", ASSET_STATUSES),
    "PledgeStatusItemSerializer": ("RegisteredAssetStatus", ASSET_STATUSES),
    "PledgeStatusSerializer": ("RegisteredAssetStatus", ASSET_STATUSES),
    "BulkFoundSerializer": ("RegisteredAssetStatus", ASSET_STATUSES),
    "CertificateRefSerializer": ("CertificateEffectiveStatus", CERTIFICATE_STATUSES),
    "PledgeSerializer": ("PledgeLifecycleStatus", PLEDGE_STATUSES),
}


# Answers in the error envelope that any endpoint can give, with when; each operation gets those
# that apply to it (a view's own description of a status wins).
COMMON_ERRORS = {
    "400": "Invalid input: `errors` names each field (dotted paths into the query or the body); "
    "also text the database cannot store (NUL, lone surrogates) anywhere in the request.",
    "401": "No API key (and no session), or an unknown, revoked or expired key.",
    "406": "The Accept header asks for a type the endpoint cannot answer in.",
    "429": "Rate limit of the API key reached; retry after `Retry-After` seconds.",
    "503": "The database is unavailable for a moment; retry after `Retry-After` seconds.",
}
WITH_PATH_ERRORS = {"404": "Nothing has this number (or the caller may not see it)."}
BODY_ERRORS = {
    "403": "The caller may not use this endpoint (or a session without its CSRF token).",
    "413": "The body is larger than the server accepts.",
    "415": "The body is not JSON (`Content-Type: application/json`).",
}

# Views whose body has no required field of its own but must be there (one of two shapes, a
# method body, the numbers).
REQUIRED_BODIES = {
    "PledgeStatusBulkApi",
    "QualityPreviewApi",
    "SearchCertificateCreateApi",
    "ValuationPreviewApi",
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema of each view, plus the idempotency header on every POST, the
    error answers every endpoint shares, status enums and closed hand-parsed bodies."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method in idempotency.METHODS:
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER, REPLAYED_HEADER]
        return parameters

    def map_parsers(self):
        # The API speaks JSON; DRF's form parsers are on by default but not part of the contract.
        parsers = super().map_parsers()
        return ["application/json"] if "application/json" in parsers else parsers

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        parent = type(field.parent).__name__ if field.parent is not None else None
        if isinstance(field, ListField) and not field.allow_empty and "minItems" not in schema:
            schema = {**schema, "minItems": 1}
        if field.field_name != "status" or parent not in STATUS_ENUMS or "$ref" in schema:
            return schema
        name, values = STATUS_ENUMS[parent]
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=name,
            schema={"type": "string", "enum": values},
        )
        self.registry.register_on_missing(component)
        if "description" in schema:
            return {"allOf": [component.ref], "description": schema["description"]}
        return component.ref

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, ClosedBodySerializer):
            schema["additionalProperties"] = False
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return operation
        error = self.resolve_serializer(ErrorSerializer, "response")
        responses = operation.setdefault("responses", {})
        shared = dict(COMMON_ERRORS)
        if "{" in path or self.view.__class__.__name__ == "AssetListApi":
            shared.update(WITH_PATH_ERRORS)  # the list: an invalid cursor is a 404
        if method.upper() in idempotency.METHODS:
            shared.update(BODY_ERRORS)
        for code, description in shared.items():
            responses.setdefault(
                code,
                {
                    "description": description,
                    "content": {"application/json": {"schema": error.ref}},
                },
            )
        if "requestBody" in operation and type(self.view).__name__ in REQUIRED_BODIES:
            operation["requestBody"]["required"] = True
        if method.upper() not in idempotency.METHODS:
            return operation
        # Views declare their own answers; this one every POST shares.
        operation.setdefault("responses", {}).setdefault(
            "422",
            {
                "description": KEY_REUSED_DESCRIPTION,
                "content": {
                    "application/json": {
                        "schema": error.ref,
                        "examples": {
                            "IdempotencyKeyReused": {
                                "value": examples.KEY_REUSED_BODY,
                                "summary": "Same key, different body",
                            }
                        },
                    }
                },
            },
        )
        return operation


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Api-Key <prefix>.<secret>`: a key issued by the registry to an organisation "
                "(banks' systems). Requests are rate-limited per key (HTTP 429 with Retry-After)."
            ),
        }
