"""The API read log's one writer, and the view mixin that calls it once per request.

Reads are not state changes, so they are not journaled; but the registry must be able to say which
bank consulted what and when (domain.md section 6). One INSERT per request of an API-key client,
written without the ORM's per-save overhead (see `api_read_log_record`).
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.permissions import SAFE_METHODS

from api.authentication import ApiClient
from registry.models import ApiReadLog

MAX_PATH = 500
MAX_VALUE = 200  # characters kept of one query value

# The columns written, in order. The row is inserted by hand (one parameterised INSERT, values
# prepared by the model's own fields, so JSON, times and the like are stored as the ORM stores
# them) rather than through `Model.save()`, which costs more than the read it records.
_FIELDS = tuple(
    ApiReadLog._meta.get_field(name)
    for name in (
        "organisation",
        "organisation_label",
        "key_prefix",
        "method",
        "path",
        "query",
        "status_code",
        "requested_at",
    )
)
_INSERTS: dict[tuple[str, str], tuple[str, bool]] = {}  # (alias, vendor) -> (sql, returns pk)


def _insert_sql(connection) -> tuple[str, bool]:
    key = (connection.alias, connection.vendor)
    if key not in _INSERTS:
        quote = connection.ops.quote_name
        meta = ApiReadLog._meta
        sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(meta.db_table),
            ", ".join(quote(field.column) for field in _FIELDS),
            ", ".join(["%s"] * len(_FIELDS)),
        )
        returning = connection.features.can_return_columns_from_insert
        if returning:
            sql += " RETURNING " + quote(meta.pk.column)
        _INSERTS[key] = (sql, returning)
    return _INSERTS[key]


def _clip(value: Any) -> Any:
    if isinstance(value, str):
        return value[:MAX_VALUE]
    if isinstance(value, list):
        return [_clip(item) for item in value]
    return value


def api_read_log_record(
    *, client: ApiClient, method: str, path: str, query: dict[str, Any], status_code: int
) -> ApiReadLog:
    """Record one read by an API-key client: organisation, key prefix, request and answer
    (one INSERT; the returned row is the one written)."""
    organisation = client.organisation
    values = (
        organisation.pk,
        f"{organisation.name} ({organisation.uscc})"[:300],
        client.key_prefix,
        method,
        path[:MAX_PATH],
        {key: _clip(value) for key, value in query.items()},
        status_code,
        timezone.now(),
    )
    alias = router.db_for_write(ApiReadLog)
    connection = connections[alias]
    sql, returning = _insert_sql(connection)
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(_FIELDS, values, strict=True)
    ]
    with transaction.mark_for_rollback_on_error(alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            pk = cursor.fetchone()[0]
        else:
            pk = connection.ops.last_insert_id(
                cursor, ApiReadLog._meta.db_table, ApiReadLog._meta.pk.column
            )
    row = ApiReadLog(
        pk=pk, **{field.attname: value for field, value in zip(_FIELDS, values, strict=True)}
    )
    row._state.adding = False
    row._state.db = alias
    return row


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
