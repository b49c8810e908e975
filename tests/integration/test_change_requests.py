"""Amendment and renewal requests: the holder files them (service and portal), the registrar
approves (the amendment or renewal runs in the same transaction) or rejects them (admin)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from registry.exceptions import InvalidTransition, NotPermitted, TransitionBlocked
from registry.models import (
    AssetVersion,
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    JournalEvent,
)
from registry.services import RENEWAL_WINDOW_DAYS
from registry.services.change_requests import (
    change_request_approve,
    change_request_file,
    change_request_reject,
)

pytestmark = pytest.mark.django_db

AMEND = ChangeRequestKind.AMENDMENT
RENEW = ChangeRequestKind.RENEWAL


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _detail(asset) -> str:
    return reverse("portal:asset-detail", args=[asset.pk])


def _counts() -> dict[str, int]:
    return {
        "requests": ChangeRequest.objects.count(),
        "versions": AssetVersion.objects.count(),
        "journal": JournalEvent.objects.count(),
    }


def _file_amendment(asset, user, **changes):
    return change_request_file(
        asset=asset,
        actor=user,
        kind=AMEND,
        reason="数据量增加",
        proposed_changes=changes or {"record_count": 2_000_000},
    )


# --- filing ---------------------------------------------------------------------------------
def test_holder_files_an_amendment_request_and_it_is_journaled(registered, enterprise_user):
    # when
    request = _file_amendment(
        registered, enterprise_user, record_count="2000000", time_span_end="2026-06-30"
    )
    # then
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.OPEN
    assert request.proposed_changes == {"record_count": 2_000_000, "time_span_end": "2026-06-30"}
    assert request.decided_at is None
    event = JournalEvent.objects.get(event_type="change_request.filed")
    assert event.asset_id == registered.pk
    assert event.payload["kind"] == "amendment"


def test_another_enterprise_cannot_file(registered, other_enterprise_user):
    # given
    before = _counts()
    # when / then
    with pytest.raises(NotPermitted):
        _file_amendment(registered, other_enterprise_user)
    assert _counts() == before


def test_the_registrar_cannot_file_for_the_holder(registered, registrar):
    with pytest.raises(NotPermitted):
        _file_amendment(registered, registrar)


def test_only_registered_assets_take_requests(submitted, enterprise_user):
    # given
    before = _counts()
    # when / then
    with pytest.raises(InvalidTransition):
        change_request_file(asset=submitted, actor=enterprise_user, kind=RENEW, reason="续展")
    assert _counts() == before


@pytest.mark.parametrize(
    ("changes", "error_key"),
    [
        ({"registration_number": "X"}, "registration_number"),
        ({"holder": 3}, "holder"),
        ({"record_count": "many"}, "record_count"),
        ({"update_frequency": "hourly-ish"}, "update_frequency"),
        ({"record_count": 1_250_000}, "proposed_changes"),  # the current value: nothing changes
        ({}, "proposed_changes"),
    ],
)
def test_bad_amendment_proposals_are_refused(registered, enterprise_user, changes, error_key):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationError) as exc:
        change_request_file(
            asset=registered,
            actor=enterprise_user,
            kind=AMEND,
            reason="变更",
            proposed_changes=changes,
        )
    # then
    assert error_key in exc.value.message_dict
    assert _counts() == before


def test_a_reason_is_required(registered, enterprise_user):
    with pytest.raises(ValidationError) as exc:
        change_request_file(asset=registered, actor=enterprise_user, kind=RENEW, reason="  ")
    assert "reason" in exc.value.message_dict


def test_a_second_open_request_of_the_same_kind_is_refused(registered, enterprise_user):
    # given
    _file_amendment(registered, enterprise_user)
    change_request_file(asset=registered, actor=enterprise_user, kind=RENEW, reason="续展")
    before = _counts()
    # when / then
    with pytest.raises(ValidationError):
        _file_amendment(registered, enterprise_user, description="新的描述")
    with pytest.raises(ValidationError):
        change_request_file(asset=registered, actor=enterprise_user, kind=RENEW, reason="再次")
    assert _counts() == before


def test_the_database_holds_one_open_request_per_asset_and_kind(registered, enterprise_user):
    # given
    _file_amendment(registered, enterprise_user)
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.create(
            asset=registered, kind=AMEND, requested_by=enterprise_user, reason="绕过服务"
        )


def test_the_database_refuses_an_open_request_with_a_decision(registered, enterprise_user):
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequest.objects.create(
            asset=registered,
            kind=RENEW,
            requested_by=enterprise_user,
            reason="续展",
            decided_by=enterprise_user,
        )


# --- deciding ------------------------------------------------------------------------------
def test_approving_an_amendment_writes_version_2_with_the_new_value(
    registered, enterprise_user, registrar
):
    # given
    request = _file_amendment(registered, enterprise_user, time_span_end="2026-06-30")
    # when
    change_request_approve(request=request, actor=registrar, note="材料齐全")
    # then
    registered.refresh_from_db()
    request.refresh_from_db()
    assert registered.version == 2
    assert registered.time_span_end == dt.date(2026, 6, 30)
    assert AssetVersion.objects.get(asset=registered, number=2).content["time_span_end"] == (
        "2026-06-30"
    )
    assert request.status == ChangeRequestStatus.APPROVED
    assert request.decided_by == registrar
    assert request.decision_note == "材料齐全"
    events = list(
        JournalEvent.objects.filter(asset=registered).values_list("event_type", flat=True)
    )
    assert "asset.amended" in events
    assert events[-1] == "change_request.approved"


def test_only_a_registrar_approves(registered, enterprise_user):
    # given
    request = _file_amendment(registered, enterprise_user)
    before = _counts()
    # when / then
    with pytest.raises(NotPermitted):
        change_request_approve(request=request, actor=enterprise_user)
    assert _counts() == before


def test_approving_a_renewal_inside_the_window_extends_validity(
    registered, enterprise_user, registrar
):
    # given
    old_until = registered.valid_until
    request = change_request_file(
        asset=registered, actor=enterprise_user, kind=RENEW, reason="继续经营"
    )
    # when
    change_request_approve(request=request, actor=registrar, on=old_until - dt.timedelta(days=30))
    # then
    registered.refresh_from_db()
    request.refresh_from_db()
    assert registered.valid_until > old_until
    assert registered.version == 2
    assert request.status == ChangeRequestStatus.APPROVED
    assert JournalEvent.objects.filter(asset=registered, event_type="asset.renewed").exists()


def test_a_renewal_refused_outside_the_window_leaves_the_request_open(
    registered, enterprise_user, registrar
):
    # given
    request = change_request_file(
        asset=registered, actor=enterprise_user, kind=RENEW, reason="继续经营"
    )
    too_early = registered.valid_until - dt.timedelta(days=RENEWAL_WINDOW_DAYS + 1)
    before = _counts()
    state = (registered.valid_until, registered.version)
    # when / then
    with pytest.raises(TransitionBlocked):
        change_request_approve(request=request, actor=registrar, on=too_early)
    registered.refresh_from_db()
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.OPEN
    assert (registered.valid_until, registered.version) == state
    assert _counts() == before


def test_rejection_requires_a_note_and_is_journaled(registered, enterprise_user, registrar):
    # given
    request = _file_amendment(registered, enterprise_user)
    # when / then: no note, nothing written
    with pytest.raises(ValidationError):
        change_request_reject(request=request, actor=registrar, note=" ")
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.OPEN
    # when
    change_request_reject(request=request, actor=registrar, note="无证明材料")
    # then
    request.refresh_from_db()
    registered.refresh_from_db()
    assert request.status == ChangeRequestStatus.REJECTED
    assert registered.version == 1
    assert JournalEvent.objects.filter(event_type="change_request.rejected").count() == 1
    # a decided request is not decided again
    with pytest.raises(InvalidTransition):
        change_request_approve(request=request, actor=registrar)


# --- admin ---------------------------------------------------------------------------------
def test_admin_approves_a_request_through_the_confirmation_page(
    client, registered, enterprise_user, registrar
):
    # given
    request = _file_amendment(registered, enterprise_user, description="更新后的描述")
    client.force_login(registrar)
    changelist = reverse("admin:registry_changerequest_changelist")
    selection = {"action": "approve", "_selected_action": [request.pk]}
    # when: the action first asks for a note
    page = client.post(changelist, selection)
    # then
    assert page.status_code == 200
    assert "更新后的描述" in page.content.decode()
    # when
    response = client.post(changelist, {**selection, "apply": "1", "note": "同意"})
    # then
    assert response.status_code == 302
    request.refresh_from_db()
    registered.refresh_from_db()
    assert request.status == ChangeRequestStatus.APPROVED
    assert registered.description == "更新后的描述"
    assert client.get(changelist, {"status__exact": "approved"}).status_code == 200


def test_admin_rejection_without_a_note_asks_again(client, registered, enterprise_user, registrar):
    # given
    request = _file_amendment(registered, enterprise_user)
    client.force_login(registrar)
    changelist = reverse("admin:registry_changerequest_changelist")
    # when
    response = client.post(
        changelist,
        {"action": "reject", "_selected_action": [request.pk], "apply": "1", "note": ""},
    )
    # then
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.OPEN


# --- portal --------------------------------------------------------------------------------
def test_portal_shows_the_request_forms_on_a_registered_asset(registered, enterprise_user):
    # when
    page = _logged_in(enterprise_user).get(_detail(registered)).content.decode()
    # then
    assert 'id="amendment-form"' in page
    assert 'id="renewal-form"' in page


def test_portal_hides_the_request_forms_before_registration(submitted, enterprise_user):
    page = _logged_in(enterprise_user).get(_detail(submitted)).content.decode()
    assert 'id="amendment-form"' not in page
    assert 'id="renewal-form"' not in page


def test_portal_files_an_amendment_and_lists_it(registered, enterprise_user):
    # given
    client = _logged_in(enterprise_user)
    url = reverse("portal:amendment-request", args=[registered.pk])
    # when
    response = client.post(
        url, {"field": "size_bytes", "value": "4000000000", "reason": "新增两年数据"}
    )
    # then
    assert response.status_code == 302
    request = ChangeRequest.objects.get(asset=registered)
    assert request.proposed_changes == {"size_bytes": 4_000_000_000}
    page = client.get(_detail(registered)).content.decode()
    assert f'id="change-request-{request.pk}"' in page
    assert "新增两年数据" in page


def test_portal_files_a_renewal(registered, enterprise_user):
    # when
    response = _logged_in(enterprise_user).post(
        reverse("portal:renewal-request", args=[registered.pk]), {"reason": "继续经营"}
    )
    # then
    assert response.status_code == 302
    assert ChangeRequest.objects.get(asset=registered).kind == RENEW


def test_portal_shows_errors_and_keeps_what_was_typed(registered, enterprise_user):
    # given
    client = _logged_in(enterprise_user)
    url = reverse("portal:amendment-request", args=[registered.pk])
    # when
    response = client.post(url, {"field": "time_span_end", "value": "not-a-date", "reason": ""})
    # then
    assert response.status_code == 200
    form = response.context["amendment_form"]
    assert "value" in form.errors and "reason" in form.errors
    assert "not-a-date" in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_portal_reports_a_second_open_request_as_a_form_error(registered, enterprise_user):
    # given
    client = _logged_in(enterprise_user)
    url = reverse("portal:renewal-request", args=[registered.pk])
    client.post(url, {"reason": "第一次"})
    # when
    response = client.post(url, {"reason": "第二次"})
    # then
    assert response.status_code == 200
    assert response.context["renewal_form"].non_field_errors()
    assert "第二次" in response.content.decode()
    assert ChangeRequest.objects.count() == 1


@pytest.mark.parametrize("name", ["portal:amendment-request", "portal:renewal-request"])
def test_another_enterprise_gets_404_in_the_portal(registered, other_enterprise_user, name):
    # when
    response = _logged_in(other_enterprise_user).post(
        reverse(name, args=[registered.pk]),
        {"field": "description", "value": "x", "reason": "y"},
    )
    # then
    assert response.status_code == 404
    assert not ChangeRequest.objects.exists()
