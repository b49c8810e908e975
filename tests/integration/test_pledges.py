"""The pledge registry (质押登记, domain.md section 6) through its services: register (设立),
amend (变更), extend (展期), release (解除), annul and expire; priority and rank; the pledgees'
consent to cancel or transfer a pledged asset; and the pledgee's view of the asset's private
material (the certificate PDF). Concurrent filings are covered in test_pledge_concurrency.py."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from core import clock
from operations.tick import daily_tick
from pledges.access import can_view_private
from pledges.models import Pledge, PledgeStatus
from pledges.services import (
    pledge_amend,
    pledge_annul,
    pledge_expire,
    pledge_extend,
    pledge_register,
    pledge_release,
)
from registry import services
from registry.choices import AssetStatus
from registry.exceptions import InvalidTransition, NotPermitted, TransitionBlocked
from registry.models import DataAsset, JournalEvent
from tests.conftest import AFTER_PUBLICITY
from tests.factories import (
    BankFactory,
    OrganisationFactory,
    UserFactory,
    registered_asset,
    table_counts,
)

D = dt.date
DEBT_START = D(2026, 7, 1)
DEBT_END = D(2027, 6, 30)
REGISTRATION_END = D(2027, 12, 31)
AMOUNT = "5000000.00"
BANK_NAME = "中国工商银行天津分行"
OTHER_BANK_NAME = "招商银行天津分行"
# The `registered` fixture: registered on AFTER_PUBLICITY (9 June 2026) for three years.
VALID_UNTIL = D(2029, 6, 8)
NOT_PERMITTED = "Only the pledgee bank or a registrar may do this."


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def bank(bank_user):
    bank_user.organisation.name = BANK_NAME
    bank_user.organisation.save(update_fields=["name"])
    return bank_user.organisation


@pytest.fixture
def other_bank_user(db):
    return UserFactory(
        username="bank2", organisation=BankFactory(name=OTHER_BANK_NAME), role="bank"
    )


@pytest.fixture
def pledge(registered, bank, bank_user):
    return _file(registered, bank_user)


@pytest.fixture
def cancelled(registered, enterprise_user):
    return services.asset_cancel(asset=registered, actor=enterprise_user, reason="业务终止")


def _file(asset: DataAsset, user, amount: str = AMOUNT, **overrides) -> Pledge:
    """File a pledge for `user`'s bank (or `pledgee`), debt term 2026-07-01..2027-06-30."""
    kwargs = {
        "asset": asset,
        "pledgee": user.organisation if user is not None else None,
        "actor": user,
        "secured_amount": amount,
        "debt_start": DEBT_START,
        "debt_end": DEBT_END,
        "registration_end": REGISTRATION_END,
    }
    kwargs.update(overrides)
    return pledge_register(**kwargs)


def _counts() -> dict[str, int]:
    return {**table_counts(), "pledges": Pledge.objects.count()}


def _row(pledge: Pledge) -> dict:
    return Pledge.objects.filter(pk=pledge.pk).values().get()


def _last_event() -> JournalEvent:
    """The latest pledge event (a pledge step also journals its certificate's events)."""
    return JournalEvent.objects.filter(subject_type="pledge").order_by("-id").first()


def _ranks(asset: DataAsset) -> dict[str, int]:
    """Rank = position among the asset's active pledges in priority order."""
    active = Pledge.objects.filter(asset=asset, status=PledgeStatus.ACTIVE).order_by("priority")
    return {number: rank for rank, number in enumerate(active.values_list("number", flat=True), 1)}


