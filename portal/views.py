"""The enterprise portal: a holder's users apply for registration and follow their assets.

Thin views: reads go through `portal.selectors` (and `valuation.selectors`), every write
through `registry.services`. Access: login required; registrars are sent to the admin; other
users need the enterprise role and an organisation. Every asset lookup starts from the user's
organisation, so another organisation's asset is a 404 (never a 403 that would reveal it exists).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import selectors
from portal.forms import (
    AmendmentRequestForm,
    AssetApplicationForm,
    CancellationForm,
    ObjectionResponseForm,
    RenewalRequestForm,
    label_of,
)
from registry import services
from registry.choices import AssetStatus, Role
from registry.exceptions import IncompleteApplication, RegistryError
from registry.models import ChangeRequestKind, DataAsset
from registry.services.change_requests import change_request_file
from valuation.selectors import current_quality, latest_final_appraisal

SAVE = "save"
SUBMIT = "submit"


def enterprise_required(view):
    """Login required; registrars go to the admin; only enterprise users may use the portal."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if user.is_registrar:
            return redirect("admin:index")
        if user.role != Role.ENTERPRISE or user.organisation_id is None:
            raise PermissionDenied(_("The portal is for the users of data-holding organisations."))
        return view(request, *args, **kwargs)

    return wrapper


def _own_asset(request: HttpRequest, pk: int) -> DataAsset:
    queryset = selectors.organisation_assets(request.user.organisation_id).select_related("holder")
    return get_object_or_404(queryset, pk=pk)


def _message_of(exc: RegistryError) -> str:
    return str(exc.message)


def _carried_out(form, step) -> bool:
    """Run the service call `step()`; a refusal becomes the form's error. Whether it went
    through."""
    try:
        step()
    except ValidationError as exc:
        form.add_error(None, exc.messages)
    except RegistryError as exc:
        form.add_error(None, _message_of(exc))
    else:
        return True
    return False


# --- dashboard --------------------------------------------------------------------------------
@enterprise_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    assets = selectors.dashboard_assets(request.user.organisation_id)
    return render(
        request,
        "portal/dashboard.html",
        {"organisation": request.user.organisation, "assets": assets},
    )


# --- application form -------------------------------------------------------------------------
@enterprise_required
@require_http_methods(["GET", "POST"])
def asset_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_form(request, AssetApplicationForm(), asset=None)
    form = AssetApplicationForm(request.POST, request.FILES)
    return _save_application(request, form, asset=None)


@enterprise_required
@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _own_asset(request, pk)
    if not asset.is_editable:
        messages.error(
            request,
            _("Only a draft or a returned application can be edited; this asset is %(status)s.")
            % {"status": asset.get_status_display()},
        )
        return redirect("portal:asset-detail", pk=asset.pk)
    if request.method == "GET":
        return _render_form(request, AssetApplicationForm(instance=asset), asset=asset)
    # The form gets its own copy: validation writes the typed values onto its instance, and the
    # page must keep showing what is stored (name, files) if nothing is saved.
    form = AssetApplicationForm(request.POST, request.FILES, instance=_own_asset(request, pk))
    return _save_application(request, form, asset=asset)


def _render_form(
    request: HttpRequest,
    form: AssetApplicationForm,
    *,
    asset: DataAsset | None,
    gaps: list | None = None,
    draft_saved: bool = False,
) -> HttpResponse:
    return render(
        request,
        "portal/asset_form.html",
        {
            "form": form,
            "asset": asset,
            "gaps": gaps or [],
            "draft_saved": draft_saved,
            # Browsers cannot pre-fill a file input: say so when an upload was not kept.
            "files_dropped": form.is_bound and not draft_saved and form.uploaded_files(),
        },
    )


def _save_application(
    request: HttpRequest, form: AssetApplicationForm, *, asset: DataAsset | None
) -> HttpResponse:
    """Save the draft (create or update); with "save and submit", submit it too.

    The draft and the submission are two service calls, each atomic: a refused submission leaves
    the draft just saved, complete or not, and never a half-submitted application."""
    submit = request.POST.get("action") == SUBMIT
    if not form.is_valid():
        return _render_form(request, form, asset=asset)
    try:
        if asset is None:
            asset = services.asset_create(
                actor=request.user, holder=request.user.organisation, data=form.service_data()
            )
        else:
            asset = services.asset_update_draft(
                asset=asset, actor=request.user, data=form.service_data()
            )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_form(request, form, asset=asset)
    except RegistryError as exc:
        form.add_error(None, _message_of(exc))
        return _render_form(request, form, asset=asset)

    if not submit:
        messages.success(
            request,
            _("The draft is saved. It is not submitted yet: choose “Save and submit” when ready."),
        )
        return redirect("portal:asset-edit", pk=asset.pk)

    try:
        asset = services.asset_submit(asset=asset, actor=request.user)
    except IncompleteApplication as exc:
        gaps = form.add_gaps(exc.missing)
        return _render_form(request, form, asset=asset, gaps=gaps, draft_saved=True)
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_form(request, form, asset=asset, draft_saved=True)
    except RegistryError as exc:
        form.add_error(None, _message_of(exc))
        return _render_form(request, form, asset=asset, draft_saved=True)
    messages.success(
        request,
        _("The application is submitted under number %(number)s. Follow its review on this page.")
        % {"number": asset.application_number},
    )
    return redirect("portal:asset-detail", pk=asset.pk)


