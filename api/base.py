"""The one base of every API endpoint: who may call it, how often, and whether the call is logged.

- `ApiPolicy` sets authentication (the settings' defaults: API key first, then session), the
  permission (authenticated unless a view says otherwise) and the rate limit per API key, user or
  address (`api.throttling`). A view that forgets its throttle cannot exist: tests walk the URLconf
  and check every API view derives from `ApiPolicy` and keeps `ApiKeyRateThrottle`.
- `ReadApi` adds the read log (`api.read_log`): every read made with an API key is recorded,
  whatever the answer.
- `WriteApi`: pledge writes, for API-key clients and registrars; the service decides the rest.
"""

from __future__ import annotations

from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api.permissions import IsRegistrarOrApiClient
from api.read_log import ReadLogMixin
from api.throttling import ApiKeyRateThrottle


class ApiPolicy:
    permission_classes: list[type] = [IsAuthenticated]
    throttle_classes: list[type] = [ApiKeyRateThrottle]


class BaseApi(ApiPolicy, APIView):
    """An endpoint that reads nothing of the register (previews compute only)."""


class ReadApi(ReadLogMixin, ApiPolicy, APIView):
    """An endpoint that reads the register: logged when called with an API key."""


class WriteApi(ApiPolicy, APIView):
    permission_classes = [IsRegistrarOrApiClient]