# --- register (设立) ----------------------------------------------------------------------------
def test_register_by_the_pledgee_banks_user(registered, holder, bank, bank_user):
    # given
    before = _counts()
    # when
    pledge = _file(registered, bank_user)
    # then: a number ZY + year + 8 digits drawn from the priority sequence
    pledge.refresh_from_db()
    assert re.fullmatch(r"ZY\d{12}", pledge.number)
    assert pledge.number == f"ZY{clock.today().year:04d}{pledge.priority:08d}"
    assert pledge.status == PledgeStatus.ACTIVE
    assert pledge.asset_id == registered.pk
    assert pledge.pledgor_id == holder.pk
    assert pledge.pledgee_id == bank.pk
    assert pledge.secured_amount == Decimal("5000000.00")
    assert pledge.currency == "CNY"
    assert (pledge.debt_start, pledge.debt_end, pledge.registration_end) == (
        DEBT_START,
        DEBT_END,
        REGISTRATION_END,
    )
    assert pledge.registered_at is not None
    assert pledge.filed_by_label == f"bank1 @ {BANK_NAME}"
    assert (pledge.status_changed_at, pledge.status_reason) == (None, "")
    # and exactly one pledge and two journal events (the pledge, its certificate) were written
    assert _counts() == {
        **before,
        "pledges": before["pledges"] + 1,
        "journal": before["journal"] + 2,
    }
    assert list(JournalEvent.objects.order_by("-id")[:2].values_list("event_type", flat=True)) == [
        "certificate.issued",
        "pledge.registered",
    ]
    event = _last_event()
    assert event.event_type == "pledge.registered"
    assert event.actor_id == bank_user.pk
    assert event.actor_label == f"bank1 @ {BANK_NAME}"
    assert event.asset_id == registered.pk
    assert (event.subject_type, event.subject_id) == ("pledge", pledge.number)
    assert event.subject_label == f"{pledge.number} {BANK_NAME}"
    assert event.reason == ""
    assert event.payload == {
        "number": pledge.number,
        "status": "active",
        "pledgee": bank.uscc,
        "pledgor": holder.uscc,
        "secured_amount": "5000000.00",
        "debt_start": "2026-07-01",
        "debt_end": "2027-06-30",
        "registration_end": "2027-12-31",
        "rank": 1,
    }


def test_a_second_pledge_by_another_bank_ranks_second(pledge, registered, other_bank_user):
    # when
    second = _file(registered, other_bank_user, amount="800000")
    # then
    assert second.priority > pledge.priority
    assert second.secured_amount == Decimal("800000.00")
    assert second.pledgee_id == other_bank_user.organisation_id
    assert _last_event().payload["rank"] == 2
    assert _last_event().payload["secured_amount"] == "800000.00"
    assert _ranks(registered) == {pledge.number: 1, second.number: 2}


def test_a_registrar_may_file_on_a_banks_behalf(registered, holder, bank, registrar):
    # given
    before = _counts()
    # when
    pledge = _file(registered, registrar, pledgee=bank)
    # then
    assert pledge.pledgee_id == bank.pk
    assert pledge.pledgor_id == holder.pk
    assert pledge.filed_by_label == "registrar1 @ 天津数据资产登记评估中心"
    event = _last_event()
    assert (event.event_type, event.actor_id) == ("pledge.registered", registrar.pk)
    assert (event.payload["pledgee"], event.payload["rank"]) == (bank.uscc, 1)
    assert _counts()["pledges"] == before["pledges"] + 1


def test_the_registration_period_defaults_to_the_debt_term(registered, bank_user):
    # when: no registration_end given
    pledge = _file(registered, bank_user, amount="1000", registration_end=None)
    # then
    pledge.refresh_from_db()
    assert pledge.registration_end == DEBT_END
    assert pledge.secured_amount == Decimal("1000.00")
    assert _last_event().payload["registration_end"] == "2027-06-30"
    assert _last_event().payload["secured_amount"] == "1000.00"


@pytest.mark.parametrize(
    ("asset_fixture", "status"),
    [("draft", "Draft"), ("in_publicity", "In publicity"), ("cancelled", "Cancelled by holder")],
)
def test_only_a_registered_asset_can_be_pledged(request, asset_fixture, status, bank_user):
    # given
    asset = request.getfixturevalue(asset_fixture)
    before = _counts()
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        _file(asset, bank_user)
    # then
    assert excinfo.value.message == (
        f"Only a registered asset can be pledged; this one is {status}."
    )
    assert _counts() == before


