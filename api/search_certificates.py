"""Search certificates (查询证明) over the API: a bank fixes what the register showed for a query,
at this moment, as a signed certificate it can retrieve later (domain.md section 6)."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse
from django.utils.http import quote_etag
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from api import schema_serializers as docs
from api import serializers as s
from api.base import ReadApi
from certificates.models import Certificate, CertificateKind
from certificates.numbers import CertificateNumberError, normalise_certificate_number
from certificates.services import certificate_issue_search
from core import clock
from pledges import selectors as pledge_selectors
from records import pledge_status
from registry.models import Organisation


class SearchCertificateInputSerializer(serializers.Serializer):
    """Exactly one of: registration numbers (as for the bulk pledge status), or a pledgor."""

    registration_numbers = s.BulkPledgeStatusInputSerializer().fields["registration_numbers"]
    pledgor = serializers.CharField(required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration_numbers"].required = False

    def validate(self, data):
        if ("registration_numbers" in data) == ("pledgor" in data):
            raise serializers.ValidationError(
                "Give either registration_numbers or pledgor, not both and not neither."
            )
        return data


def _requesting_organisation(user) -> Organisation:
    organisation = getattr(user, "organisation", None)
    if organisation is None:
        raise PermissionDenied("A search certificate is issued to an organisation.")
    return organisation


def _search_certificate(request, number: str) -> Certificate:
    try:
        canonical = normalise_certificate_number(number)
    except CertificateNumberError as exc:
        raise serializers.ValidationError({"number": [str(exc)]}) from exc
    certificate = Certificate.objects.filter(number=canonical, kind=CertificateKind.SEARCH).first()
    if certificate is None:
        raise NotFound(f"No search certificate has the number {canonical}.")
    user = request.user
    if not (
        getattr(user, "is_registrar", False)
        or getattr(user, "organisation_id", None) == certificate.requested_by_id
    ):
        raise NotFound(f"No search certificate has the number {canonical}.")
    return certificate


def _as_json(data) -> dict:
    """The serializer output as plain JSON values (what the certificate stores and prints)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _response(certificate: Certificate) -> dict:
    return {
        "number": certificate.number,
        "searched_at": certificate.data["searched_at"],
        "query": certificate.data["query"],
        "results": certificate.data["results"],
        "results_sha256": certificate.data["results_sha256"],
        "verification_url": certificate.data["verification_url"],
        "document_ready": certificate.is_rendered,
        "document_sha256": certificate.document_sha256 or None,
    }


class SearchCertificateCreateApi(ReadApi):
    """Run a search and fix its result as a search certificate (signed PDF and JSON)."""

    logs_unsafe_methods = True

    @extend_schema(
        tags=["search certificates"],
        request=docs.SEARCH_CERTIFICATE_REQUEST,
        responses={201: docs.SearchCertificateSerializer},
    )
    def post(self, request):
        body = SearchCertificateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        organisation = _requesting_organisation(request.user)
        as_of = clock.now()
        query = dict(body.validated_data)
        if "registration_numbers" in query:
            lookups = pledge_status.pledge_status_bulk(
                query["registration_numbers"], viewer=request.user, as_of=as_of
            )
            results = s.BulkPledgeStatusSerializer(
                {"as_of": as_of, "results": s.bulk_results(lookups)}
            ).data
        else:
            found = pledge_selectors.pledges_by_pledgor(query["pledgor"])
            results = s.PledgeSearchSerializer(
                {
                    "query": found.query,
                    "as_of": as_of,
                    "exact": found.exact,
                    "similar": found.similar,
                }
            ).data
        certificate = certificate_issue_search(
            requested_by=organisation, actor=request.user, query=query, results=_as_json(results)
        )
        # Rendering may already have happened on commit (immediate backend): say so truthfully.
        certificate.refresh_from_db()
        return Response(_response(certificate), status=status.HTTP_201_CREATED)


class SearchCertificateDetailApi(ReadApi):
    """A search certificate's query and results as fixed (the requesting organisation only)."""

    @extend_schema(
        tags=["search certificates"],
        responses={200: docs.SearchCertificateSerializer},
    )
    def get(self, request, number: str):
        return Response(_response(_search_certificate(request, number)))


class SearchCertificateDocumentApi(ReadApi):
    """The signed PDF of a search certificate (the requesting organisation only)."""

    @extend_schema(tags=["search certificates"], responses={(200, "application/pdf"): bytes})
    def get(self, request, number: str):
        certificate = _search_certificate(request, number)
        if not certificate.is_rendered:
            raise NotFound("The document is being prepared; try again in a minute.")
        response = FileResponse(
            certificate.document.open("rb"),
            as_attachment=True,
            filename=f"{certificate.number}.pdf",
            content_type="application/pdf",
        )
        response["ETag"] = quote_etag(certificate.document_sha256)
        return response
