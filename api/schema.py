"""How the OpenAPI document describes the registry's API-key authentication."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


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