def test_an_expired_registration_cannot_be_pledged(registered, bank_user):
    # given: the registration lapsed (registry_tick the day after valid_until)
    report = daily_tick(today=VALID_UNTIL + dt.timedelta(days=1))
    assert report.expired == [registered.registration_number]
    before = _counts()
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        _file(registered, bank_user)
    # then
    assert excinfo.value.message == "Only a registered asset can be pledged; this one is Expired."
    assert _counts() == before


def test_a_registration_past_its_validity_cannot_be_pledged(registrar, enterprise_user, bank_user):
    # given: registered on 2026-06-09, valid until the licence ended on 2026-09-30 (in the past),
    # and registry_tick has not yet marked it expired
    asset = registered_asset(
        registrar=registrar,
        actor=enterprise_user,
        source="licensed",
        source_proof="数据授权许可合同 2025-001",
        source_licence_start=D(2025, 1, 1),
        source_licence_end=D(2026, 9, 30),
    )
    assert (asset.status, asset.valid_until) == (AssetStatus.REGISTERED, D(2026, 9, 30))
    assert asset.valid_until < clock.today()
    before = _counts()
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        _file(asset, bank_user)
    # then
    assert excinfo.value.message == "The asset's registration has expired."
    assert _counts() == before


@pytest.mark.parametrize("pledgee", ["another enterprise", "the holder"])
def test_the_pledgee_must_be_a_bank(registered, holder, registrar, pledgee):
    # given
    organisation = OrganisationFactory() if pledgee == "another enterprise" else holder
    before = _counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        _file(registered, registrar, pledgee=organisation)
    # then
    assert excinfo.value.message_dict == {"pledgee": ["The pledgee must be a bank."]}
    assert _counts() == before


def test_a_holder_cannot_pledge_to_itself(registrar):
    # given: an asset held by a bank (applied for by its enterprise-role user), and the bank's
    # own lending user filing a pledge to that bank
    bank_holder = BankFactory()
    asset = registered_asset(
        registrar=registrar, actor=UserFactory(organisation=bank_holder, role="enterprise")
    )
    lender = UserFactory(organisation=bank_holder, role="bank")
    before = _counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        _file(asset, lender)
    # then
    assert excinfo.value.message_dict == {
        "pledgee": ["The holder cannot pledge an asset to itself."]
    }
    assert _counts() == before


@pytest.mark.parametrize(
    "actor_fixture",
    ["enterprise_user", "other_enterprise_user", "other_bank_user", "bank_staff", "nobody"],
)
def test_only_the_pledgee_bank_or_a_registrar_may_file(request, registered, bank, actor_fixture):
    # given: the holder's user, an unrelated enterprise, another bank's user, a non-bank-role user
    # of the pledgee bank, and no actor at all
    if actor_fixture == "bank_staff":
        actor = UserFactory(organisation=bank, role="enterprise")
    elif actor_fixture == "nobody":
        actor = None
    else:
        actor = request.getfixturevalue(actor_fixture)
    before = _counts()
    # when
    with pytest.raises(NotPermitted) as excinfo:
        _file(registered, actor, pledgee=bank)
    # then
    assert excinfo.value.message == NOT_PERMITTED
    assert _counts() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (5000000.0, "Send the amount as a decimal string, not a number."),
        (True, "Send the amount as a decimal string, not a number."),
        ("0", "The secured amount must be greater than 0."),
        ("-5", "The secured amount must be greater than 0."),
        ("NaN", "Not a decimal amount."),
        ("abc", "Not a decimal amount."),
        ("", "Not a decimal amount."),
        ("1e3", "Not a decimal amount."),
        (" 1000 ", "Not a decimal amount."),
        ("１０００", "Not a decimal amount."),
        ("1_000", "Not a decimal amount."),
        ("1.234", "At most 13 digits before the point and 2 decimal places."),
        ("10000000000000", "At most 13 digits before the point and 2 decimal places."),
        ("99999999999999999.99", "At most 13 digits before the point and 2 decimal places."),
    ],
)
def test_the_secured_amount_must_be_a_positive_decimal_string(
    registered, bank_user, amount, message
):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        _file(registered, bank_user, amount=amount)
    # then
    assert excinfo.value.message_dict == {"secured_amount": [message]}
    assert _counts() == before


