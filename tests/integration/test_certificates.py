"""The registration certificate's lifecycle (domain.md sections 4-5) through the registry services:
issued at registration, superseded by amendment / renewal / transfer, revoked by cancellation and
revocation, left valid (but reported expired) by expiry; rendered once after the commit; and the
database constraints that keep one valid certificate per asset and 17-digit numbers."""

import datetime as dt
import functools
import hashlib
import os

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone, translation

from certificates import selectors
from certificates.events import (
    CERTIFICATE_ISSUED,
    CERTIFICATE_RENDERED,
    CERTIFICATE_REVOKED,
    CERTIFICATE_SUPERSEDED,
)
from certificates.models import Certificate, CertificateKind, CertificateStatus
from certificates.render import RENDERER_LABEL, certificate_render
from certificates.services import RENDER_TOPIC
from core import clock
from core.models import OutboxMessage
from registry import services
from registry.exceptions import InvalidTransition, NotPermitted, TransitionBlocked
from registry.models import DataAsset, JournalEvent
from tests.conftest import AFTER_PUBLICITY, PUBLICITY_END
from tests.factories import OrganisationFactory, UserFactory, registered_asset

D = dt.date
REGISTRAR = "registrar1 @ 天津数据资产登记评估中心"
ENTERPRISE = "ent1 @ 天津港数据服务有限公司"
# Registered on AFTER_PUBLICITY (9 June 2026) for three years; renewable from 10 December 2028.
VALID_UNTIL = "2029-06-08"
RENEWAL_DAY = D(2029, 1, 5)
RENEWED_UNTIL = "2032-06-08"
AFTER_EXPIRY = D(2029, 6, 9)
NEW_HOLDER = "天津数据交易服务有限公司"
CERTIFICATE_EVENTS = (
    CERTIFICATE_ISSUED,
    CERTIFICATE_SUPERSEDED,
    CERTIFICATE_REVOKED,
    CERTIFICATE_RENDERED,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def new_holder(db):
    return OrganisationFactory(name=NEW_HOLDER)


def _certificates(asset: DataAsset) -> list[Certificate]:
    return list(Certificate.objects.filter(asset=asset).order_by("id"))


def _certificate_events(asset: DataAsset) -> list[tuple]:
    return [
        (e.event_type, e.subject_id, e.actor_label, e.reason, e.payload)
        for e in JournalEvent.objects.filter(asset=asset, event_type__in=CERTIFICATE_EVENTS)
    ]


def _expected_number_prefix(certificate: Certificate) -> str:
    return f"{timezone.localdate(certificate.issued_at):%Y%m}1200"


def _certificate_state() -> list[tuple]:
    return list(
        Certificate.objects.order_by("id").values_list(
            "number", "status", "supersedes_id", "status_changed_at", "rendered_at"
        )
    )


# --- issue at registration -----------------------------------------------------------------------
def test_registration_issues_one_valid_certificate(
    in_publicity, registrar, holder, django_capture_on_commit_callbacks
):
    # given an asset whose publicity ended without objection
    # when the registrar registers it
    with django_capture_on_commit_callbacks() as callbacks:
        asset = services.asset_register(asset=in_publicity, actor=registrar, on=AFTER_PUBLICITY)
    # then one valid registration certificate, numbered YYYYMM + 1200 + 7-digit serial
    (certificate,) = _certificates(asset)
    issued_on = timezone.localdate(certificate.issued_at)
    assert issued_on == clock.today()
    assert len(certificate.number) == 17
    assert certificate.number.isdigit()
    assert certificate.number[:10] == f"{issued_on:%Y%m}1200"
    assert int(certificate.number[10:]) >= 1
    assert certificate.kind == CertificateKind.REGISTRATION
    assert certificate.status == CertificateStatus.VALID
    assert certificate.asset_version == 1
    assert certificate.issued_by == registrar
    assert certificate.supersedes is None
    assert selectors.effective_status(certificate) == CertificateStatus.VALID
    # and its printed content is fixed at issue, in Chinese
    assert certificate.data == {
        "certificate_number": certificate.number,
        "registration_number": asset.registration_number,
        "asset_name": "港口集装箱物流轨迹数据集",
        "holder_name": "天津港数据服务有限公司",
        "holder_uscc": holder.uscc,
        "rights": ["数据资源持有权", "数据加工使用权"],
        "data_category": "企业数据",
        "data_category_en": "Enterprise data",
        "data_format": "结构化数据表/数据库",
        "record_count": 1_250_000,
        "size_bytes": 3_400_000_000,
        "update_frequency": "每日",
        "update_frequency_en": "Daily",
        "quality_grade": "",
        "registration_date": "2026-06-09",
        "valid_until": VALID_UNTIL,
        "evidence_sha256": asset.evidence_sha256,
        "version": 1,
        "registry_name": "天津数据资产登记评估中心",
        "issued_on": issued_on.isoformat(),
        "verification_url": f"https://registry.example.cn/verify/{certificate.number}/",
    }
    assert len(asset.evidence_sha256) == 64
    # and the issue is journaled; rendering waits for the commit
    assert _certificate_events(asset) == [
        (
            CERTIFICATE_ISSUED,
            certificate.number,
            REGISTRAR,
            "registration",
            {
                "number": certificate.number,
                "status": "valid",
                "kind": "registration",
                "version": 1,
                "supersedes": None,
            },
        )
    ]
    assert len(_renders(callbacks)) == 1
    assert certificate.rendered_at is None
    assert certificate.document_sha256 == ""


def test_registration_by_the_registry_itself_issues_without_an_issuer(
    in_publicity, django_capture_on_commit_callbacks
):
    # given / when: registry_tick registers after an uncontested publicity
    with django_capture_on_commit_callbacks():
        report = services.registry_tick(today=AFTER_PUBLICITY)
    # then
    asset = DataAsset.objects.get(pk=in_publicity.pk)
    assert report.registered == [asset.registration_number]
    (certificate,) = _certificates(asset)
    assert certificate.issued_by is None
    assert certificate.status == CertificateStatus.VALID
    assert _certificate_events(asset) == [
        (
            CERTIFICATE_ISSUED,
            certificate.number,
            "system (registry_tick)",
            "registration",
            {
                "number": certificate.number,
                "status": "valid",
                "kind": "registration",
                "version": 1,
                "supersedes": None,
            },
        )
    ]


def test_refused_registration_issues_no_certificate(
    in_publicity, registrar, django_capture_on_commit_callbacks
):
    # given publicity still running on its last day
    journal_before = JournalEvent.objects.count()
    # when
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(TransitionBlocked):
        services.asset_register(asset=in_publicity, actor=registrar, on=PUBLICITY_END)
    # then nothing was written and nothing is queued for rendering
    assert Certificate.objects.count() == 0
    assert JournalEvent.objects.count() == journal_before
    assert callbacks == []


# --- reissue: amendment, renewal, transfer -------------------------------------------------------
def _amend(asset, registrar, new_holder):
    return services.asset_amend(
        asset=asset, actor=registrar, changes={"update_frequency": "weekly"}, reason="更新频率变更"
    )


def _renew(asset, registrar, new_holder):
    return services.asset_renew(asset=asset, actor=registrar, on=RENEWAL_DAY, reason="续展")


def _transfer(asset, registrar, new_holder):
    return services.asset_transfer(
        asset=asset, actor=registrar, new_holder=new_holder, reason="股权转让"
    )


@pytest.mark.parametrize(
    ("step", "reason", "changed"),
    [
        (_amend, "amendment", {"update_frequency": "每周", "update_frequency_en": "Weekly"}),
        (_renew, "renewal", {"valid_until": RENEWED_UNTIL}),
        (_transfer, "transfer", {"holder_name": NEW_HOLDER, "holder_uscc": None}),
    ],
    ids=["amend", "renew", "transfer"],
)
def test_reissue_supersedes_the_valid_certificate(
    registered, registrar, new_holder, step, reason, changed, django_capture_on_commit_callbacks
):
    # given the certificate issued at registration
    (old,) = _certificates(registered)
    # when the registration changes
    with django_capture_on_commit_callbacks() as callbacks:
        asset = step(registered, registrar, new_holder)
    # then the old certificate is superseded and a new one, naming it, is the only valid one
    old.refresh_from_db()
    (_, new) = _certificates(asset)
    assert old.status == CertificateStatus.SUPERSEDED
    assert old.status_reason == reason
    assert old.status_changed_at is not None
    assert new.status == CertificateStatus.VALID
    assert new.supersedes == old
    assert selectors.successor_of(old) == new
    assert selectors.effective_status(old) == CertificateStatus.SUPERSEDED
    assert selectors.effective_status(new) == CertificateStatus.VALID
    assert (
        Certificate.objects.filter(
            asset=asset, kind=CertificateKind.REGISTRATION, status=CertificateStatus.VALID
        ).count()
        == 1
    )
    assert new.number != old.number
    assert new.number[:10] == _expected_number_prefix(new)
    assert int(new.number[10:]) > int(old.number[10:])
    # and the new content is the old one, one version on, with the change
    assert asset.version == 2
    assert new.asset_version == 2
    if "holder_uscc" in changed:
        changed = {**changed, "holder_uscc": new_holder.uscc}
    assert new.data == {
        **old.data,
        **changed,
        "version": 2,
        "certificate_number": new.number,
        "issued_on": timezone.localdate(new.issued_at).isoformat(),
        "verification_url": f"https://registry.example.cn/verify/{new.number}/",
    }
    # and the journal says superseded, then issued, in that order
    assert _certificate_events(asset)[1:] == [
        (
            CERTIFICATE_SUPERSEDED,
            old.number,
            REGISTRAR,
            reason,
            {"number": old.number, "status": "superseded", "successor": new.number},
        ),
        (
            CERTIFICATE_ISSUED,
            new.number,
            REGISTRAR,
            reason,
            {
                "number": new.number,
                "status": "valid",
                "kind": "registration",
                "version": 2,
                "supersedes": old.number,
            },
        ),
    ]
    assert len(_renders(callbacks)) == 1  # only the new certificate is rendered


def test_refused_amendment_leaves_the_certificate_alone(
    registered, enterprise_user, django_capture_on_commit_callbacks
):
    # given
    before = _certificate_state()
    journal_before = JournalEvent.objects.count()
    # when the holder (not a registrar) tries to amend
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(NotPermitted):
        services.asset_amend(
            asset=registered,
            actor=enterprise_user,
            changes={"update_frequency": "weekly"},
            reason="更新频率变更",
        )
    # then
    assert _certificate_state() == before
    assert JournalEvent.objects.count() == journal_before
    assert callbacks == []


# --- cancellation, revocation, expiry ------------------------------------------------------------
@pytest.mark.parametrize(
    ("actor_fixture", "step", "reason", "label"),
    [
        ("enterprise_user", services.asset_cancel, "业务终止", ENTERPRISE),
        ("registrar", services.asset_revoke, "来源不合法", REGISTRAR),
    ],
    ids=["cancel", "revoke"],
)
def test_ending_the_registration_revokes_the_certificate(
    registered, request, actor_fixture, step, reason, label, django_capture_on_commit_callbacks
):
    # given
    (certificate,) = _certificates(registered)
    actor = request.getfixturevalue(actor_fixture)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        step(asset=registered, actor=actor, reason=reason)
    # then
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert certificate.status_reason == reason
    assert certificate.status_changed_at is not None
    assert selectors.effective_status(certificate) == CertificateStatus.REVOKED
    assert not Certificate.objects.filter(status=CertificateStatus.VALID).exists()
    assert _certificate_events(registered)[1:] == [
        (
            CERTIFICATE_REVOKED,
            certificate.number,
            label,
            reason,
            {"number": certificate.number, "status": "revoked"},
        )
    ]
    assert _renders(callbacks) == []  # nothing is reissued or rendered


def test_refused_revocation_leaves_the_certificate_alone(
    registered, registrar, django_capture_on_commit_callbacks
):
    # given a revocation without a reason
    before = _certificate_state()
    journal_before = JournalEvent.objects.count()
    # when
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ValidationError) as refused,
    ):
        services.asset_revoke(asset=registered, actor=registrar, reason="  ")
    # then
    assert refused.value.message_dict == {"reason": ["A reason is required for this step."]}
    assert _certificate_state() == before
    assert JournalEvent.objects.count() == journal_before
    assert callbacks == []


