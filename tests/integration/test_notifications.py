"""E-mail notifications: the holder hears of every step, registrars of submissions and
objections; nothing is sent for a step that is refused or rolled back."""

import datetime as dt

import pytest
from django.core import mail

from registry import services
from registry.exceptions import NotPermitted
from tests.factories import RegistrarFactory, UserFactory


@pytest.fixture
def addresses(holder, enterprise_user, registrar):
    enterprise_user.email = "ent1@port.example.cn"
    enterprise_user.save(update_fields=["email"])
    holder.contact_email = "office@port.example.cn"
    holder.save(update_fields=["contact_email"])
    registrar.email = "registrar1@registry.example.cn"
    registrar.save(update_fields=["email"])
    # an inactive registrar and a user of another organisation hear nothing
    RegistrarFactory(username="gone", email="gone@registry.example.cn", is_active=False)
    UserFactory(username="stranger", email="stranger@other.example.cn")


def test_submission_notifies_the_holder_and_the_registrars(
    draft, enterprise_user, addresses, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.asset_submit(asset=draft, actor=enterprise_user)

    # then: one message to the holder's addresses, one to the active registrars
    draft.refresh_from_db()
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (
            ["ent1@port.example.cn", "office@port.example.cn"],
            f"[天津数据资产登记评估中心] 申请已提交 Application submitted: {draft.name}",
        ),
        (
            ["registrar1@registry.example.cn"],
            f"[天津数据资产登记评估中心] 申请已提交 Application submitted: {draft.name}",
        ),
    ]
    assert f"编号 Number: {draft.application_number}" in mail.outbox[0].body
    assert f"/admin/registry/dataasset/{draft.pk}/change/" in mail.outbox[1].body


def test_return_for_correction_tells_the_holder_what_to_supply(
    submitted, registrar, addresses, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.asset_return_for_correction(
            asset=submitted, actor=registrar, missing=["补充授权证明", "补充样本说明"]
        )

    # then: only the holder is told (registrars did it), with the one notice
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ent1@port.example.cn", "office@port.example.cn"]
    assert "1. 补充授权证明\n2. 补充样本说明" in mail.outbox[0].body


def test_an_objection_notifies_registrars_even_when_one_is_already_open(
    registrar, under_review, addresses, django_capture_on_commit_callbacks
):
    # given: publicity announced today
    asset = services.asset_start_publicity(asset=under_review, actor=registrar)
    mail.outbox.clear()

    # when: two objections
    with django_capture_on_commit_callbacks(execute=True):
        services.objection_file(
            asset=asset, objector_name="甲", objector_contact="a@x.cn", reasons="权属争议"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.objection_file(
            asset=asset, objector_name="乙", objector_contact="b@x.cn", reasons="来源不合法"
        )

    # then: holder and registrars told twice
    assert [m.to for m in mail.outbox] == [
        ["ent1@port.example.cn", "office@port.example.cn"],
        ["registrar1@registry.example.cn"],
    ] * 2


def test_a_refused_step_sends_nothing(
    submitted, enterprise_user, addresses, django_capture_on_commit_callbacks
):
    # when: an enterprise user tries a registrar step
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotPermitted):
        services.asset_accept_for_review(asset=submitted, actor=enterprise_user)

    # then
    assert mail.outbox == []


def test_the_system_registration_by_the_tick_notifies_the_holder(
    in_publicity, addresses, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.registry_tick(today=dt.date(2026, 6, 9))

    # then
    in_publicity.refresh_from_db()
    assert [m.subject for m in mail.outbox] == [
        f"[天津数据资产登记评估中心] 已准予登记 Registered: {in_publicity.name}"
    ]
    assert in_publicity.registration_number in mail.outbox[0].body
