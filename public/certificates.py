"""Public verification page and the holder's download of certificates.

The page follows the rule of `certificates.verification`: by number, that the document exists,
its kind, status and validity; the details with the document's verification code (`?code=`, as
the QR code links, or typed into the page's form), for an authorised user, or once the issued
PDF itself has been uploaded. A wrong code shows the page as no code does."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import render
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from certificates.forms import DocumentUploadForm
from certificates.models import CertificateKind
from certificates.numbers import CertificateNumberError, normalise_certificate_number
from certificates.selectors import certificate_by_number
from certificates.verification import (
    check_document,
    code_matches,
    may_see_details,
    verification_record,
)
from pledges.access import can_view_private


@require_http_methods(["GET", "POST"])
def verify(request, number: str):
    """Anyone may check a certificate number and upload a PDF to see if it is authentic."""
    try:
        canonical = normalise_certificate_number(number)
    except CertificateNumberError as exc:
        return render(
            request, "certificates/verify.html", {"number": number, "error": str(exc)}, status=404
        )
    certificate = certificate_by_number(canonical)
    if certificate is None:
        error = _("No certificate has the number %(number)s. Check the number on the document.")
        return render(
            request,
            "certificates/verify.html",
            {"number": canonical, "error": error % {"number": canonical}},
            status=404,
        )
    form = DocumentUploadForm(request.POST or None, request.FILES or None)
    check = None
    if request.method == "POST" and form.is_valid():
        check = check_document(certificate, form.cleaned_data["document"])
    code_given = code_matches(
        certificate, request.GET.get("code") or request.POST.get("code") or ""
    )
    disclose = (
        code_given
        or (check is not None and check.matches_issued)
        or may_see_details(request.user, certificate, can_view_asset=can_view_private)
    )
    response = render(
        request,
        "certificates/verify.html",
        {
            "number": canonical,
            "certificate": certificate,
            "record": verification_record(certificate, disclose=disclose),
            "disclosed": disclose,
            # Kept in the upload form only when right (a wrong one is not shown back).
            "code": certificate.verification_code if code_given else "",
            "form": form,
            "check": check,
        },
    )
    if disclose:
        response["Cache-Control"] = "private, no-store"  # the details stay with this caller
    return response


def _may_download(user, certificate) -> bool:
    if certificate.kind == CertificateKind.SEARCH:
        return getattr(user, "is_registrar", False) or (
            user.organisation_id is not None and user.organisation_id == certificate.requested_by_id
        )
    return certificate.asset is not None and can_view_private(user, certificate.asset)


@login_required
def download(request, number: str):
    """The PDF, for the holder's users, registrars (and pledgees): 404 for anyone else."""
    try:
        canonical = normalise_certificate_number(number)
    except CertificateNumberError as exc:
        raise Http404(str(exc)) from exc
    certificate = certificate_by_number(canonical)
    if certificate is None or not _may_download(request.user, certificate):
        raise Http404
    if not certificate.is_rendered:
        raise Http404(_("The document is being prepared; try again in a minute."))
    etag = quote_etag(certificate.document_sha256)
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponseNotModified(headers={"ETag": etag})
    response = FileResponse(
        certificate.document.open("rb"),
        as_attachment=True,
        filename=f"{certificate.number}.pdf",
        content_type="application/pdf",
    )
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response
