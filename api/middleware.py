"""The API's error envelope for what fails outside DRF's own handling.

Under ATOMIC_REQUESTS Django opens the request's transaction before the view and commits it after
the view has answered: a database that refuses the connection, or a commit refused (a deferred
constraint, the connection lost at that moment), raises outside DRF, where Django would answer
with its HTML error page. The same holds for Django's request-size guards (too many fields or
files in a form body). This middleware answers those in the API's envelope, with the statuses
DRF's handler gives (api.errors)."""

from __future__ import annotations

from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError
from django.http import JsonResponse
from django.urls import reverse


def _is_api(request) -> bool:
    return request.path.startswith(reverse("api-asset-list").removesuffix("assets/"))


class ApiErrorEnvelopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _is_api(request):
            return None
        if isinstance(exception, DatabaseError):
            # Imported here: api.errors loads DRF, whose settings name api.errors' parser; the
            # middleware is built before that is possible.
            from api.errors import database_error_answer

            where = f"{request.method} {request.path}"
            status, body, headers = database_error_answer(exception, where)
        elif isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
            status, body, headers = 400, {"code": "invalid_input", "message": str(exception)}, {}
        else:
            return None
        return JsonResponse(
            body, status=status, headers=headers, json_dumps_params={"ensure_ascii": False}
        )