# --- asset detail and its actions ---------------------------------------------------------------
@enterprise_required
@require_GET
def asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _own_asset(request, pk))


def _render_detail(
    request: HttpRequest,
    asset: DataAsset,
    *,
    response_forms: dict[int, ObjectionResponseForm] | None = None,
    cancel_form: CancellationForm | None = None,
    amendment_form: AmendmentRequestForm | None = None,
    renewal_form: RenewalRequestForm | None = None,
) -> HttpResponse:
    response_forms = response_forms or {}
    open_objections = [
        (
            objection,
            response_forms.get(objection.pk)
            or ObjectionResponseForm(initial={"response": objection.applicant_response}),
        )
        for objection in selectors.asset_open_objections(asset)
    ]
    may_cancel = asset.status == AssetStatus.REGISTERED
    return render(
        request,
        "portal/asset_detail.html",
        {
            "asset": asset,
            "content": _content_rows(asset),
            "open_objections": open_objections,
            "resolved_objections": selectors.asset_resolved_objections(asset),
            "certificates": selectors.asset_certificates(asset),
            "pledges": selectors.asset_pledges(asset),
            "quality": current_quality(asset),
            "appraisal": latest_final_appraisal(asset),
            "timeline": selectors.asset_timeline(asset),
            "cancel_form": (cancel_form or CancellationForm()) if may_cancel else None,
            # A registered asset may be amended or renewed at the holder's request.
            "amendment_form": (amendment_form or AmendmentRequestForm()) if may_cancel else None,
            "renewal_form": (renewal_form or RenewalRequestForm()) if may_cancel else None,
            "change_requests": asset.change_requests.order_by("-requested_at", "-id"),
        },
    )


def _content_rows(asset: DataAsset) -> list[tuple[str, str, object]]:
    """The application content as (Chinese, English, value) rows for the detail page."""
    rows = []
    for name in AssetApplicationForm.Meta.fields:
        field = asset._meta.get_field(name)
        if field.choices:
            value = getattr(asset, f"get_{name}_display")()
        elif name in ("sample_file", "source_proof_file"):
            value = getattr(asset, name).name.rsplit("/", 1)[-1] if getattr(asset, name) else ""
        else:
            value = getattr(asset, name)
        rows.append((*label_of(name), value))
    return rows


@enterprise_required
@require_POST
def objection_respond(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    asset = _own_asset(request, pk)
    objection = get_object_or_404(asset.objections, pk=objection_pk)
    form = ObjectionResponseForm(request.POST)
    if form.is_valid() and _carried_out(
        form,
        lambda: services.objection_respond(
            objection=objection, actor=request.user, response=form.cleaned_data["response"]
        ),
    ):
        messages.success(request, _("Your response is recorded; the registrar will weigh it."))
        return redirect(reverse("portal:asset-detail", args=[asset.pk]) + "#objections")
    return _render_detail(request, asset, response_forms={objection.pk: form})


@enterprise_required
@require_POST
def asset_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _own_asset(request, pk)
    if asset.status != AssetStatus.REGISTERED:
        messages.error(
            request,
            _("Only a registered asset can be cancelled; this asset is %(status)s.")
            % {"status": asset.get_status_display()},
        )
        return redirect("portal:asset-detail", pk=asset.pk)
    form = CancellationForm(request.POST)
    # The enterprise cannot give the pledgees' consent: a pledged asset is refused here and the
    # registrar records the consent (registrar admin).
    if form.is_valid() and _carried_out(
        form,
        lambda: services.asset_cancel(
            asset=asset, actor=request.user, reason=form.cleaned_data["reason"]
        ),
    ):
        messages.success(request, _("The registration is cancelled and its certificate revoked."))
        return redirect("portal:asset-detail", pk=asset.pk)
    return _render_detail(request, asset, cancel_form=form)


@enterprise_required
@require_POST
def amendment_request(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _own_asset(request, pk)
    form = AmendmentRequestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            change_request_file(
                asset=asset,
                actor=request.user,
                kind=ChangeRequestKind.AMENDMENT,
                reason=data["reason"],
                proposed_changes={data["field"]: data["value"]},
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except RegistryError as exc:
            form.add_error(None, _message_of(exc))
        else:
            messages.success(request, _("Your amendment request is filed; the registrar decides."))
            return redirect(reverse("portal:asset-detail", args=[asset.pk]) + "#change-requests")
    return _render_detail(request, asset, amendment_form=form)


@enterprise_required
@require_POST
def renewal_request(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _own_asset(request, pk)
    form = RenewalRequestForm(request.POST)
    if form.is_valid() and _carried_out(
        form,
        lambda: change_request_file(
            asset=asset,
            actor=request.user,
            kind=ChangeRequestKind.RENEWAL,
            reason=form.cleaned_data["reason"],
        ),
    ):
        messages.success(request, _("Your renewal request is filed; the registrar decides."))
        return redirect(reverse("portal:asset-detail", args=[asset.pk]) + "#change-requests")
    return _render_detail(request, asset, renewal_form=form)


# --- password -----------------------------------------------------------------------------------
password_change = enterprise_required(
    auth_views.PasswordChangeView.as_view(
        template_name="portal/password_change.html",
        success_url=reverse_lazy("portal:password-change-done"),
    )
)
password_change_done = enterprise_required(
    auth_views.PasswordChangeDoneView.as_view(template_name="portal/password_change_done.html")
)
