"""API permissions by kind of caller: registrars (signed in), API-key clients, the public."""

from rest_framework.permissions import BasePermission

from api.authentication import ApiClient


class IsRegistrarOrApiClient(BasePermission):
    """Signed-in registrars and organisations' systems (API keys); not enterprise sessions."""

    message = "Only registrars and API-key clients may use this endpoint."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return isinstance(user, ApiClient) or bool(getattr(user, "is_registrar", False))
