"""Builders shared by the bank API tests (no tests here): registered assets with their certificate,
grade and appraisal written directly (the workflow itself is tested elsewhere, and a live server
would render certificate PDFs), pledges through the real service, and one caller of each kind.

`bank_world()` builds the scene of the permission matrix: an asset of 天津港数据服务有限公司 graded
A, appraised at 18,500,000.00 and pledged once to the pledgee bank."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.test import Client as DjangoClient

from certificates.models import Certificate, CertificateKind, CertificateStatus
from pledges import services as pledge_services
from pledges.models import Pledge
from registry import services
from registry.choices import AssetStatus
from registry.identifiers import compose_registration_number
from registry.models import DataAsset, Organisation, User
from tests.api.conftest import Client, IssuedKey
from tests.factories import BankFactory, OrganisationFactory, UserFactory
from valuation.models import Appraisal, AppraisalStatus, QualityAssessment

SHANGHAI = ZoneInfo("Asia/Shanghai")
REGISTERED_AT = dt.datetime(2026, 6, 9, 10, 0, tzinfo=SHANGHAI)
VALID_UNTIL = dt.date(2029, 6, 8)
DEBT_START = dt.date(2026, 7, 1)
DEBT_END = dt.date(2027, 6, 30)
REGISTRATION_END = dt.date(2027, 12, 31)
CSRF_TOKEN = "a" * 32  # Django accepts the unmasked 32-character secret as the header token

_serial = itertools.count(1)
_certificate_serial = itertools.count(1)


def make_asset(
    holder: Organisation,
    *,
    name: str | None = None,
    status: str = AssetStatus.REGISTERED,
    registered_at: dt.datetime = REGISTERED_AT,
    data_category: str = "enterprise",
    valid_until: dt.date = VALID_UNTIL,
) -> DataAsset:
    serial = next(_serial)
    number = compose_registration_number(
        year=2026, source_code="01", subject_code=holder.uscc[0], sequence=serial
    )
    return DataAsset.objects.create(
        holder=holder,
        name=name or f"港口物流数据集{serial}",
        description="天津港集装箱进出港轨迹。",
        industry="G",
        data_category=data_category,
        data_format="table",
        source="self_collected",
        record_count=1_250_000,
        size_bytes=3_400_000_000,
        time_span_start=dt.date(2021, 1, 1),
        time_span_end=dt.date(2025, 12, 31),
        update_frequency="daily",
        security_level="general",
        right_holding=True,
        right_processing=True,
        evidence_sha256="ab" * 32,
        status=status,
        registration_number=number,
        version=1,
        registered_at=registered_at,
        valid_from=registered_at.astimezone(SHANGHAI).date(),
        valid_until=valid_until,
    )


def make_certificate(
    asset: DataAsset, *, status: str = CertificateStatus.VALID, day: int = 9
) -> Certificate:
    return Certificate.objects.create(
        number=f"2026061200{next(_certificate_serial):07d}",
        kind=CertificateKind.REGISTRATION,
        status=status,
        asset=asset,
        asset_version=1,
        data={"registration_number": asset.registration_number},
        issued_at=dt.datetime(2026, 6, day, 11, 0, tzinfo=SHANGHAI),
    )


def grade(asset: DataAsset, assessor: User, letter: str, score: str) -> QualityAssessment:
    return QualityAssessment.objects.create(
        asset=asset,
        assessed_on=dt.date(2026, 6, 20),
        assessor=assessor,
        measurements={},
        indicators={},
        score=Decimal(score),
        grade=letter,
        formula="S = Σ wᵢ·Sᵢ",
    )


def appraise(asset: DataAsset, value: str, base_date: dt.date) -> Appraisal:
    now = dt.datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI)
    return Appraisal.objects.create(
        asset=asset,
        method="cost",
        status=AppraisalStatus.FINAL,
        base_date=base_date,
        inputs={},
        value_amount=Decimal(value),
        low_amount=Decimal(value),
        high_amount=Decimal(value),
        formula="P = C × δ",
        breakdown={},
        computed_at=now,
        finalised_at=now,
    )


def pledge(
    asset: DataAsset,
    bank: Organisation,
    actor,
    amount: str = "5000000.00",
    *,
    debt_end: dt.date = DEBT_END,
) -> Pledge:
    return pledge_services.pledge_register(
        asset=asset,
        pledgee=bank,
        actor=actor,
        secured_amount=amount,
        debt_start=DEBT_START,
        debt_end=debt_end,
        registration_end=REGISTRATION_END,
    )


def issue_key(organisation: Organisation, registrar: User) -> IssuedKey:
    record, key = services.api_key_issue(organisation=organisation, actor=registrar, name="loans")
    return IssuedKey(record=record, key=key)


def key_client(base_url: str, key: IssuedKey) -> Client:
    client = Client(base_url)
    client.session.headers.update(key.headers)
    return client


def session_client(base_url: str, user: User) -> Client:
    """A requests session carrying `user`'s Django session and a CSRF cookie + header pair."""
    django_client = DjangoClient()
    django_client.force_login(user)
    client = Client(base_url)
    client.session.cookies.set("sessionid", django_client.cookies["sessionid"].value)
    client.session.cookies.set("csrftoken", CSRF_TOKEN)
    return client


@dataclasses.dataclass
class BankWorld:
    registrar: User
    holder: Organisation
    holder_user: User
    other_user: User
    pledgee_bank: Organisation
    pledgee_key: IssuedKey
    other_bank: Organisation
    other_key: IssuedKey
    asset: DataAsset
    certificate: Certificate
    pledge: Pledge

    def callers(self, base_url: str) -> dict[str, Client]:
        """One client per kind of caller of the permission matrix."""
        return {
            "anonymous": Client(base_url),
            "holder_session": session_client(base_url, self.holder_user),
            "other_enterprise_session": session_client(base_url, self.other_user),
            "other_bank_key": key_client(base_url, self.other_key),
            "pledgee_bank_key": key_client(base_url, self.pledgee_key),
            "registrar_session": session_client(base_url, self.registrar),
        }


def bank_world(registrar: User, holder: Organisation, holder_user: User) -> BankWorld:
    pledgee_bank = BankFactory(name="天津银行股份有限公司")
    other_bank = BankFactory(name="渤海银行股份有限公司")
    asset = make_asset(holder, name="港口集装箱物流轨迹数据集")
    certificate = make_certificate(asset)
    grade(asset, registrar, "A", "91.50")
    appraise(asset, "18500000.00", dt.date(2026, 6, 30))
    return BankWorld(
        registrar=registrar,
        holder=holder,
        holder_user=holder_user,
        other_user=UserFactory(organisation=OrganisationFactory(name="北京数据科技有限公司")),
        pledgee_bank=pledgee_bank,
        pledgee_key=issue_key(pledgee_bank, registrar),
        other_bank=other_bank,
        other_key=issue_key(other_bank, registrar),
        asset=asset,
        certificate=certificate,
        pledge=pledge(asset, pledgee_bank, registrar),
    )
