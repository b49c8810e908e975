"""One JSON error shape for every API endpoint:

    {"code": "invalid_input", "message": "periods.2.income: must not be negative",
     "errors": {"periods.2.income": ["must not be negative"]}}

`code` is stable for programs, `message` is for people, `errors` names each field (dotted paths
into the request body). Domain errors map to HTTP statuses here, so views stay thin.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from registry.exceptions import (
    IncompleteApplication,
    InvalidTransition,
    NotPermitted,
    RegistryError,
    TransitionBlocked,
)
from valuation.methods.errors import CalculationInputError


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


def _handle(exc, context):
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


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, turning pathological nesting (RecursionError) into a 400 too."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON nested too deeply.") from exc
