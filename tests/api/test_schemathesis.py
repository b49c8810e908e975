"""Schemathesis against the app in-process (WSGI): every operation of the OpenAPI document, with
generated valid and invalid requests, and every check of `schemathesis run --checks all`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings

from config.wsgi import application
from tests.api.test_bank_api_data import appraise, grade, issue_key, make_asset, pledge
from tests.factories import BankFactory

MAX_EXAMPLES = 25

# Operations whose valid requests obey rules JSON Schema cannot state: a registration or
# certificate number's check character, a debt term's order, a calculator's domain (weights that
# sum to 1, a coefficient between 0 and 1). A schema-valid request may break them: 400, in the
# error envelope (the other checks still hold).
BEYOND_JSON_SCHEMA = [
    "GET /api/v1/assets/",  # a holder's USCC check character
    # Bodies whose unknown keys are ignored, but not a JSON float or a lone surrogate in them.
    "POST /api/v1/pledge-status/bulk/",
    "POST /api/v1/search-certificates/",
    "GET /api/v1/assets/{registration_number}/",
    "GET /api/v1/assets/{registration_number}/pledge-status/",
    "GET /api/v1/certificates/{number}/verify/",
    "POST /api/v1/certificates/{number}/verify/",
    "POST /api/v1/pledges/",
    "POST /api/v1/pledges/{number}/amend/",
    "POST /api/v1/pledges/{number}/extend/",
    "GET /api/v1/search-certificates/{number}/",
    "GET /api/v1/search-certificates/{number}/document/",
    "POST /api/v1/valuations/preview/",
    "POST /api/v1/quality/preview/",
    # Text the database cannot store (a NUL, a lone surrogate) anywhere in a query value or a
    # body, keys included, is refused before the database (core.input_guard).
    "GET /api/v1/pledges/",
    "POST /api/v1/pledges/{number}/release/",
]
# Every POST: schemathesis sends one Idempotency-Key value with several bodies, which is the
# documented 422 `idempotency_key_reused`.
ACCEPTED = ["2xx", "401", "403", "404", "409", "422", "429"]

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}},
        "operations": [
            *(
                {
                    "include-name": name,
                    "checks": {
                        "positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}
                    },
                }
                for name in BEYOND_JSON_SCHEMA
            ),
        ],
    }
)


def _document() -> dict:
    """What /api/schema/ serves, built without a request (that view runs in ATOMIC_REQUESTS'
    transaction, and pytest-django allows no database access while collecting)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)
schema.app = application  # requests go to the app in-process (WSGI), not over the network


@pytest.fixture
def in_process():
    """As Django's test client does: the app must not close the test's connection (the test's
    transaction) at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth(in_process, registrar, holder, settings) -> dict[str, str]:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min"},
    }
    cache.clear()
    bank = BankFactory(name="天津银行股份有限公司")
    asset = make_asset(holder, name="港口集装箱物流轨迹数据集")
    grade(asset, registrar, "A", "91.50")
    appraise(asset, "18500000.00", dt.date(2026, 6, 30))
    pledge(asset, bank, registrar)
    key = issue_key(bank, registrar)
    return {"Authorization": f"Api-Key {key.key}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_schema(case, auth):
    case.call_and_validate(headers=auth)
