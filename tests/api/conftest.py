"""Real HTTP against pytest-django's live server: API keys for a bank, sessions through the admin
login form (CSRF cookie + token), and the preview URLs."""

from __future__ import annotations

import dataclasses
import re

import pytest
import requests

from registry import services
from registry.models import OrganisationAPIKey
from tests.factories import BankFactory

VALUATION_PREVIEW = "/api/v1/valuations/preview/"
QUALITY_PREVIEW = "/api/v1/quality/preview/"
PASSWORD = "pass-2026-test"  # UserFactory's password
TIMEOUT = 10


@dataclasses.dataclass(frozen=True)
class IssuedKey:
    record: OrganisationAPIKey
    key: str  # the secret, shown once

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Api-Key {self.key}"}


@pytest.fixture
def bank_api_key(registrar) -> IssuedKey:
    """An API key of a bank organisation, issued by a registrar through the service."""
    record, key = services.api_key_issue(
        organisation=BankFactory(name="天津银行数据资产质押部"), actor=registrar, name="loan system"
    )
    return IssuedKey(record=record, key=key)


@dataclasses.dataclass
class Client:
    """A requests.Session bound to the live server; `post_json` adds the CSRF header and Referer
    that Django's session authentication needs on unsafe methods."""

    base_url: str
    session: requests.Session = dataclasses.field(default_factory=requests.Session)

    def post_json(self, path: str, body=None, *, data: str | None = None, headers=None):
        url = self.base_url + path
        sent = {"Referer": url, **(headers or {})}
        token = self.session.cookies.get("csrftoken")
        if token:
            sent["X-CSRFToken"] = token
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
            return self.session.post(url, data=data.encode(), headers=sent, timeout=TIMEOUT)
        return self.session.post(url, json=body, headers=sent, timeout=TIMEOUT)


def login(base_url: str, username: str, password: str = PASSWORD) -> Client:
    """A session signed in through /admin/login/ (the admin form only admits staff accounts)."""
    client = Client(base_url)
    login_url = f"{base_url}/admin/login/"
    page = client.session.get(login_url, timeout=TIMEOUT)
    assert page.status_code == 200
    token = client.session.cookies["csrftoken"]
    assert re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', page.text)
    response = client.session.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token,
            "next": "/admin/",
        },
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 302, "the admin login form refused the user"
    assert "sessionid" in client.session.cookies
    return client


@pytest.fixture
def anonymous(live_server) -> Client:
    return Client(live_server.url)


@pytest.fixture
def registrar_client(live_server, registrar) -> Client:
    return login(live_server.url, registrar.username)


@pytest.fixture
def api_client(live_server, bank_api_key) -> Client:
    client = Client(live_server.url)
    client.session.headers.update(bank_api_key.headers)
    return client
