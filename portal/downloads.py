"""Downloads of uploaded files: samples, proofs of source, powers of attorney, objection evidence.

The only way to these files: `MEDIA_URL` is this view's prefix (config/settings_uploads.py), so
every link a stored file makes (`FieldFile.url`, the admin's links) comes here, and no static
route serves the media folder (config/urls.py). Certificates have their own view
(public/certificates.py).

Who gets what: an asset's sample, proof and power of attorney go to the users of its holder and
to registrars; objection evidence to registrars only (it is the objector's material and may name
them; the holder answers the reasons, which the portal shows). Anyone else, signed in or not, gets
a 404, also for a name no record holds: the answer never tells that a file exists.

Every answer is an attachment (`Content-Disposition: attachment`) of type
`application/octet-stream` with `X-Content-Type-Options: nosniff`: a browser saves the file and
never renders it on this origin, whatever it contains.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from registry.choices import Role
from registry.models import DataAsset, Objection

ASSET_FILE_FIELDS = ("sample_file", "source_proof_file", "power_of_attorney")


def _is_registrar(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and getattr(request.user, "is_registrar", False))


def _visible_assets(request: HttpRequest) -> QuerySet[DataAsset]:
    user = request.user
    if _is_registrar(request):
        return DataAsset.objects.all()
    if (
        user.is_authenticated
        and user.is_active
        and getattr(user, "role", None) == Role.ENTERPRISE
        and getattr(user, "organisation_id", None) is not None
    ):
        return DataAsset.objects.filter(holder_id=user.organisation_id)
    return DataAsset.objects.none()


def _find(request: HttpRequest, name: str) -> FieldFile | None:
    """The stored file of that name among the records the user may download from."""
    condition = Q()
    for field in ASSET_FILE_FIELDS:
        condition |= Q(**{field: name})
    asset = _visible_assets(request).filter(condition).order_by("pk").first()
    if asset is not None:
        for field in ASSET_FILE_FIELDS:
            file = getattr(asset, field)
            if file and file.name == name:
                return file
    if _is_registrar(request):
        objection = Objection.objects.filter(evidence=name).order_by("pk").first()
        if objection is not None:
            return objection.evidence
    return None


def attachment(file: FieldFile) -> FileResponse:
    try:
        handle = file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=PurePosixPath(file.name or "file").name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def stored_file(request: HttpRequest, name: str) -> FileResponse:
    file = _find(request, name) if name else None
    if file is None:
        raise Http404
    return attachment(file)
