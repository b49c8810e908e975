"""Input the database cannot store (NUL; lone surrogates) on the HTML faces: the public search and
records, the certificate lookup, the objection form, sign-in, the portal's application form and
the admin answer 400 naming the field, before the view runs a query, and write nothing. On
PostgreSQL several of these were a 500 (the admin search, a session cookie); on SQLite the NUL was
stored or searched. Real HTTP (live server, `requests`) for one input of each kind, Django's test
client for the rest."""

from __future__ import annotations

import re

import pytest
import requests
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from registry import services
from registry.models import DataAsset
from tests.factories import UserFactory, complete_application, table_counts

PASSWORD = "pass-2026-test"  # UserFactory's password
NUL = "Null characters are not allowed."
TIMEOUT = 10

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # throttle counters
    yield
    cache.clear()


@pytest.fixture
def open_publicity(registrar) -> DataAsset:
    user = UserFactory(username="applicant-unstorable")
    asset = services.asset_create(
        actor=user, holder=user.organisation, data=complete_application(name="堆场作业数据集")
    )
    asset = services.asset_submit(asset=asset, actor=user)
    asset = services.asset_accept_for_review(asset=asset, actor=registrar)
    return services.asset_start_publicity(asset=asset, actor=registrar)


def _refused(response, *fields: str) -> None:
    """A 400 page naming each field with the NUL message."""
    assert response.status_code == 400, response.content[:500]
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    assert "请求含有无法保存的字符" in body
    named = re.findall(r"<li><code>(.*?)</code>: (.*?)</li>", body)
    assert named == [(field, NUL) for field in fields]


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- real HTTP -----------------------------------------------------------------------------------
def test_nul_in_a_query_a_path_and_a_form_post_is_a_400_over_http(live_server, open_publicity):
    # given: a visitor with the objection form's CSRF cookie
    session = requests.Session()
    form_url = live_server.url + reverse("public-objection-file", args=[open_publicity.pk])
    page = session.get(form_url, timeout=TIMEOUT)
    assert page.status_code == 200
    before = table_counts()

    # when: the register searched, a record asked for and an objection sent, each with a NUL
    search = session.get(f"{live_server.url}/assets/?q=港口%00", timeout=TIMEOUT)
    record = session.get(f"{live_server.url}/assets/2026%00/", timeout=TIMEOUT)
    objection = session.post(
        form_url,
        data={
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "objector_name": "天津某物流公司\x00",
            "objector_contact": "legal@example.cn",
            "reasons": "权属存在争议。",
        },
        headers={"Referer": form_url},
        timeout=TIMEOUT,
    )

    # then: 400 pages naming the field, and no objection filed
    for response, field in ((search, "q"), (record, "number"), (objection, "objector_name")):
        assert response.status_code == 400, response.text[:500]
        assert f"<li><code>{field}</code>: {NUL}</li>" in response.text
    assert table_counts() == before


# --- public pages --------------------------------------------------------------------------------
def test_public_search_records_and_certificate_lookup_refuse_nul(client, subtests):
    cases = {
        "search text": (lambda: client.get("/assets/", {"q": "港口\x00"}), ["q"]),
        "search status and category": (
            lambda: client.get("/assets/", {"status": "\x00", "category": "x\x00"}),
            ["status", "category"],
        ),
        "record number": (lambda: client.get("/assets/2026\x00/"), ["number"]),
        "certificate lookup": (lambda: client.get("/verify/", {"number": "2026\x00"}), ["number"]),
        "certificate page": (lambda: client.get("/verify/2026\x00/"), ["number"]),
        "a parameter's name": (lambda: client.get("/publicity/?page\x00=2"), ["page\\x00"]),
    }
    for case, (send, fields) in cases.items():
        with subtests.test(case=case):
            _refused(send(), *fields)


def test_the_objection_form_refuses_nul_and_writes_nothing(client, open_publicity):
    # given
    url = reverse("public-objection-file", args=[open_publicity.pk])
    before = table_counts()

    # when
    response = client.post(
        url,
        {
            "objector_name": "天津某物流公司",
            "objector_contact": "legal@example.cn\x00",
            "reasons": "权属存在争议。\x00",
        },
    )

    # then
    _refused(response, "objector_contact", "reasons")
    assert table_counts() == before


def test_sign_in_with_nul_in_the_username_is_refused_without_counting_an_attempt(client):
    # given: a user, and five tries left before the throttle
    user = UserFactory(username="ent-nul")

    # when: a NUL in the username (the throttle keys its counter by username), on both sign-ins
    for url in ("/accounts/login/", "/admin/login/"):
        response = client.post(url, {"username": "ent-nul\x00", "password": "wrong"})

        # then
        _refused(response, "username")

    # and the attempts were not counted: five wrong passwords are still answered as such
    statuses = [
        client.post("/accounts/login/", {"username": "ent-nul", "password": "wrong"}).status_code
        for _ in range(5)
    ]
    assert statuses == [200] * 5
    assert (
        client.post(
            "/accounts/login/", {"username": user.username, "password": "wrong"}
        ).status_code
        == 429
    )


def test_a_session_cookie_with_nul_is_refused(client):
    # given: a quoted cookie with an octal escape, which Django unquotes to a NUL
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"

    # when
    response = client.get("/assets/")

    # then: not looked up in the session table (a 500 on PostgreSQL before)
    _refused(response, "cookies.sessionid")


# --- portal and admin ----------------------------------------------------------------------------
def test_the_application_form_refuses_nul_and_writes_nothing(enterprise_user):
    # given
    client = _logged_in(enterprise_user)
    before = table_counts()

    # when
    response = client.post(
        reverse("portal:asset-create"),
        {"name": "港口物流数据集\x00", "description": "集装箱轨迹", "action": "save"},
    )

    # then
    _refused(response, "name")
    assert table_counts() == before


def test_the_admin_search_filters_and_object_urls_refuse_nul(client, registrar, subtests):
    # given
    client.force_login(registrar)
    changelist = reverse("admin:registry_dataasset_changelist")
    cases = {
        "search": (lambda: client.get(changelist, {"q": "港口\x00"}), ["q"]),
        "a list filter": (
            lambda: client.get(changelist, {"status__exact": "\x00"}),
            ["status__exact"],
        ),
        "an object's page": (
            lambda: client.get(f"{changelist}1\x00/change/"),
            ["object_id"],
        ),
        "the read log's search": (
            lambda: client.get(reverse("admin:registry_apireadlog_changelist"), {"q": "\x00"}),
            ["q"],
        ),
    }
    for case, (send, fields) in cases.items():
        with subtests.test(case=case):
            _refused(send(), *fields)
