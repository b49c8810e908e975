"""Concurrent registrations on PostgreSQL: numbers come from a sequence and rows are locked.

Threads each use their own database connection, released together by a barrier so that their
transactions really overlap.
"""

import threading

import pytest
from django.db import connection, connections

from registry import services
from registry.choices import AssetStatus
from registry.exceptions import InvalidTransition
from registry.identifiers import parse_registration_number
from registry.models import DataAsset, JournalEvent
from tests.conftest import AFTER_PUBLICITY, PUBLICITY_DAY
from tests.factories import RegistrarFactory, UserFactory, complete_application

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and sequences need PostgreSQL"
    ),
]

THREADS = 12


def _assets_in_publicity(count: int):
    registrar = RegistrarFactory()
    user = UserFactory()
    assets = []
    for index in range(count):
        asset = services.asset_create(
            actor=user,
            holder=user.organisation,
            data=complete_application(name=f"并发登记测试数据集{index}"),
        )
        asset = services.asset_submit(asset=asset, actor=user)
        asset = services.asset_accept_for_review(asset=asset, actor=registrar)
        assets.append(
            services.asset_start_publicity(asset=asset, actor=registrar, on=PUBLICITY_DAY)
        )
    return registrar, assets


def _run_together(targets):
    barrier = threading.Barrier(len(targets))
    results, errors = [], []

    def worker(target):
        try:
            barrier.wait(timeout=20)
            results.append(target())
        except Exception as exc:  # collected and asserted by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_share_a_number():
    # given: twelve assets whose publicity has ended
    registrar, assets = _assets_in_publicity(THREADS)

    # when: all are registered at the same moment from twelve connections
    results, errors = _run_together(
        [
            lambda a=a: services.asset_register(asset=a, actor=registrar, on=AFTER_PUBLICITY)
            for a in assets
        ]
    )

    # then: every registration succeeded with its own valid number
    assert errors == []
    numbers = [asset.registration_number for asset in results]
    assert len(set(numbers)) == THREADS
    sequences = sorted(parse_registration_number(n).sequence for n in numbers)
    assert len(set(sequences)) == THREADS
    stored = DataAsset.objects.filter(status=AssetStatus.REGISTERED)
    assert sorted(stored.values_list("registration_number", flat=True)) == sorted(numbers)


@pytest.mark.django_db(transaction=True)
def test_the_same_asset_registered_twice_at_once_is_registered_once():
    # given
    registrar, (asset,) = _assets_in_publicity(1)

    # when: two registrars press "register" on the same asset at the same moment
    results, errors = _run_together(
        [
            lambda: services.asset_register(asset=asset, actor=registrar, on=AFTER_PUBLICITY),
            lambda: services.asset_register(asset=asset, actor=registrar, on=AFTER_PUBLICITY),
        ]
    )

    # then: one wins; the other sees the registered status and is refused
    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], InvalidTransition)
    asset.refresh_from_db()
    assert asset.registration_number == results[0].registration_number
    assert JournalEvent.objects.filter(asset=asset, event_type="asset.registered").count() == 1
    assert asset.versions.count() == 1
