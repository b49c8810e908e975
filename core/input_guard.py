"""Input the database cannot store is refused before any query runs.

Two kinds of text reach Python intact but not the database: the NUL character (PostgreSQL text,
varchar and jsonb refuse it: `DataError`) and lone surrogates, U+D800 to U+DFFF (they have no
UTF-8 form, so the driver fails to encode them: `UnicodeEncodeError`, which is not even a
database error). SQLite stores both, so the same request would behave differently on the two
databases. What arrives where (Django 6.1, checked):

- query strings and urlencoded or multipart form fields are percent-decoded with replacement,
  so `%ED%A0%80` becomes three U+FFFD (harmless) but `%00` becomes NUL;
- path segments: `%00` becomes NUL; a broken UTF-8 sequence is percent-encoded again
  (`%ED%A0%80` arrives as those nine characters);
- JSON bodies carry both as escapes (`"\\u0000"`, `"\\ud800"`), in values and in keys, at any
  depth.

Form fields (`CharField`) already refuse NUL, but much input never passes through one: query
parameters a view reads itself, filters, path segments, admin search and lookups, a sign-in
username that names a throttle counter. So the check is made once per request, on everything,
instead of field by field:

- `unstorable_input_errors()` walks names and values (nested dicts and lists too) and names each
  bad one by its dotted path, with the messages Django's and DRF's own validators use;
- `UnstorableInputMiddleware` answers 400 for the HTML faces (portal, public pages, admin) before
  the view runs; the session cookie is checked too (Django looks it up in the session table).
  Views that check their input themselves (the API, which must answer in its JSON envelope and
  log the read) say so with a `guards_unstorable_input` attribute on the view function or its
  class, and are left to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.html import escape
from django.utils.translation import gettext, gettext_lazy

# The messages of Django's ProhibitNullCharactersValidator and DRF's
# ProhibitSurrogateCharactersValidator (same msgids, so their translations apply).
NULL_MESSAGE = gettext_lazy("Null characters are not allowed.")
SURROGATE_MESSAGE = gettext_lazy("Surrogate characters are not allowed: U+{code_point:X}.")

# Marks a view (function, or class of a class-based view) that refuses such input itself.
GUARD_ATTRIBUTE = "guards_unstorable_input"

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def unstorable_text_error(text: str) -> str | None:
    """Why `text` cannot be stored (NUL or a lone surrogate), or None when it can."""
    if "\x00" in text:
        return str(NULL_MESSAGE)
    if text.isascii():
        return None
    for character in text:
        if 0xD800 <= ord(character) <= 0xDFFF:
            return str(SURROGATE_MESSAGE).format(code_point=ord(character))
    return None


def printable(text: str) -> str:
    """`text` with NUL and lone surrogates written as escapes (`\\x00`, `\\ud800`): storable,
    and still telling what was sent."""
    if unstorable_text_error(text) is None:
        return text
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def storable(value: Any) -> Any:
    """`value` (JSON-like: dicts, lists, strings, scalars) with every string made `printable`
    (names too) and NaN or infinity written as text (PostgreSQL's jsonb has no such number)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Mapping):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


def unstorable_input_errors(items: Iterable[tuple[Any, Any]]) -> dict[str, list[str]]:
    """{dotted path: [message]} for every name or value in `items` (pairs of name and value;
    values may be nested dicts and lists, and uploaded files, whose names are checked) that
    contains NUL or a lone surrogate. Empty when everything can be stored."""
    errors: dict[str, list[str]] = {}

    def walk(path: str, value: Any) -> None:
        if isinstance(value, str):
            message = unstorable_text_error(value)
            if message:
                errors.setdefault(path, []).append(message)
        elif isinstance(value, Mapping):
            for key, item in value.items():
                visit(path, key, item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(f"{path}.{index}" if path else str(index), item)
        elif isinstance(getattr(value, "name", None), str):  # an uploaded file
            walk(path, value.name)

    def visit(prefix: str, key: Any, value: Any) -> None:
        name = str(key)
        path = f"{prefix}.{printable(name)}" if prefix else printable(name) or "body"
        message = unstorable_text_error(name)
        if message:
            errors.setdefault(path, []).append(message)
        walk(path, value)

    for key, value in items:
        visit("", key, value)
    return errors


def multi_items(data: Any) -> list[tuple[str, Any]]:
    """(name, value) pairs of a QueryDict / MultiValueDict with every value of each name (a
    value list of one is unwrapped, so paths read `q`, not `q.0`)."""
    return [(key, values[0] if len(values) == 1 else values) for key, values in data.lists()]


def request_input_errors(
    request: HttpRequest,
    view_args: Iterable[Any] = (),
    view_kwargs: Mapping[str, Any] | None = None,
) -> dict[str, list[str]]:
    """Unstorable characters anywhere in what a Django view reads of `request`: the path's
    captured segments, the query string, form fields (with uploaded files' names) and the
    session cookie, whose value Django looks up in the session table (a quoted cookie may carry
    an octal escape such as \\000)."""
    items: list[tuple[Any, Any]] = [*(view_kwargs or {}).items()]
    items += [(f"path.{index}", value) for index, value in enumerate(view_args)]
    items += multi_items(request.GET)
    if request.content_type in _FORM_TYPES:
        items += multi_items(request.POST)
        items += multi_items(request.FILES)
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session_key is not None:
        items.append(("cookies", {settings.SESSION_COOKIE_NAME: session_key}))
    return unstorable_input_errors(items)


def guards_own_input(view: Callable) -> bool:
    view_class = getattr(view, "cls", None) or getattr(view, "view_class", None)
    return bool(
        getattr(view, GUARD_ATTRIBUTE, False) or getattr(view_class, GUARD_ATTRIBUTE, False)
    )


def unstorable_input_response(errors: Mapping[str, list[str]]) -> HttpResponse:
    """The HTML faces' answer: 400, naming each refused field."""
    title = gettext("The request contains characters that cannot be stored")
    items = "".join(
        f"<li><code>{escape(field)}</code>: {escape(' '.join(messages))}</li>"
        for field, messages in errors.items()
    )
    return HttpResponseBadRequest(
        '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">'
        f"<title>400 · {escape(title)}</title></head><body>"
        f"<h1>请求含有无法保存的字符 · {escape(title)}</h1><ul>{items}</ul></body></html>",
        content_type="text/html; charset=utf-8",
    )


class UnstorableInputMiddleware:
    """400 for a request whose path segments, query string or form fields hold NUL or a lone
    surrogate, before its view (and so any query) runs; views that guard their own input (the
    API) are left to do so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable,
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if guards_own_input(view_func):
            return None
        errors = request_input_errors(request, view_args, view_kwargs)
        if errors:
            return unstorable_input_response(errors)
        return None
