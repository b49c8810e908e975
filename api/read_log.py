"""The API read log's one writer, and the view mixin that calls it once per request.

Reads are not state changes, so they are not journaled; but the registry must be able to say which
bank consulted what and when (domain.md section 6). One INSERT per request of an API-key client,
written without the ORM's per-save overhead (see `api_read_log_record`).

Every read made with an API key is logged, whatever its outcome: answered, refused (400 for bad
input, 403, 404, 429; 401 for an authentic key that is revoked or expired, whose organisation is
known), or failed (a database error answered 5xx by `api.errors`, or an unexpected exception,
logged as 500 before Django's error page). Three things make that hold:

- what is logged is made storable first: NUL and lone surrogates (the input a refused read was
  refused for) are written as escapes, so the row itself cannot fail for them;
- after a database error the row is written in a fresh state: reads run outside any request
  transaction, and a connection the error left unusable is closed and reopened;
- if even that fails, the read goes to the Python logger (`api.read_log`, ERROR, with every
  column) and the answer stands: a log that cannot be written never turns into an error page.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.db import Error as DatabaseError
from django.db import connections, router, transaction
from django.utils import timezone
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import APIException
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from api.authentication import KEYWORD, ApiClient
from api.errors import UnstorableInputGuard
from core.input_guard import printable, storable, unstorable_text_error
from registry.models import ApiReadLog, OrganisationAPIKey

logger = logging.getLogger(__name__)

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


def _storable_summary(query: dict[str, Any]) -> dict[str, Any]:
    return {printable(str(key))[:MAX_VALUE]: _clip(storable(value)) for key, value in query.items()}


def _fresh_connection(alias: str):
    """The connection to write on. After a database error outside a transaction (these views
    run outside the request's), a connection left unusable (terminated, server restarted) is
    closed, so the INSERT opens a new one instead of failing on the dead one."""
    connection = connections[alias]
    if connection.errors_occurred and not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
    return connection


def api_read_log_record(
    *, client: ApiClient, method: str, path: str, query: dict[str, Any], status_code: int
) -> ApiReadLog:
    """Record one read by an API-key client: organisation, key prefix, request and answer
    (one INSERT; the returned row is the one written). Raises if the row cannot be written
    (`ReadLogMixin` then tells the Python logger)."""
    organisation = client.organisation
    values = (
        organisation.pk,
        f"{organisation.name} ({organisation.uscc})"[:300],
        client.key_prefix,
        method,
        printable(path)[:MAX_PATH],
        _storable_summary(query),
        status_code,
        timezone.now(),
    )
    alias = router.db_for_write(ApiReadLog)
    connection = _fresh_connection(alias)
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


def _caller(request) -> ApiClient | None:
    """The API-key client of the request, or None (a session, no key, or a key not accepted)."""
    try:
        user = request.user
    except APIException:  # authentication had not run yet (e.g. a 406) and fails now
        return None
    except DatabaseError:  # the key could not be looked up (database unavailable)
        return None
    return user if isinstance(user, ApiClient) else None


def _sent_key(request) -> str:
    """The API key of the `Authorization` header as sent ("" when there is none)."""
    header = get_authorization_header(request).decode("latin-1")
    scheme, _sep, key = header.partition(" ")
    return key.strip() if scheme == KEYWORD else ""


def _refused_key_client(request) -> ApiClient | None:
    """For a 401: the client of an authentic key that was refused because it is revoked or has
    expired (the secret matches a stored key), else None. A wrong secret is not attributed to
    the organisation whose prefix it borrows: nothing was read on its behalf."""
    key = _sent_key(request)
    prefix = key.partition(".")[0]
    if not prefix or unstorable_text_error(prefix):
        return None
    api_key = (
        OrganisationAPIKey.objects.select_related("organisation").filter(prefix=prefix).first()
    )
    if api_key is None or not api_key.is_valid(key):
        return None
    return ApiClient(organisation=api_key.organisation, key_prefix=api_key.prefix)


def _request_transaction() -> contextlib.ExitStack:
    """What ATOMIC_REQUESTS gives a view: one transaction per database that asks for it."""
    stack = contextlib.ExitStack()
    for alias in connections:
        if connections.settings[alias].get("ATOMIC_REQUESTS"):
            stack.enter_context(transaction.atomic(using=alias))
    return stack


class ReadLogMixin(UnstorableInputGuard):
    """For API views whose requests are reads: logs each one made with an API key, whatever the
    answer (200, 400, 404, 429, 503...) or an exception DRF does not answer (500), once the
    request is over: from `dispatch`, outside any transaction the request opened (a key's POST
    runs in one, `api.base.IdempotentPosts`), so that a rolled-back request still leaves its row.
    Refuses unstorable input first (`api.errors.UnstorableInputGuard`)."""

    # A read sent as POST (a bulk look-up) sets this.
    logs_unsafe_methods = False

    @classmethod
    def as_view(cls, **initkwargs):
        # Under ATOMIC_REQUESTS, DRF rolls the request's transaction back when it answers an error,
        # which would erase the log row of a refused read. Reads run outside the request
        # transaction (a write in them goes through a service, atomic on its own); `dispatch`
        # gives the other methods theirs back.
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    def logs_method(self, method: str) -> bool:
        """Whether a request with this method is a read (logged): GET, HEAD, OPTIONS, and POST
        where the view says so. PUT, DELETE... read nothing (405)."""
        return method in SAFE_METHODS or (method == "POST" and self.logs_unsafe_methods)

    def get_exception_handler(self):
        handler = super().get_exception_handler()

        def handle_keeping_transaction(exc, context):
            # DRF's handler marks an enclosing transaction for rollback on every error (meant for
            # ATOMIC_REQUESTS). Reads write nothing themselves (services roll their own writes
            # back), so undo just that mark: otherwise, when a caller does wrap the request in a
            # transaction (tests do), the log row could not be written. Not after a database
            # error (that transaction is broken and must roll back), nor for a write.
            marks = {
                connection.alias: connection.needs_rollback
                for connection in connections.all(initialized_only=True)
                if connection.in_atomic_block
            }
            response = handler(exc, context)
            if not isinstance(exc, DatabaseError) and self.logs_method(self.request.method):
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

    def dispatch(self, request, *args, **kwargs):
        if not self.logs_method(request.method):
            return self._dispatch_write(request, *args, **kwargs)
        try:
            response = super().dispatch(request, *args, **kwargs)
        except Exception:
            # Not answered by the API's handler: Django's 500 page follows; the read is logged.
            self.log_read(self.request, 500)
            raise
        self.log_read(self.request, response.status_code)
        return response

    def _dispatch_write(self, request, *args, **kwargs):
        """A write on a read endpoint (filing a pledge on `pledges/`) runs in the request
        transaction ATOMIC_REQUESTS would have given it: a database error after its service
        released its savepoint then rolls everything back, so a 5xx means nothing was done. When
        opening or committing that transaction fails (outside DRF's handling), the answer is
        still the envelope's, not Django's error page."""
        try:
            with _request_transaction():
                return super().dispatch(request, *args, **kwargs)
        except DatabaseError as exc:
            if not isinstance(self.request, Request):  # the transaction did not even open
                self.args, self.kwargs = args, kwargs
                self.request = self.initialize_request(request, *args, **kwargs)
                self.headers = self.default_response_headers
            response = self.handle_exception(exc)
            return self.finalize_response(self.request, response, *args, **kwargs)

    def log_read(self, request, status_code: int) -> None:
        """One read-log row for this read if an API key made it; never raises. A read whose
        key could not even be checked (the database down) goes to the logger with the key's
        prefix as sent."""
        alias = router.db_for_write(ApiReadLog)
        entry: dict[str, Any] = {"method": request.method, "status_code": status_code}
        client = None
        try:
            try:
                entry["query"] = self.read_log_summary(request)
            except APIException:  # a body that cannot be parsed (415): its summary is empty
                entry["query"] = {}
            _fresh_connection(alias)  # a key looked up again below needs a working one too
            client = _caller(request)
            if client is None and status_code == 401:
                client = _refused_key_client(request)
            if client is None:
                if status_code >= 500 and _sent_key(request):
                    raise RuntimeError("the API key could not be checked")
                return
            _record_with_one_retry(alias, {**entry, "path": request.path, "client": client})
        except Exception:
            logger.error(
                "API read not recorded in the read log: organisation=%s key=%s %s %s query=%r "
                "status=%s",
                client.organisation_id if client else None,
                client.key_prefix if client else printable(_sent_key(request).partition(".")[0]),
                request.method,
                printable(request.path),
                storable(entry.get("query")),
                status_code,
                exc_info=True,
            )


def _record_with_one_retry(alias: str, entry: dict[str, Any]) -> None:
    try:
        api_read_log_record(**entry)
    except DatabaseError:
        connection = connections[alias]
        if connection.in_atomic_block or connection.is_usable():
            raise  # not a lost connection: writing again would fail again
        connection.close()  # lost on the way (e.g. between the read and this row): reconnect
        api_read_log_record(**entry)
