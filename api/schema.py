"""How the OpenAPI document describes the API beyond what views declare: the API-key
authentication scheme, and on every POST the `Idempotency-Key` header (`api.idempotency`)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from api import examples, idempotency
from api.serializers import ErrorSerializer

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


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema of each view, plus the idempotency header on every POST."""

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method in idempotency.METHODS:
            parameters = [*parameters, IDEMPOTENCY_KEY_PARAMETER, REPLAYED_HEADER]
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None or method.upper() not in idempotency.METHODS:
            return operation
        # Views declare their own answers; this one every POST shares.
        error = self.resolve_serializer(ErrorSerializer, "response")
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
