"""Public pages (no login): home, the register's search and records, the publicity list with its
objection form, and the login page with its throttle.

GET pages carry `Cache-Control: private, max-age=60`: the layout (templates/base.html) shows the
signed-in user's name and a CSRF token in the language switch, so only the visitor's own browser
may keep a copy. Forms (objection, login) are never cached. POSTs are CSRF-protected by the
middleware; domain refusals are shown on the form, never as an error page.
"""

from __future__ import annotations

import math
import unicodedata

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_http_methods, require_safe

from core import clock
from public import selectors
from public.forms import AssetSearchForm, CertificateLookupForm, ObjectionForm
from public.throttling import (
    Throttle,
    client_ip,
    login_ip_throttle,
    login_username_throttle,
    objection_throttle,
)
from registry import services
from registry.exceptions import RegistryError
from registry.identifiers import IdentifierError, normalise_registration_number

PAGE_SIZE = 20
PUBLIC_MAX_AGE = 60  # seconds a visitor's browser may reuse a public page
# The session remembers the objection just filed, for the confirmation page (post/redirect/get).
FILED_SESSION_KEY = "public_objection_filed"

public_page = cache_control(private=True, max_age=PUBLIC_MAX_AGE)


def _too_many_requests(request, *, scope: str, message: str, throttle: Throttle, ident: str):
    retry_after = throttle.retry_after(ident)
    response = render(
        request,
        "public/too_many_requests.html",
        {"scope": scope, "message": message, "retry_minutes": math.ceil(retry_after / 60)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def _page(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# --- home and verification -------------------------------------------------------------------
def _home(request, form: CertificateLookupForm, *, status: int = 200):
    return render(
        request,
        "public/home.html",
        {"form": form, "publicity_days": settings.REGISTRY_PUBLICITY_WORKING_DAYS},
        status=status,
    )


@require_safe
@public_page
def home(request):
    return _home(request, CertificateLookupForm())


@require_safe
@public_page
def certificate_lookup(request):
    """The home page's verification box: to the certificate's verification page."""
    if "number" not in request.GET:
        return redirect("public-home")
    form = CertificateLookupForm(request.GET)
    if not form.is_valid():
        return _home(request, form, status=400)
    return redirect("certificate-verify", form.cleaned_data["number"])


# --- the public register ---------------------------------------------------------------------
@require_safe
@public_page
def asset_search(request):
    form = AssetSearchForm(request.GET)
    if form.is_valid():
        page = _page(request, selectors.public_asset_search(**_search_terms(form.cleaned_data)))
        page.object_list = selectors.with_certificates(page.object_list)
    else:
        page = None
    return render(request, "public/asset_search.html", {"form": form, "page_obj": page})


def _search_terms(data: dict) -> dict:
    return {"text": data["q"], "status": data["status"], "category": data["category"]}


@require_safe
@public_page
def asset_detail(request, number: str):
    try:
        canonical = normalise_registration_number(number)
    except IdentifierError as exc:
        return render(
            request, "public/asset_detail.html", {"number": number, "error": str(exc)}, status=404
        )
    if canonical != number:
        return redirect("public-asset-detail", canonical)
    asset = selectors.public_asset_by_number(canonical)
    if asset is None:
        error = _("No registered asset has the number %(number)s.") % {"number": canonical}
        return render(
            request,
            "public/asset_detail.html",
            {"number": canonical, "error": error},
            status=404,
        )
    return render(request, "public/asset_detail.html", {"number": canonical, "asset": asset})


# --- publicity and objections ----------------------------------------------------------------
@require_safe
@public_page
def publicity_list(request):
    page = _page(request, selectors.publicity_assets())
    return render(request, "public/publicity_list.html", {"page_obj": page, "today": clock.today()})


@never_cache
@require_http_methods(["GET", "POST"])
def objection_file(request, asset_id: int):
    """Anyone may object to an announced application; the service decides whether it still may
    be objected to (in publicity, within the period). Valid submissions are limited per IP."""
    asset = selectors.announced_asset(asset_id)
    if asset is None:
        raise Http404
    if request.method != "POST":
        form = ObjectionForm()
    else:
        throttle, ip = objection_throttle(), client_ip(request)
        if throttle.blocked(ip):
            return _objections_throttled(request, throttle, ip)
        form = ObjectionForm(request.POST, request.FILES)
        if form.is_valid():
            if throttle.hit(ip) > throttle.limit:
                return _objections_throttled(request, throttle, ip)
            try:
                objection = services.objection_file(
                    asset=asset,
                    objector_name=form.cleaned_data["objector_name"],
                    objector_contact=form.cleaned_data["objector_contact"],
                    reasons=form.cleaned_data["reasons"],
                    evidence=form.cleaned_data["evidence"],
                    actor=request.user if request.user.is_authenticated else None,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except RegistryError as exc:
                form.add_error(None, exc.message)
            else:
                request.session[FILED_SESSION_KEY] = objection.pk
                return redirect("public-objection-filed", asset.pk)
    return render(
        request,
        "public/objection_form.html",
        {"asset": asset, "form": form, "open": selectors.open_to_objection(asset)},
    )


def _objections_throttled(request, throttle: Throttle, ip: str):
    message = _(
        "Too many objections have been sent from your network address: at most %(limit)s an "
        "hour. Please try again later."
    ) % {"limit": throttle.limit}
    return _too_many_requests(
        request, scope="objection", message=message, throttle=throttle, ident=ip
    )


@never_cache
@require_safe
def objection_filed(request, asset_id: int):
    """Confirmation of the objection this visitor's session just filed."""
    objection_id = request.session.get(FILED_SESSION_KEY)
    objection = (
        selectors.filed_objection(objection_id=objection_id, asset_id=asset_id)
        if isinstance(objection_id, int)
        else None
    )
    if objection is None:
        return redirect("public-objection-file", asset_id)
    return render(request, "public/objection_filed.html", {"objection": objection})


# --- login -----------------------------------------------------------------------------------
class ThrottledLoginView(LoginView):
    """Django's login, refusing attempts (429) once 5 failed within the window for the username
    or for the client's IP. Each attempt is counted before the password is checked, so parallel
    guesses cannot overshoot the limit; a successful one is given back to the IP's counter and
    clears the username's. The IP's failures are not cleared by a success: otherwise signing in
    to one's own account between guesses would reset the count."""

    def post(self, request, *args, **kwargs):
        username = self._username_key(request.POST.get("username", ""))
        ip = client_ip(request)
        throttles = [(login_ip_throttle(), ip)]
        if username:
            throttles.append((login_username_throttle(), username))
        for throttle, ident in throttles:
            if throttle.blocked(ident):
                return self._throttled(throttle, ident)
        over = [
            (throttle, ident)
            for throttle, ident in throttles
            if throttle.hit(ident) > throttle.limit
        ]
        if over:
            return self._throttled(*over[0])
        self._attempt = {"ip": ip, "username": username}
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        login_ip_throttle().undo(self._attempt["ip"])
        if self._attempt["username"]:
            login_username_throttle().reset(self._attempt["username"])
        return super().form_valid(form)

    @staticmethod
    def _username_key(username: str) -> str:
        # Normalised as the form does (NFKC), then case-folded: "Alice" and "alice" share a
        # counter (stricter, never looser).
        return unicodedata.normalize("NFKC", username).strip().casefold()

    def _throttled(self, throttle: Throttle, ident: str):
        message = _(
            "Too many failed sign-in attempts. Sign-in is paused for this account or network "
            "address; please try again in %(minutes)s minutes."
        ) % {"minutes": math.ceil(throttle.retry_after(ident) / 60)}
        return _too_many_requests(
            self.request, scope="login", message=message, throttle=throttle, ident=ident
        )