def test_expiry_leaves_the_certificate_valid_but_reported_expired(
    registered, django_capture_on_commit_callbacks
):
    # given
    (certificate,) = _certificates(registered)
    # when the validity lapses
    with django_capture_on_commit_callbacks() as callbacks:
        services.asset_expire(asset=registered, on=AFTER_EXPIRY)
    # then the certificate itself is untouched, and verifiers are told it has expired
    certificate = selectors.certificate_by_number(certificate.number)
    assert certificate.status == CertificateStatus.VALID
    assert certificate.status_changed_at is None
    assert selectors.effective_status(certificate) == selectors.EFFECTIVE_EXPIRED == "expired"
    assert [e[0] for e in _certificate_events(registered)] == [CERTIFICATE_ISSUED]
    assert _renders(callbacks) == []  # no certificate work (the holder is e-mailed)


def test_revoked_certificate_cannot_be_reissued(registered, registrar):
    # given a revoked registration
    services.asset_revoke(asset=registered, actor=registrar, reason="来源不合法")
    before = _certificate_state()
    journal_before = JournalEvent.objects.count()
    # when the registrar tries to amend it
    with pytest.raises(InvalidTransition):
        services.asset_amend(
            asset=registered, actor=registrar, changes={"update_frequency": "weekly"}, reason="x"
        )
    # then
    assert _certificate_state() == before
    assert JournalEvent.objects.count() == journal_before


