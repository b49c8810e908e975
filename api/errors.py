"""One JSON error shape for every API endpoint:

    {"code": "invalid_input", "message": "periods.2.income: must not be negative",
     "errors": {"periods.2.income": ["must not be negative"]}}

`code` is stable for programs, `message` is for people, `errors` names each field (dotted paths
into the request body). Domain errors map to HTTP statuses here, so views stay thin.

Database errors answer in the same envelope, with a 5xx only when the server is at fault:

- the database unavailable (`OperationalError`, `InterfaceError`: connection lost, server
  shutting down, statement timeout, deadlock; on SQLite only busy, locked, I/O and the like) is a
  503 `database_unavailable` with `Retry-After`;
- a value the database refused (`DataError`: out of range, too long, not representable) came
  from the client: 400 `invalid_input`;
- any other (`ProgrammingError`, `IntegrityError`, `InternalError`...) is a 500 `server_error`,
  logged with its traceback. Nothing of the request is kept: under ATOMIC_REQUESTS the request's
  transaction is rolled back, as for every error answered here.

A body larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` (Django's limit for form fields, 2.5 MB by
default; DRF's parsers do not apply it to JSON) is a 413 `request_too_large` before it is read,
and Django's own `RequestDataTooBig` (a multipart form's fields) answers the same. A method the
endpoint does not have is DRF's 405 `method_not_allowed`, also in this shape.

Input the database cannot store at all (NUL, lone surrogates) never gets that far:
`UnstorableInputGuard` refuses it as a 400 naming the field, once the caller is known (so a
refused read is still logged) and before the view runs any query.
"""

from __future__ import annotations

import logging
import sqlite3

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.db import Error as DatabaseError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.input_guard import multi_items, unstorable_input_errors
from registry.exceptions import (
    IncompleteApplication,
    InvalidTransition,
    NotPermitted,
    RegistryError,
    TransitionBlocked,
)
from valuation.methods.errors import CalculationInputError

logger = logging.getLogger(__name__)

# Seconds a client is told to wait when the database is unavailable (503).
DATABASE_RETRY_AFTER = 5

# SQLite reports a missing table or a syntax error as OperationalError too: only these primary
# result codes mean "unavailable for now" (https://sqlite.org/rescode.html).
_SQLITE_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_NOMEM,
    sqlite3.SQLITE_INTERRUPT,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL,
}


class RequestTooLarge(exceptions.APIException):
    """The request body exceeds DATA_UPLOAD_MAX_MEMORY_SIZE (413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int | None = None):
        limit = body_size_limit() if limit is None else limit
        super().__init__(
            _("The request body is larger than %(limit)s bytes.") % {"limit": limit}
            if limit is not None
            else _("The request body is too large.")
        )


def body_size_limit() -> int | None:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _content_length(request) -> int:
    meta = request.META
    try:
        return int(meta.get("CONTENT_LENGTH") or meta.get("HTTP_CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0


def check_body_size(request) -> None:
    """413 for a body above the limit, judged by its Content-Length before a byte is read.
    Multipart bodies carry files, whose size is for the upload's own rules; Django checks their
    other fields (RequestDataTooBig, answered as a 413 below)."""
    limit = body_size_limit()
    if limit is None or (request.content_type or "").startswith("multipart/form-data"):
        return
    if _content_length(request) > limit:
        raise RequestTooLarge(limit)


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → {"a.0.b": ["message", ...]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = str(key) if key != "non_field_errors" else ""
            path = f"{prefix}.{name}" if prefix and name else (prefix or name or "body")
            flat.update(_flatten(value, path))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "body": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "body": [str(detail)]}


def field_errors_response(errors: dict[str, list[str]], code: str = "invalid_input") -> Response:
    message = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
    return Response(
        {"code": code, "message": message, "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )


def exception_handler(exc, context):
    response = _handle(exc, context)
    if response is not None:
        # Like DRF's own handler: roll back the request's transaction (ATOMIC_REQUESTS).
        set_rollback()
    return response


def database_unavailable(exc: BaseException) -> bool:
    """Whether a database error means "the database cannot serve now, retry" (a 503) rather
    than a fault of the request or of the code."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_UNAVAILABLE
    return True  # PostgreSQL: connection, resources, operator intervention, lock and timeouts