@pytest.mark.parametrize(
    ("dates", "field", "message"),
    [
        (
            {"debt_start": D(2027, 7, 1), "debt_end": D(2027, 6, 30)},
            "debt_end",
            "The debt term cannot end before it starts.",
        ),
        (
            {"registration_end": D(2027, 6, 29)},
            "registration_end",
            "The registration period must cover the debt term.",
        ),
    ],
)
def test_the_terms_must_be_ordered(registered, bank_user, dates, field, message):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationError) as excinfo:
        _file(registered, bank_user, **dates)
    # then
    assert excinfo.value.message_dict == {field: [message]}
    assert _counts() == before


# --- amend (变更) -------------------------------------------------------------------------------
def test_amend_the_amount_and_the_term(pledge, registered, bank_user, other_bank_user):
    # given: a later pledge by another bank
    later = _file(registered, other_bank_user)
    priority, before = pledge.priority, _counts()
    # when
    amended = pledge_amend(
        pledge=pledge.number,
        actor=bank_user,
        reason="追加授信",
        secured_amount="6000000",
        debt_end=D(2027, 9, 30),
    )
    # then: amount and term changed, priority and rank kept
    amended.refresh_from_db()
    assert amended.secured_amount == Decimal("6000000.00")
    assert (amended.debt_start, amended.debt_end) == (DEBT_START, D(2027, 9, 30))
    assert amended.registration_end == REGISTRATION_END
    assert amended.priority == priority
    assert _ranks(registered) == {pledge.number: 1, later.number: 2}
    assert _counts() == {**before, "journal": before["journal"] + 3}
    event = _last_event()
    assert (event.event_type, event.actor_id, event.reason) == (
        "pledge.amended",
        bank_user.pk,
        "追加授信",
    )
    assert event.payload == {
        "number": pledge.number,
        "status": "active",
        "changes": {
            "secured_amount": {"old": "5000000.00", "new": "6000000.00"},
            "debt_end": {"old": "2027-06-30", "new": "2027-09-30"},
        },
    }


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        (
            {"reason": "", "secured_amount": "6000000"},
            {"reason": ["A reason is required for this step."]},
        ),
        (
            {"reason": "   ", "secured_amount": "6000000"},
            {"reason": ["A reason is required for this step."]},
        ),
        (
            {"reason": "核对", "secured_amount": "5000000", "debt_start": DEBT_START},
            {"body": ["The amendment changes nothing."]},
        ),
        ({"reason": "核对"}, {"body": ["The amendment changes nothing."]}),
        (
            {"reason": "核对", "secured_amount": "0"},
            {"secured_amount": ["The secured amount must be greater than 0."]},
        ),
        (
            {"reason": "核对", "debt_end": D(2028, 1, 1)},
            {"registration_end": ["The registration period must cover the debt term."]},
        ),
        (
            {"reason": "核对", "debt_start": D(2027, 7, 1)},
            {"debt_end": ["The debt term cannot end before it starts."]},
        ),
    ],
)
def test_amend_refusals_write_nothing(pledge, bank_user, kwargs, errors):
    # given
    before, row = _counts(), _row(pledge)
    # when
    with pytest.raises(ValidationError) as excinfo:
        pledge_amend(pledge=pledge, actor=bank_user, **kwargs)
    # then
    assert excinfo.value.message_dict == errors
    assert _counts() == before
    assert _row(pledge) == row


def test_another_bank_cannot_amend(pledge, other_bank_user):
    # given
    before, row = _counts(), _row(pledge)
    # when
    with pytest.raises(NotPermitted) as excinfo:
        pledge_amend(pledge=pledge, actor=other_bank_user, reason="核对", secured_amount="1")
    # then
    assert excinfo.value.message == NOT_PERMITTED
    assert _counts() == before
    assert _row(pledge) == row