# --- numbers -------------------------------------------------------------------------------------
def test_numbers_are_never_reused(registered, registrar, new_holder):
    # given / when: the certificate is reissued three times, revoked, and another asset registered
    _amend(registered, registrar, new_holder)
    _renew(registered, registrar, new_holder)
    _transfer(registered, registrar, new_holder)
    services.asset_revoke(asset=registered, actor=registrar, reason="来源不合法")
    other = registered_asset(registrar=registrar, name="天津港船舶靠泊数据集")
    # then five certificates, five numbers, serials strictly increasing
    first, second, third, fourth = _certificates(registered)
    (fifth,) = _certificates(other)
    chain = [first, second, third, fourth, fifth]
    numbers = [c.number for c in chain]
    assert len(set(numbers)) == 5
    assert all(c.number[:10] == _expected_number_prefix(c) for c in chain)
    serials = [int(n[10:]) for n in numbers]
    assert serials == sorted(serials)
    assert [c.status for c in chain] == [
        "superseded",
        "superseded",
        "superseded",
        "revoked",
        "valid",
    ]
    assert [c.supersedes_id for c in chain] == [None, first.pk, second.pk, third.pk, None]
    assert [c.asset_version for c in chain] == [1, 2, 3, 4, 1]
    # and the journal tells the whole story, in order
    assert [(e[0], e[1]) for e in _certificate_events(registered)] == [
        (CERTIFICATE_ISSUED, first.number),
        (CERTIFICATE_SUPERSEDED, first.number),
        (CERTIFICATE_ISSUED, second.number),
        (CERTIFICATE_SUPERSEDED, second.number),
        (CERTIFICATE_ISSUED, third.number),
        (CERTIFICATE_SUPERSEDED, third.number),
        (CERTIFICATE_ISSUED, fourth.number),
        (CERTIFICATE_REVOKED, fourth.number),
    ]


