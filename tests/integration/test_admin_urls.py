"""Admin and page URLs with a malformed id are a 404 (or Django admin's own "does not exist"
redirect), never a 500 (issue 11: the transition URL with `abc` or `..%2F1` was a 500)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from registry.models import JournalEvent

pytestmark = pytest.mark.django_db

MALFORMED_IDS = [
    "abc",
    "..%2F1",
    "../1",
    "1.5",
    "-1",
    "1e3",
    "%EF%BC%91",  # a full-width 1
    "%D9%A1",  # an Arabic-Indic 1
    "99999999999999999999",
    "1%20",
]


def _transition(object_id: str, action: str = "register") -> str:
    return f"/admin/registry/dataasset/{object_id}/transition/{action}/"


@pytest.mark.parametrize("object_id", MALFORMED_IDS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_transition_url_with_a_malformed_id_is_a_404(client, registrar, method, object_id):
    # given
    client.force_login(registrar)
    journal_before = JournalEvent.objects.count()
    # when
    response = getattr(client, method)(_transition(object_id), {"apply": "1"})
    # then
    assert response.status_code == 404
    assert JournalEvent.objects.count() == journal_before


def test_a_transition_url_with_an_unknown_id_is_a_404(client, registrar):
    client.force_login(registrar)
    assert client.get(_transition("987654321")).status_code == 404


def test_a_transition_url_with_a_real_id_still_opens_the_step(client, registrar, submitted):
    client.force_login(registrar)
    url = reverse("admin:registry_dataasset_transition", args=[submitted.pk, "accept_for_review"])
    assert url == _transition(str(submitted.pk), "accept_for_review")
    assert client.get(url).status_code == 200


def test_a_transition_url_is_for_registrars_only_whatever_the_id(client, enterprise_user):
    client.force_login(enterprise_user)
    response = client.get(_transition("abc"))
    # the admin's sign-in redirect: nothing is revealed about ids
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize("object_id", ["abc", "..%2F1", "1.5", "99999999999999999999"])
def test_every_admin_change_page_survives_a_malformed_id(client, registrar, object_id):
    # given: a superuser sees every model admin
    registrar.is_superuser = True
    registrar.save(update_fields=["is_superuser"])
    client.force_login(registrar)
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{object_id}"
        for suffix in ("/change/", "/history/", "/delete/"):
            # when
            response = client.get(base + suffix)
            # then: Django's "does not exist" redirect, a refusal or a 404; never a 500
            assert response.status_code in (302, 403, 404), (base + suffix, response.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/portal/assets/abc/",
        "/portal/assets/..%2F1/edit/",
        "/publicity/abc/object/",
        "/assets/abc/",
        "/assets/..%2F1/",
        "/assets/%EF%BC%91/",
    ],
)
def test_page_urls_with_a_malformed_id_are_4xx(client, enterprise_user, path):
    client.force_login(enterprise_user)
    response = client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