# --- extend (展期) ------------------------------------------------------------------------------
def test_extend_the_registration_period_and_the_debt_term(pledge, bank_user):
    # given
    before = _counts()
    # when
    pledge_extend(
        pledge=pledge,
        actor=bank_user,
        registration_end=D(2028, 12, 31),
        debt_end=D(2028, 6, 30),
        reason="展期一年",
    )
    # then
    pledge.refresh_from_db()
    assert (pledge.debt_start, pledge.debt_end, pledge.registration_end) == (
        DEBT_START,
        D(2028, 6, 30),
        D(2028, 12, 31),
    )
    assert pledge.status == PledgeStatus.ACTIVE
    assert _counts() == {**before, "journal": before["journal"] + 3}
    event = _last_event()
    assert (event.event_type, event.actor_id, event.reason) == (
        "pledge.extended",
        bank_user.pk,
        "展期一年",
    )
    assert event.payload == {
        "number": pledge.number,
        "status": "active",
        "changes": {
            "registration_end": {"old": "2027-12-31", "new": "2028-12-31"},
            "debt_end": {"old": "2027-06-30", "new": "2028-06-30"},
        },
    }


def test_extend_the_registration_period_only(pledge, registrar):
    # when: a registrar extends on the bank's behalf, without a reason
    pledge_extend(pledge=pledge.number, actor=registrar, registration_end=D(2028, 3, 31))
    # then
    pledge.refresh_from_db()
    assert (pledge.debt_end, pledge.registration_end) == (DEBT_END, D(2028, 3, 31))
    event = _last_event()
    assert (event.event_type, event.actor_id, event.reason) == ("pledge.extended", registrar.pk, "")
    assert event.payload["changes"] == {
        "registration_end": {"old": "2027-12-31", "new": "2028-03-31"}
    }


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        (
            {"registration_end": REGISTRATION_END},
            {"registration_end": ["An extension must end after the current period."]},
        ),
        (
            {"registration_end": D(2027, 9, 30)},
            {"registration_end": ["An extension must end after the current period."]},
        ),
        (
            {"registration_end": D(2028, 12, 31), "debt_end": D(2027, 6, 29)},
            {"debt_end": ["An extension cannot shorten the debt term."]},
        ),
        (
            {"registration_end": D(2028, 3, 31), "debt_end": D(2028, 6, 30)},
            {"registration_end": ["The registration period must cover the debt term."]},
        ),
    ],
)
def test_extend_refusals_write_nothing(pledge, bank_user, kwargs, errors):
    # given
    before, row = _counts(), _row(pledge)
    # when
    with pytest.raises(ValidationError) as excinfo:
        pledge_extend(pledge=pledge, actor=bank_user, **kwargs)
    # then
    assert excinfo.value.message_dict == errors
    assert _counts() == before
    assert _row(pledge) == row


# --- release (解除) -----------------------------------------------------------------------------
def test_release_by_the_pledgee(pledge, registered, bank_user):
    # given
    before = _counts()
    # when
    pledge_release(pledge=pledge, actor=bank_user, reason=" 贷款已结清 ")
    # then
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.RELEASED
    assert pledge.status_changed_at is not None
    assert pledge.status_reason == "贷款已结清"
    assert _ranks(registered) == {}
    assert _counts() == {**before, "journal": before["journal"] + 2}
    event = _last_event()
    assert (event.event_type, event.actor_id, event.reason, event.subject_id) == (
        "pledge.released",
        bank_user.pk,
        "贷款已结清",
        pledge.number,
    )
    assert event.payload == {"number": pledge.number, "status": "released"}


@pytest.mark.parametrize("actor_fixture", ["other_bank_user", "enterprise_user"])
def test_only_the_pledgee_may_release(request, pledge, actor_fixture):
    # given: another bank's user, the holder's user
    actor = request.getfixturevalue(actor_fixture)
    before, row = _counts(), _row(pledge)
    # when
    with pytest.raises(NotPermitted) as excinfo:
        pledge_release(pledge=pledge, actor=actor, reason="还款完毕")
    # then
    assert excinfo.value.message == NOT_PERMITTED
    assert _counts() == before
    assert _row(pledge) == row