# --- rendering -----------------------------------------------------------------------------------
def test_rendered_once_after_commit(in_publicity, registrar, django_capture_on_commit_callbacks):
    # given a registration whose transaction has not committed yet
    with django_capture_on_commit_callbacks() as callbacks:
        asset = services.asset_register(asset=in_publicity, actor=registrar, on=AFTER_PUBLICITY)
    (certificate,) = _certificates(asset)
    assert certificate.rendered_at is None
    assert not certificate.document
    # when it commits (the immediate task backend renders at once)
    (on_commit,) = _renders(callbacks)
    on_commit()
    # then the signed PDF is stored and its hash recorded
    certificate.refresh_from_db()
    stored = certificate.document.read()
    certificate.document.close()
    assert stored.startswith(b"%PDF-")
    assert (
        certificate.document.name
        == f"certificates/{certificate.number[:4]}/{certificate.number}.pdf"
    )
    assert certificate.document_sha256 == hashlib.sha256(stored).hexdigest()
    assert certificate.document_size == len(stored)
    assert certificate.signed is True
    assert certificate.rendered_at is not None
    assert certificate.status == CertificateStatus.VALID
    # and the rendering is journaled by the renderer, not by a person
    rendered = JournalEvent.objects.get(event_type=CERTIFICATE_RENDERED)
    assert rendered.actor is None
    assert rendered.actor_label == RENDERER_LABEL == "system (certificate renderer)"
    assert rendered.asset_id == asset.pk
    assert rendered.subject_type == "certificate"
    assert rendered.subject_id == certificate.number
    assert rendered.payload == {
        "number": certificate.number,
        "status": "valid",
        "document_sha256": certificate.document_sha256,
        "size": len(stored),
        "signed": True,
    }


