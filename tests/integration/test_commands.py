"""Management commands: seed_demo (idempotent, every status) and registry_tick."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from pledges.models import Pledge
from registry import services
from registry.choices import AssetStatus
from registry.models import DataAsset, JournalEvent, Organisation, OrganisationAPIKey, User
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
    first_key = _printed_key(out.getvalue())
    counts = (
        DataAsset.objects.count(),
        Organisation.objects.count(),
        User.objects.count(),
        Pledge.objects.count(),
    )
    journal_before = JournalEvent.objects.count()

    # when: run again
    out = StringIO()
    call_command("seed_demo", stdout=out)

    # then: nothing new but a fresh API key for the demo bank (keys are stored hashed only)
    assert "0 organisation(s), 0 user(s), 0 asset(s) created" in out.getvalue()
    assert (
        DataAsset.objects.count(),
        Organisation.objects.count(),
        User.objects.count(),
        Pledge.objects.count(),
    ) == counts
    assert list(
        JournalEvent.objects.order_by("id")[journal_before:].values_list("event_type", flat=True)
    ) == ["api_key.issued"]
    second_key = _printed_key(out.getvalue())
    assert second_key != first_key
    bank = Organisation.objects.get(kind="bank", name="津门商业银行股份有限公司")
    assert OrganisationAPIKey.objects.get_from_key(second_key).organisation == bank


def _printed_key(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Demo bank API key: ")]
    assert len(lines) == 1
    return lines[0].removeprefix("Demo bank API key: ")


def test_seed_demo_pledges_one_asset_twice_in_priority_order():
    # when
    call_command("seed_demo", stdout=StringIO())

    # then: the container dataset carries two active pledges ranked by filing order
    asset = DataAsset.objects.get(name="港口集装箱物流轨迹数据集")
    pledges = list(asset.pledges.order_by("priority"))
    assert [(p.pledgee.name, str(p.secured_amount), p.status) for p in pledges] == [
        ("津门商业银行股份有限公司", "5000000.00", "active"),
        ("渤海湾农村商业银行股份有限公司", "2000000.00", "active"),
    ]


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
    event = JournalEvent.objects.filter(asset=in_publicity, event_type="asset.registered").get()
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