def test_a_pledge_is_released_once(pledge, bank_user):
    # given
    pledge_release(pledge=pledge, actor=bank_user, reason="还款完毕")
    before, row = _counts(), _row(pledge)
    # when
    with pytest.raises(InvalidTransition) as excinfo:
        pledge_release(pledge=pledge, actor=bank_user, reason="再次解除")
    # then
    assert excinfo.value.message == "The pledge is Released."
    assert _counts() == before
    assert _row(pledge) == row


@pytest.mark.parametrize(
    "step",
    [
        lambda p, u: pledge_amend(pledge=p, actor=u, reason="核对", secured_amount="1"),
        lambda p, u: pledge_extend(pledge=p, actor=u, registration_end=D(2030, 1, 1)),
    ],
    ids=["amend", "extend"],
)
def test_a_released_pledge_cannot_be_amended_or_extended(pledge, bank_user, step):
    # given
    pledge_release(pledge=pledge, actor=bank_user, reason="还款完毕")
    before, row = _counts(), _row(pledge)
    # when
    with pytest.raises(InvalidTransition) as excinfo:
        step(pledge, bank_user)
    # then
    assert excinfo.value.message == "The pledge is Released."
    assert _counts() == before
    assert _row(pledge) == row


# --- annul (registrar) --------------------------------------------------------------------------
def test_a_registrar_annuls_an_erroneous_filing(pledge, registrar):
    # given
    before = _counts()
    # when
    pledge_annul(pledge=pledge, actor=registrar, reason="质押人信息错误")
    # then
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.ANNULLED
    assert pledge.status_changed_at is not None
    assert pledge.status_reason == "质押人信息错误"
    assert _counts() == {**before, "journal": before["journal"] + 2}
    event = _last_event()
    assert (event.event_type, event.actor_id, event.reason) == (
        "pledge.annulled",
        registrar.pk,
        "质押人信息错误",
    )
    assert event.payload == {"number": pledge.number, "status": "annulled"}


@pytest.mark.parametrize(
    ("actor_fixture", "reason", "error", "message"),
    [
        (
            "bank_user",
            "登记错误",
            NotPermitted,
            "Only a registrar may annul a pledge registration.",
        ),
        (
            "enterprise_user",
            "登记错误",
            NotPermitted,
            "Only a registrar may annul a pledge registration.",
        ),
        ("registrar", "", ValidationError, "A reason is required for this step."),
        ("registrar", "  ", ValidationError, "A reason is required for this step."),
    ],
)
def test_annul_refusals_write_nothing(request, pledge, actor_fixture, reason, error, message):
    # given
    actor = request.getfixturevalue(actor_fixture)
    before, row = _counts(), _row(pledge)
    # when
    with pytest.raises(error) as excinfo:
        pledge_annul(pledge=pledge, actor=actor, reason=reason)
    # then
    if error is ValidationError:
        assert excinfo.value.message_dict == {"reason": [message]}
    else:
        assert excinfo.value.message == message
    assert _counts() == before
    assert _row(pledge) == row


# --- expire (housekeeping) ----------------------------------------------------------------------
def test_registry_tick_expires_a_pledge_after_its_registration_period(pledge):
    # given: on the last day of the period nothing lapses
    report = daily_tick(today=REGISTRATION_END)
    assert report.pledges_expired == []
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.ACTIVE
    before = _counts()
    # when: the day after
    report = daily_tick(today=REGISTRATION_END + dt.timedelta(days=1))
    # then
    assert report.pledges_expired == [pledge.number]
    assert (report.registered, report.expired, report.failed) == ([], [], {})
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.EXPIRED
    assert pledge.status_changed_at is not None
    assert pledge.status_reason == "registration period ended"
    assert _counts() == {**before, "journal": before["journal"] + 2}
    event = _last_event()
    assert (event.event_type, event.actor_id, event.actor_label, event.reason) == (
        "pledge.expired",
        None,
        "system (registry_tick)",
        "registration period ended",
    )
    assert event.payload == {"number": pledge.number, "status": "expired"}


