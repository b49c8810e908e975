"""Management commands: seed_demo (idempotent, every status) and registry_tick."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from registry import services
from registry.choices import AssetStatus
from registry.models import DataAsset, JournalEvent, Organisation, User
from tests.factories import complete_application

pytestmark = pytest.mark.django_db


def test_seed_demo_covers_every_status_and_is_idempotent():
    # when
    out = StringIO()
    call_command("seed_demo", stdout=out)

    # then: every workflow status is represented, logins work with the demo password
    statuses = set(DataAsset.objects.values_list("status", flat=True))
    assert statuses == set(AssetStatus.values)
    for username in ("registrar", "enterprise", "bank"):
        assert authenticate(username=username, password="demo-pass-2026") is not None
    assert "Demo logins (password demo-pass-2026): registrar, enterprise, bank" in out.getvalue()
    counts = (
        DataAsset.objects.count(),
        Organisation.objects.count(),
        User.objects.count(),
        JournalEvent.objects.count(),
    )

    # when: run again
    out = StringIO()
    call_command("seed_demo", stdout=out)

    # then: nothing new
    assert "0 organisation(s), 0 user(s), 0 asset(s) created" in out.getvalue()
    assert (
        DataAsset.objects.count(),
        Organisation.objects.count(),
        User.objects.count(),
        JournalEvent.objects.count(),
    ) == counts


def test_registry_tick_registers_after_publicity_and_expires(in_publicity, registrar):
    # given: one asset whose publicity ends 2026-06-08, one registration already past validity
    other = services.asset_create(
        actor=registrar,
        holder=in_publicity.holder,
        data=complete_application(name="已过期测试数据集"),
    )
    other = services.asset_submit(asset=other, actor=registrar)
    other = services.asset_accept_for_review(asset=other, actor=registrar)
    other = services.asset_start_publicity(asset=other, actor=registrar, on=dt.date(2020, 3, 2))
    other = services.asset_register(asset=other, actor=registrar, on=dt.date(2020, 4, 1))

    # when: the tick runs on the last day of publicity
    out = StringIO()
    call_command("registry_tick", "--today", "2026-06-08", stdout=out)

    # then: only the lapsed registration moves
    in_publicity.refresh_from_db()
    other.refresh_from_db()
    assert in_publicity.status == AssetStatus.PUBLICITY
    assert other.status == AssetStatus.EXPIRED
    assert f"Expired: 1 {other.registration_number}" in out.getvalue()

    # when: the day after
    out = StringIO()
    call_command("registry_tick", "--today", "2026-06-09", stdout=out)

    # then: registered by the system, journaled without a user
    in_publicity.refresh_from_db()
    assert in_publicity.status == AssetStatus.REGISTERED
    assert f"Registered: 1 {in_publicity.registration_number}" in out.getvalue()
    event = JournalEvent.objects.filter(asset=in_publicity).last()
    assert (event.event_type, event.actor, event.actor_label) == (
        "asset.registered",
        None,
        "system (registry_tick)",
    )


@pytest.mark.parametrize("bad", ["2026-13-01", "tomorrow", "2026/06/09"])
def test_registry_tick_rejects_malformed_dates(bad):
    # when / then
    with pytest.raises(CommandError, match="--today must be a date in the form YYYY-MM-DD"):
        call_command("registry_tick", "--today", bad)
