"""The audit journal: one event per state change with old and new status and who acted, and no
way to rewrite history (append-only in the ORM, and in the database on PostgreSQL)."""

import pytest
from django.db import DatabaseError, connection, models, transaction

from certificates.events import CERTIFICATE_ISSUED, CERTIFICATE_REVOKED, CERTIFICATE_SUPERSEDED
from registry import journal, services
from registry.exceptions import NotPermitted
from registry.models import JournalEvent
from tests.conftest import AFTER_PUBLICITY, PUBLICITY_DAY, PUBLICITY_END
from tests.factories import complete_application, table_counts

ENTERPRISE = "ent1 @ 天津港数据服务有限公司"
REGISTRAR = "registrar1 @ 天津数据资产登记评估中心"


def test_full_scenario_journal(holder, enterprise_user, other_enterprise_user, registrar):
    # given / when: create → submit → return → resubmit → accept → publicity → objection filed
    # → objection dismissed → register → amend → cancel
    asset = services.asset_create(actor=enterprise_user, holder=holder, data=complete_application())
    services.asset_submit(asset=asset, actor=enterprise_user)
    services.asset_return_for_correction(
        asset=asset, actor=registrar, missing=["补充处理规则说明"], reason="材料不齐全"
    )
    services.asset_submit(asset=asset, actor=enterprise_user)
    services.asset_accept_for_review(asset=asset, actor=registrar)
    services.asset_start_publicity(asset=asset, actor=registrar, on=PUBLICITY_DAY)
    objection = services.objection_file(
        asset=asset,
        actor=other_enterprise_user,
        objector_name="天津某物流公司",
        objector_contact="legal@example.cn",
        reasons="权属争议",
        on=PUBLICITY_END,
    )
    services.objection_resolve(
        objection=objection, actor=registrar, upheld=False, note="异议理由不成立"
    )
    services.asset_register(asset=asset, actor=registrar, on=AFTER_PUBLICITY)
    services.asset_amend(
        asset=asset, actor=registrar, changes={"update_frequency": "weekly"}, reason="更新频率变更"
    )
    services.asset_cancel(asset=asset, actor=enterprise_user, reason="业务终止")
    other = other_enterprise_user.label
    # then
    events = JournalEvent.objects.filter(asset=asset).order_by("id")
    assert [
        (e.event_type, e.payload.get("old_status"), e.payload.get("new_status"), e.actor_label)
        for e in events
    ] == [
        (journal.ASSET_CREATED, None, None, ENTERPRISE),
        (journal.ASSET_SUBMITTED, "draft", "submitted", ENTERPRISE),
        (journal.ASSET_RETURNED, "submitted", "returned", REGISTRAR),
        (journal.ASSET_SUBMITTED, "returned", "submitted", ENTERPRISE),
        (journal.ASSET_ACCEPTED, "submitted", "under_review", REGISTRAR),
        (journal.ASSET_PUBLICITY_STARTED, "under_review", "publicity", REGISTRAR),
        (journal.OBJECTION_FILED, None, None, other),
        (journal.ASSET_OBJECTED, "publicity", "objected", other),
        (journal.OBJECTION_DISMISSED, None, None, REGISTRAR),
        (journal.ASSET_OBJECTIONS_CLEARED, "objected", "publicity", REGISTRAR),
        (journal.ASSET_REGISTERED, "publicity", "registered", REGISTRAR),
        (CERTIFICATE_ISSUED, None, None, REGISTRAR),
        (journal.ASSET_AMENDED, "registered", "registered", REGISTRAR),
        (CERTIFICATE_SUPERSEDED, None, None, REGISTRAR),
        (CERTIFICATE_ISSUED, None, None, REGISTRAR),
        (journal.ASSET_CANCELLED, "registered", "cancelled", ENTERPRISE),
        (CERTIFICATE_REVOKED, None, None, ENTERPRISE),
    ]
    assert [e.event_type for e in events] == [
        "asset.created",
        "asset.submitted",
        "asset.returned_for_correction",
        "asset.submitted",
        "asset.accepted_for_review",
        "asset.publicity_started",
        "objection.filed",
        "asset.objected",
        "objection.dismissed",
        "asset.objections_cleared",
        "asset.registered",
        "certificate.issued",
        "asset.amended",
        "certificate.superseded",
        "certificate.issued",
        "asset.cancelled",
        "certificate.revoked",
    ]
    assert other == f"ent2 @ {other_enterprise_user.organisation.name}"
    # and the details of the steps that carry them
    by_type = {}
    for event in events:
        by_type.setdefault(event.event_type, []).append(event)
    asset.refresh_from_db()
    assert by_type[journal.ASSET_CREATED][0].payload == {"holder": holder.uscc, "status": "draft"}
    first, second = by_type[journal.ASSET_SUBMITTED]
    assert first.payload["resubmission"] is False
    assert second.payload["resubmission"] is True
    assert first.payload["application_number"] == asset.application_number
    assert by_type[journal.ASSET_RETURNED][0].reason == "材料不齐全"
    assert by_type[journal.OBJECTION_FILED][0].payload == {
        "objection_status": "open",
        "objector": "天津某物流公司",
    }
    assert by_type[journal.OBJECTION_DISMISSED][0].payload == {
        "objection_status": "dismissed",
        "objector": "天津某物流公司",
    }
    assert by_type[journal.ASSET_REGISTERED][0].payload == {
        "old_status": "publicity",
        "new_status": "registered",
        "registration_number": asset.registration_number,
        "valid_from": "2026-06-09",
        "valid_until": "2029-06-08",
    }
    assert by_type[journal.ASSET_AMENDED][0].payload == {
        "old_status": "registered",
        "new_status": "registered",
        "version": 2,
        "changes": {"update_frequency": {"old": "daily", "new": "weekly"}},
    }
    assert by_type[journal.ASSET_CANCELLED][0].reason == "业务终止"
    assert {e.subject_type for e in events} == {"asset", "objection", "certificate"}
    assert all(e.actor_id is not None for e in events)