def test_registry_tick_leaves_released_and_extended_pledges(
    pledge, registered, bank_user, other_bank_user
):
    # given: one pledge released, another extended beyond the tick day
    pledge_release(pledge=pledge, actor=bank_user, reason="还款完毕")
    extended = _file(registered, other_bank_user)
    pledge_extend(pledge=extended, actor=other_bank_user, registration_end=D(2028, 12, 31))
    before = _counts()
    # when
    report = daily_tick(today=D(2028, 1, 1))
    # then
    assert report.pledges_expired == []
    assert _counts() == before
    assert set(Pledge.objects.values_list("number", "status")) == {
        (pledge.number, "released"),
        (extended.number, "active"),
    }


def test_a_pledge_cannot_expire_before_its_period_ends(pledge):
    # given
    before, row = _counts(), _row(pledge)
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        pledge_expire(pledge=pledge, on=REGISTRATION_END)
    # then
    assert excinfo.value.message == "The pledge registration runs until 2027-12-31."
    assert _counts() == before
    assert _row(pledge) == row


# --- priority and rank --------------------------------------------------------------------------
def test_later_pledges_move_up_when_an_earlier_one_leaves(
    pledge, registered, bank_user, other_bank_user, registrar
):
    # given: three pledges ranked 1, 2, 3
    third_bank_user = UserFactory(organisation=BankFactory(), role="bank")
    second = _file(registered, other_bank_user)
    third = _file(registered, third_bank_user)
    assert _ranks(registered) == {pledge.number: 1, second.number: 2, third.number: 3}
    # when: the first is released
    pledge_release(pledge=pledge, actor=bank_user, reason="还款完毕")
    # then: the later ones move up; priorities are unchanged
    assert _ranks(registered) == {second.number: 1, third.number: 2}
    assert list(Pledge.objects.filter(asset=registered).values_list("priority", flat=True)) == [
        pledge.priority,
        second.priority,
        third.priority,
    ]
    # and a new filing ranks after the remaining active ones
    fourth = _file(registered, bank_user)
    assert _last_event().payload["rank"] == 3
    # and after an annulment the ranks close up again
    pledge_annul(pledge=second, actor=registrar, reason="登记错误")
    assert _ranks(registered) == {third.number: 1, fourth.number: 2}


# --- cancel and transfer need the pledgees' consent --------------------------------------------
def test_cancel_of_a_pledged_asset_is_refused_without_consent(
    pledge, registered, enterprise_user, other_bank_user
):
    # given: two active pledges
    second = _file(registered, other_bank_user)
    before = _counts()
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        services.asset_cancel(asset=registered, actor=enterprise_user, reason="业务终止")
    # then
    assert excinfo.value.message == (
        f"The asset is pledged ({pledge.number}, {second.number}): "
        "Cancel registration needs the pledgees' written consent."
    )
    assert _counts() == before
    registered.refresh_from_db()
    assert registered.status == AssetStatus.REGISTERED


def test_transfer_of_a_pledged_asset_is_refused_without_consent(
    pledge, registered, holder, registrar, other_enterprise_user
):
    # given
    before = _counts()
    # when
    with pytest.raises(TransitionBlocked) as excinfo:
        services.asset_transfer(
            asset=registered,
            actor=registrar,
            new_holder=other_enterprise_user.organisation,
            reason="股权转让",
        )
    # then
    assert excinfo.value.message == (
        f"The asset is pledged ({pledge.number}): Transfer needs the pledgees' written consent."
    )
    assert _counts() == before
    registered.refresh_from_db()
    assert (registered.status, registered.holder_id) == (AssetStatus.REGISTERED, holder.pk)


def test_cancel_of_a_pledged_asset_with_consent(pledge, registered, enterprise_user):
    # when
    services.asset_cancel(
        asset=registered, actor=enterprise_user, reason="业务终止", pledgee_consent=True
    )
    # then
    registered.refresh_from_db()
    assert registered.status == AssetStatus.CANCELLED
    assert registered.journal.filter(event_type="asset.cancelled").count() == 1