def test_render_again_does_not_rerender(
    in_publicity, registrar, django_capture_on_commit_callbacks
):
    # given a rendered certificate
    with django_capture_on_commit_callbacks(execute=True):
        asset = services.asset_register(asset=in_publicity, actor=registrar, on=AFTER_PUBLICITY)
    (certificate,) = _certificates(asset)
    stored = certificate.document.read()
    certificate.document.close()
    storage_dir = certificate.document.storage.path(f"certificates/{certificate.number[:4]}")
    journal_before = JournalEvent.objects.count()
    # when rendering is asked for again
    again = certificate_render(certificate_id=certificate.pk)
    # then the stored document is returned as it was
    again.refresh_from_db()
    assert again.document_sha256 == certificate.document_sha256
    assert again.rendered_at == certificate.rendered_at
    assert again.document.name == certificate.document.name
    assert again.document.read() == stored
    again.document.close()
    assert JournalEvent.objects.count() == journal_before
    assert JournalEvent.objects.filter(event_type=CERTIFICATE_RENDERED).count() == 1
    assert os.listdir(storage_dir) == [f"{certificate.number}.pdf"]


# --- database invariants -------------------------------------------------------------------------
def _row(**overrides) -> Certificate:
    fields = {
        "number": "20261112009999999",
        "kind": CertificateKind.REGISTRATION,
        "status": CertificateStatus.SUPERSEDED,
        "data": {},
        "issued_at": clock.now(),
    }
    fields.update(overrides)
    return Certificate(**fields)


def test_database_refuses_a_second_valid_registration_certificate(registered):
    # given the asset's valid certificate
    before = _certificate_state()
    # when a second valid one is written directly, bypassing the services
    with (
        pytest.raises(
            IntegrityError,
            # PostgreSQL names the partial unique index, SQLite the column
            match=r"certificate_one_valid_registration_per_asset|certificates_certificate\.asset_id",
        ),
        transaction.atomic(),
    ):
        _row(asset=registered, status=CertificateStatus.VALID).save()
    # then
    assert _certificate_state() == before


@pytest.mark.parametrize(
    ("overrides", "constraint"),
    [
        ({"number": "2026111200000001"}, "certificate_number_17"),  # 16 digits
        # 18 digits: PostgreSQL's varchar(17) refuses it before the check constraint does
        ({"number": "202611120000000012"}, r"certificate_number_17|value too long"),
        ({"status": "cancelled"}, "certificate_status_valid"),
        ({"kind": "licence"}, "certificate_kind_valid"),
        (
            {"rendered_at": dt.datetime(2026, 6, 9, tzinfo=dt.UTC)},
            "certificate_rendered_has_hash",
        ),
    ],
    ids=["16-digit-number", "18-digit-number", "unknown-status", "unknown-kind", "unhashed"],
)
def test_database_refuses_invalid_certificate_rows(registered, overrides, constraint):
    # given
    before = _certificate_state()
    # when a row breaking one invariant is written directly
    with pytest.raises((IntegrityError, DataError), match=constraint), transaction.atomic():
        _row(asset=registered, **overrides).save()
    # then
    assert _certificate_state() == before


def test_database_accepts_a_second_valid_certificate_for_another_asset(registered, registrar):
    # given / when: one valid certificate each for two assets, and a superseded one beside
    other = registered_asset(registrar=registrar, actor=UserFactory(), name="天津港船舶靠泊数据集")
    _row(asset=registered).save()
    # then
    assert Certificate.objects.filter(status=CertificateStatus.VALID).count() == 2
    assert Certificate.objects.filter(asset=other).count() == 1


def _renders(callbacks) -> list:
    """The on-commit callbacks that dispatch a rendering from the outbox (others dispatch
    e-mails)."""
    return [
        c
        for c in callbacks
        if isinstance(c, functools.partial)
        and OutboxMessage.objects.filter(pk__in=c.keywords["ids"], topic=RENDER_TOPIC).exists()
    ]