def database_error_answer(exc: DatabaseError, where: str) -> tuple[int, dict, dict[str, str]]:
    """The status, body and headers of the answer to a database error in `where` (logged here):
    400 for a value the database refused, 503 with Retry-After while it is unavailable, else 500.
    Shared by DRF's handler and the middleware for errors outside DRF (api.middleware)."""
    if isinstance(exc, DataError):
        logger.warning("The database refused a value of %s: %s", where, exc, exc_info=exc)
        message = _(
            "A value of the request cannot be stored or compared by the database "
            "(out of range, too long or not representable)."
        )
        return status.HTTP_400_BAD_REQUEST, {"code": "invalid_input", "message": message}, {}
    if database_unavailable(exc):
        logger.warning("Database unavailable in %s: %s", where, exc, exc_info=exc)
        message = _(
            "The registry's database is unavailable for a moment. "
            "Please retry in %(seconds)s seconds."
        ) % {"seconds": DATABASE_RETRY_AFTER}
        return (
            status.HTTP_503_SERVICE_UNAVAILABLE,
            {"code": "database_unavailable", "message": message},
            {"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    logger.error("Database error in %s", where, exc_info=exc)
    message = _("The registry could not complete the request (a database error).")
    return status.HTTP_500_INTERNAL_SERVER_ERROR, {"code": "server_error", "message": message}, {}


def _database_error(exc: DatabaseError, context) -> Response:
    request = context.get("request")
    where = f"{request.method} {request.path}" if request is not None else "API request"
    code, body, headers = database_error_answer(exc, where)
    return Response(body, status=code, headers=headers)


def _handle(exc, context):
    if isinstance(exc, DatabaseError):
        return _database_error(exc, context)
    if isinstance(exc, CalculationInputError):
        return field_errors_response({exc.field: [exc.message]})
    if isinstance(exc, IncompleteApplication):
        return field_errors_response(
            {field: [message] for field, message in exc.missing.items()}, code=exc.code
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return field_errors_response(exc.message_dict)
        return field_errors_response({"body": exc.messages})
    if isinstance(exc, RegistryError):
        http = {
            NotPermitted: status.HTTP_403_FORBIDDEN,
            InvalidTransition: status.HTTP_409_CONFLICT,
            TransitionBlocked: status.HTTP_409_CONFLICT,
        }.get(type(exc), status.HTTP_400_BAD_REQUEST)
        return Response({"code": exc.code, "message": exc.message}, status=http)
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, exceptions.ParseError):
        return field_errors_response({"body": [str(exc.detail)]})
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return field_errors_response(_flatten(exc.detail))
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"code": code, "message": str(detail)}
    return response


def _body_items(data) -> list[tuple[str, object]]:
    if hasattr(data, "lists"):  # a form body (QueryDict, with uploaded files)
        return multi_items(data)
    if isinstance(data, dict):
        return list(data.items())
    if isinstance(data, list):
        return [(str(index), item) for index, item in enumerate(data)]
    return [("body", data)]


def request_unstorable_errors(request, args=(), kwargs=None) -> dict[str, list[str]]:
    """NUL and lone surrogates in a DRF request: its path segments (by their URL names), query
    parameters and, for methods that carry one, its parsed body (JSON at any depth, form fields
    and uploaded files' names). Dotted paths as in the rest of the envelope."""
    items: list[tuple[object, object]] = [*(kwargs or {}).items()]
    items += [(f"path.{index}", value) for index, value in enumerate(args)]
    items += multi_items(request.query_params)
    if request.method not in SAFE_METHODS:
        items += _body_items(request.data)
    return unstorable_input_errors(items)


class UnstorableInputGuard:
    """For API views: refuse NUL and lone surrogates anywhere in the input with a 400 naming the
    field, after authentication, permissions and throttles (so the caller is known and a refused
    read is logged) and before the handler runs a query. `core.input_guard`'s middleware leaves
    views with this mark to it."""

    guards_unstorable_input = True  # core.input_guard.GUARD_ATTRIBUTE: the middleware steps aside

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        # DRF looks the handler up only after `initial`: a method the view lacks would have its
        # body parsed first (a 415 or 400 instead of the 405 it is).
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):  # type: ignore[attr-defined]
            raise exceptions.MethodNotAllowed(request.method)
        check_body_size(request)  # before the body is read, parsed or hashed
        errors = request_unstorable_errors(request, args, kwargs)
        if errors:
            raise exceptions.ValidationError(errors)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, turning pathological nesting (RecursionError) into a 400 too."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON nested too deeply.") from exc