def test_transfer_of_a_pledged_asset_with_consent(
    pledge, registered, registrar, other_enterprise_user
):
    # when
    services.asset_transfer(
        asset=registered,
        actor=registrar,
        new_holder=other_enterprise_user.organisation,
        reason="股权转让",
        pledgee_consent=True,
    )
    # then
    registered.refresh_from_db()
    assert registered.holder_id == other_enterprise_user.organisation_id
    assert registered.journal.filter(event_type="asset.transferred").count() == 1


def test_after_release_cancel_needs_no_consent(pledge, registered, bank_user, enterprise_user):
    # given: the only pledge released
    pledge_release(pledge=pledge, actor=bank_user, reason="还款完毕")
    # when
    services.asset_cancel(asset=registered, actor=enterprise_user, reason="业务终止")
    # then
    registered.refresh_from_db()
    assert registered.status == AssetStatus.CANCELLED


def test_after_release_transfer_needs_no_consent(
    pledge, registered, bank_user, registrar, other_enterprise_user
):
    # given: the only pledge released
    pledge_release(pledge=pledge, actor=bank_user, reason="还款完毕")
    # when
    services.asset_transfer(
        asset=registered,
        actor=registrar,
        new_holder=other_enterprise_user.organisation,
        reason="股权转让",
    )
    # then
    registered.refresh_from_db()
    assert (registered.status, registered.holder_id) == (
        AssetStatus.REGISTERED,
        other_enterprise_user.organisation_id,
    )


# --- the pledgee's view of private material ----------------------------------------------------
def test_an_active_pledgee_may_view_private_material(registered, bank, bank_user, other_bank_user):
    # given: before any pledge, a bank sees public records only
    assert can_view_private(bank_user, registered) is False
    # when
    pledge = _file(registered, bank_user)
    # then: the pledgee bank's user may, another bank's may not
    registered.refresh_from_db()
    assert can_view_private(bank_user, registered) is True
    assert can_view_private(other_bank_user, registered) is False
    # and after the release the pledgee may no longer
    pledge_release(pledge=pledge, actor=bank_user, reason="还款完毕")
    assert can_view_private(bank_user, registered) is False


def test_a_deactivated_user_of_the_pledgee_bank_may_not_view_private_material(
    pledge, registered, bank_user
):
    # given: the pledge is active, but the bank's user has been deactivated
    bank_user.is_active = False
    bank_user.save(update_fields=["is_active"])
    # when
    allowed = can_view_private(bank_user, registered)
    # then: like a deactivated holder's user or registrar, it acts for nobody
    assert allowed is False


@pytest.mark.parametrize("end", ["expired", "annulled"])
def test_an_expired_or_annulled_pledge_gives_no_view(pledge, registered, bank_user, registrar, end):
    # when
    if end == "expired":
        daily_tick(today=REGISTRATION_END + dt.timedelta(days=1))
    else:
        pledge_annul(pledge=pledge, actor=registrar, reason="登记错误")
    # then
    pledge.refresh_from_db()
    assert pledge.status == end
    assert can_view_private(bank_user, registered) is False


def test_certificate_download_for_the_pledgee_bank(
    client,
    in_publicity,
    registrar,
    bank,
    bank_user,
    other_bank_user,
    django_capture_on_commit_callbacks,
):
    # given: a registered asset whose certificate was rendered after the commit, pledged to bank
    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_register(asset=in_publicity, actor=registrar, on=AFTER_PUBLICITY)
    certificate = asset.certificates.get()
    assert certificate.is_rendered
    url = f"/certificates/{certificate.number}.pdf"
    pledge = _file(asset, bank_user)

    # when: the pledgee bank's user downloads the PDF
    client.force_login(bank_user)
    response = client.get(url)
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)  # the test client closes it when exhausted
    assert body.startswith(b"%PDF")
    assert len(body) == certificate.document_size

    # when: another bank's user asks
    client.force_login(other_bank_user)
    # then
    assert client.get(url).status_code == 404

    # when: the pledge is released, the former pledgee asks again
    pledge_release(pledge=pledge, actor=bank_user, reason="还款完毕")
    client.force_login(bank_user)
    # then
    assert client.get(url).status_code == 404
