"""The project's URLs plus the baseline of the bank-API benchmark: a minimal Django view that runs
one indexed query on the same data (no authentication, no serializer)."""

from django.http import Http404, JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from registry.models import DataAsset


def minimal(request, number: str):
    row = (
        DataAsset.objects.filter(registration_number=number)
        .values("registration_number", "status", "valid_until")
        .first()
    )
    if row is None:
        raise Http404
    return JsonResponse(row)


urlpatterns = [path("bench/minimal/<str:number>/", minimal), *project_urlpatterns]