def test_refused_step_writes_no_journal_event(submitted, enterprise_user):
    # given
    before = table_counts()
    # when: an enterprise user tries a registrar step
    with pytest.raises(NotPermitted):
        services.asset_accept_for_review(asset=submitted, actor=enterprise_user)
    # then
    assert table_counts() == before


def test_objection_from_the_public_is_not_attributed_to_the_registry_tick(in_publicity):
    # given: anyone may object without an account
    # when
    services.objection_file(
        asset=in_publicity,
        objector_name="张三",
        objector_contact="13800000000",
        reasons="权属争议",
        on=PUBLICITY_END,
    )
    # then: the journal must not say the housekeeping job filed it
    events = list(JournalEvent.objects.filter(asset=in_publicity).order_by("-id")[:2])
    assert [e.event_type for e in events] == [journal.ASSET_OBJECTED, journal.OBJECTION_FILED]
    assert [e.actor_id for e in events] == [None, None]
    assert journal.SYSTEM_LABEL not in [e.actor_label for e in events]


def test_journal_row_cannot_be_updated_through_the_orm(draft):
    # given
    event = JournalEvent.objects.get(asset=draft)
    event.reason = "改写历史"
    # when
    with pytest.raises(ValueError, match=r"^The journal is append-only\.$"):
        event.save()
    # then
    event.refresh_from_db()
    assert event.reason == ""
    assert event.event_type == journal.ASSET_CREATED


def test_journal_row_cannot_be_deleted_through_the_orm(draft):
    # given
    event = JournalEvent.objects.get(asset=draft)
    before = table_counts()
    # when
    with pytest.raises(ValueError, match=r"^The journal is append-only\.$"):
        event.delete()
    # then
    assert table_counts() == before
    assert JournalEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the guard trigger is PostgreSQL's")
@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        pytest.param(
            "UPDATE registry_journalevent SET reason = 'rewritten' WHERE id = %s",
            "UPDATE",
            id="update",
        ),
        pytest.param("DELETE FROM registry_journalevent WHERE id = %s", "DELETE", id="delete"),
    ],
)
def test_raw_sql_cannot_rewrite_the_journal_on_postgresql(draft, sql, operation):
    # given
    event = JournalEvent.objects.get(asset=draft)
    before = table_counts()
    # when
    with (
        pytest.raises(DatabaseError, match=rf"append-only \({operation} refused\)"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    # then
    assert table_counts() == before
    stored = JournalEvent.objects.get(pk=event.pk)
    assert stored.reason == ""
    assert stored.event_type == journal.ASSET_CREATED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the guard trigger is PostgreSQL's")
def test_queryset_update_and_delete_are_stopped_on_postgresql(draft):
    # given
    before = table_counts()
    # when
    with (
        pytest.raises(DatabaseError, match=r"append-only \(UPDATE refused\)"),
        transaction.atomic(),
    ):
        # a plain QuerySet skips the model's own guard: only the trigger is left to refuse
        models.QuerySet(JournalEvent).filter(asset=draft).update(reason="rewritten")
    with (
        pytest.raises(DatabaseError, match=r"append-only \(DELETE refused\)"),
        transaction.atomic(),
    ):
        models.QuerySet(JournalEvent).filter(asset=draft)._raw_delete(using="default")
    # then
    assert table_counts() == before
    assert list(JournalEvent.objects.filter(asset=draft).values_list("reason", flat=True)) == [""]


def test_bulk_update_and_delete_through_the_orm_are_refused(draft):
    # given
    before = table_counts()
    # when / then
    with pytest.raises(ValueError, match=r"^The journal is append-only\.$"):
        JournalEvent.objects.filter(asset=draft).update(reason="rewritten")
    with pytest.raises(ValueError, match=r"^The journal is append-only\.$"):
        JournalEvent.objects.filter(asset=draft).delete()
    assert table_counts() == before
