"""The API read log's one writer, and the view mixin that calls it once per request.

Reads are not state changes, so they are not journaled; but the registry must be able to say which
bank consulted what and when (domain.md section 6). One INSERT per request of an API-key client.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, transaction
from rest_framework.exceptions import APIException
from rest_framework.permissions import SAFE_METHODS

from registry.authentication import ApiClient
from registry.models import ApiReadLog

MAX_PATH = 500
MAX_VALUE = 200  # characters kept of one query value


def _clip(value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_VALUE]
    if isinstance(value, list):
        return [_clip(item) for item in value]
    return value


def api_read_log_record(
    *, client: ApiClient, method: str, path: str, query: dict[str, Any], status_code: int
) -> ApiReadLog:
    """Record one read by an API-key client: organisation, key prefix, request and answer."""
    organisation = client.organisation
    return ApiReadLog.objects.create(
        organisation_id=organisation.pk,
        organisation_label=f"{organisation.name} ({organisation.uscc})"[:300],
        key_prefix=client.key_prefix,
        method=method,
        path=path[:MAX_PATH],
        query={key: _clip(value) for key, value in query.items()},
        status_code=status_code,
    )


def _caller(request) -> Any:
    try:
        return request.user
    except APIException:  # authentication had not run yet (e.g. a 406) and fails now
        return None


class ReadLogMixin:
    """For API views whose requests are reads: logs each one made with an API key, whatever the
    answer (200, 400, 404, 429...), from `finalize_response`, which DRF calls for every outcome."""

    # A read sent as POST (a bulk look-up) sets this.
    logs_unsafe_methods = False

    @classmethod
    def as_view(cls, **initkwargs):
        # Under ATOMIC_REQUESTS, DRF rolls the request's transaction back when it answers an error,
        # which would erase the log row of a refused read. These views only read (a write in them
        # goes through a service, atomic on its own), so they run outside the request transaction.
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    def get_exception_handler(self):
        handler = super().get_exception_handler()

        def handle_keeping_transaction(exc, context):
            # DRF's handler marks an enclosing transaction for rollback on every error (meant for
            # ATOMIC_REQUESTS). These views write nothing themselves (services roll their own
            # writes back), so undo just that mark: otherwise, when a caller does wrap the request
            # in a transaction (tests do), the log row below could not be written.
            marks = {
                connection.alias: connection.needs_rollback
                for connection in connections.all(initialized_only=True)
                if connection.in_atomic_block
            }
            response = handler(exc, context)
            for alias, mark in marks.items():
                connections[alias].set_rollback(mark)
            return response

        return handle_keeping_transaction

    def read_log_summary(self, request) -> dict[str, Any]:
        """What was asked: the query parameters (views override to summarise a body)."""
        return {
            key: values if len(values) > 1 else values[0]
            for key, values in request.query_params.lists()
        }

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        client = _caller(request)
        if isinstance(client, ApiClient) and (
            request.method in SAFE_METHODS or self.logs_unsafe_methods
        ):
            api_read_log_record(
                client=client,
                method=request.method,
                path=request.path,
                query=self.read_log_summary(request),
                status_code=response.status_code,
            )
        return response
