"""Concurrent pledge filings on PostgreSQL: ranks follow acceptance order with no gap or tie."""

import datetime as dt

import pytest
from django.db import connection

from pledges.models import Pledge, PledgeStatus
from pledges.services import pledge_register, pledge_release
from tests.factories import BankFactory, UserFactory
from tests.integration.test_concurrency import _assets_in_publicity, _run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks and sequences need PostgreSQL"
    ),
]

TODAY = dt.date.today()


def _registered_asset():
    from registry import services
    from tests.conftest import AFTER_PUBLICITY

    registrar, (asset,) = _assets_in_publicity(1)
    asset = services.asset_register(asset=asset, actor=registrar, on=AFTER_PUBLICITY)
    return asset


def _bank_user():
    return UserFactory(organisation=BankFactory(), role="bank")


def _file(asset, user, amount: str):
    return lambda: pledge_register(
        asset=asset,
        pledgee=user.organisation,
        actor=user,
        secured_amount=amount,
        debt_start=TODAY,
        debt_end=TODAY + dt.timedelta(days=365),
    )


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_filings_get_ranks_one_to_twenty():
    # given: one registered asset and twenty banks
    asset = _registered_asset()
    banks = [_bank_user() for _ in range(20)]

    # when: all twenty file at the same moment
    results, errors = _run_together(
        [_file(asset, user, f"{100 + i}.00") for i, user in enumerate(banks)]
    )

    # then: twenty active pledges whose priorities are strictly ordered: ranks 1..20
    assert errors == []
    assert len(results) == 20
    active = list(
        Pledge.objects.filter(asset=asset, status=PledgeStatus.ACTIVE).order_by("priority")
    )
    assert len(active) == 20
    assert len({p.priority for p in active}) == 20
    # registration time follows priority: the rank is the order of acceptance
    assert [p.registered_at for p in active] == sorted(p.registered_at for p in active)
    ranks_from_journal = sorted(
        int(e.payload["rank"]) for e in asset.journal.filter(event_type="pledge.registered")
    )
    assert ranks_from_journal == list(range(1, 21))


@pytest.mark.django_db(transaction=True)
def test_a_release_racing_a_filing_leaves_a_consistent_register():
    # given: an asset with one active pledge
    asset = _registered_asset()
    first, second = _bank_user(), _bank_user()
    existing = _file(asset, first, "500.00")()

    # when: the first bank releases while a second bank files
    _results, errors = _run_together(
        [
            lambda: pledge_release(pledge=existing.number, actor=first, reason="还款完毕"),
            _file(asset, second, "800.00"),
        ]
    )

    # then: both succeeded; the new pledge is the only active one and ranks first
    assert errors == []
    existing.refresh_from_db()
    assert existing.status == PledgeStatus.RELEASED
    active = list(Pledge.objects.filter(asset=asset, status=PledgeStatus.ACTIVE))
    assert [(p.pledgee_id, str(p.secured_amount)) for p in active] == [
        (second.organisation_id, "800.00")
    ]
    filed = asset.journal.filter(event_type="pledge.registered").order_by("-id").first()
    # its journaled rank counts the active pledges it found: 1 if the release came first, else 2
    assert filed.payload["rank"] in (1, 2)
    assert asset.journal.filter(event_type="pledge.released").count() == 1
