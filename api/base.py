"""The one base of every API endpoint: who may call it, how often, whether the call is logged,
and what a repeated POST gets.

- `ApiPolicy` sets authentication (the settings' defaults: API key first, then session), the
  permission (authenticated unless a view says otherwise) and the rate limit per API key, user or
  address (`api.throttling`). A view that forgets its throttle cannot exist: tests walk the URLconf
  and check every API view derives from `ApiPolicy` and keeps `ApiKeyRateThrottle`.
- Through `ApiPolicy`, every POST honours an `Idempotency-Key` header (`IdempotentPosts`, rules in
  `api.idempotency`) and the schema documents it (`api.schema.ApiAutoSchema`).
- `ReadApi` adds the read log (`api.read_log`): every read made with an API key is recorded,
  whatever the answer.
- `WriteApi`: pledge writes, for API-key clients and registrars; the service decides the rest.
- Through `ApiPolicy`, input the database cannot store (NUL, lone surrogates) is a 400 naming the
  field, before the view or the idempotency key touches the database (`api.errors`).
"""

from __future__ import annotations

from django.db import Error as DatabaseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from api import idempotency
from api.errors import UnstorableInputGuard
from api.permissions import IsRegistrarOrApiClient
from api.read_log import ReadLogMixin
from api.schema import ApiAutoSchema
from api.throttling import ApiKeyRateThrottle


class IdempotentPosts:
    """DRF's request cycle with an idempotency key (`api.idempotency`): the key is claimed after
    authentication, permission and rate limit (a refused caller learns nothing about keys), a
    stored answer is replayed instead of running the view, and a success is stored and committed
    in `finalize_response`. The key's transaction ends there (or, for an exception DRF does not
    answer, in `handle_exception`), so what runs after the view, the read log's row above all,
    is written outside it and survives its rollback."""

    keyed_request: idempotency.KeyedRequest | None = None

    def dispatch(self, request, *args, **kwargs):
        self.keyed_request = None
        try:
            response = super().dispatch(request, *args, **kwargs)
        except BaseException as exc:
            self._end_keyed_request(exc)  # an exception DRF did not answer: roll back
            raise
        self._end_keyed_request()  # normally ended in finalize_response already
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = idempotency.request_key(request)  # 400 for a malformed key
        owner = idempotency.owner_of(request.user) if key is not None else None
        if key is None or owner is None:
            return  # no key, or an anonymous caller: nothing to remember it by
        self.keyed_request = idempotency.KeyedRequest(
            owner=owner,
            key=key,
            method=request.method,
            path=request.path,
            body_sha256=idempotency.body_sha256(request.data),
        )
        # Views outside ATOMIC_REQUESTS (the ReadLogMixin ones, pledge filing among them) get a
        # transaction of their own here; without it their service committed on its own, before
        # the answer was stored, and a 5xx after that commit was a double filing on retry.
        self.keyed_request.begin()  # raises Replay, 422 or 409

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            return exc.response
        try:
            return super().handle_exception(exc)
        except BaseException as error:
            self._end_keyed_request(error)  # before ReadLogMixin logs the 500
            raise

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        keyed, self.keyed_request = self.keyed_request, None
        if keyed is None or keyed.ended:
            return response
        try:
            keyed.finish(response)
        except DatabaseError as exc:
            # Storing the answer or committing failed: the request committed entirely or not at
            # all, which is what the key is for. Answer as for any database error; a retry with
            # the key then gets the stored answer, or runs.
            response = super().finalize_response(
                request, self.handle_exception(exc), *args, **kwargs
            )
        return response

    def _end_keyed_request(self, exc: BaseException | None = None) -> None:
        if self.keyed_request is not None:
            self.keyed_request.end(exc)


class ApiPolicy(IdempotentPosts, UnstorableInputGuard):
    permission_classes: list[type] = [IsAuthenticated]
    throttle_classes: list[type] = [ApiKeyRateThrottle]
    schema = ApiAutoSchema()


class BaseApi(ApiPolicy, APIView):
    """An endpoint that reads nothing of the register (previews compute only)."""


class ReadApi(ReadLogMixin, ApiPolicy, APIView):
    """An endpoint that reads the register: logged when called with an API key."""


class WriteApi(ApiPolicy, APIView):
    permission_classes = [IsRegistrarOrApiClient]
