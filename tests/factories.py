"""factory-boy factories: the one place tests build organisations, users and assets."""

import datetime as dt
import itertools

import factory
from django.core.files.base import ContentFile

from registry.choices import OrganisationKind, Role
from registry.identifiers import uscc_with_check_character
from registry.models import DataAsset, Organisation, User

_uscc_serial = itertools.count(1)


def make_uscc(prefix: str = "91") -> str:
    """A valid USCC: registration authority + category, area code 120000, serial, check char."""
    body = f"{prefix}120000{next(_uscc_serial):09d}"
    return uscc_with_check_character(body)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"天津数据科技有限公司{n}")
    uscc = factory.LazyFunction(make_uscc)
    kind = OrganisationKind.ENTERPRISE


class RegistryOrganisationFactory(OrganisationFactory):
    name = "天津数据资产登记评估中心"
    uscc = factory.LazyFunction(lambda: make_uscc("12"))
    kind = OrganisationKind.REGISTRY


class BankFactory(OrganisationFactory):
    name = factory.Sequence(lambda n: f"天津银行分行{n}")
    kind = OrganisationKind.BANK


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-2026-test")
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.ENTERPRISE

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RegistrarFactory(UserFactory):
    organisation = factory.SubFactory(RegistryOrganisationFactory)
    role = Role.REGISTRAR
    is_staff = True


def complete_application(**overrides) -> dict:
    """Every field a complete application needs (domain.md section 2), as service input."""
    data = {
        "name": "港口集装箱物流轨迹数据集",
        "description": "天津港集装箱进出港及堆场作业轨迹，经清洗、脱敏后形成的结构化数据集。",
        "industry": "G",
        "data_category": "enterprise",
        "data_format": "table",
        "source": "self_collected",
        "record_count": 1_250_000,
        "size_bytes": 3_400_000_000,
        "time_span_start": dt.date(2021, 1, 1),
        "time_span_end": dt.date(2025, 12, 31),
        "update_frequency": "daily",
        "application_scenarios": "物流调度优化；供应链金融风控。",
        "processing_rules": "采集→清洗→去重→脱敏→按日汇总。",
        "security_level": "general",
        "involves_personal_info": False,
        "right_holding": True,
        "right_processing": True,
        "sample_file": ContentFile(
            b"container_id,time,berth\nTJU001,2025-01-01T08:00,3\n", "s.csv"
        ),
    }
    data.update(overrides)
    return data


def table_counts() -> dict[str, int]:
    """Row counts of every registry table, to assert that a refused operation wrote nothing."""
    from registry.models import AssetVersion, JournalEvent, Objection

    return {
        "assets": DataAsset.objects.count(),
        "versions": AssetVersion.objects.count(),
        "journal": JournalEvent.objects.count(),
        "objections": Objection.objects.count(),
        "organisations": Organisation.objects.count(),
    }


# --- valuation ----------------------------------------------------------------------------------
def registered_asset(*, registrar: User, actor: User | None = None, **overrides) -> DataAsset:
    """A registered asset, taken through the real workflow services (publicity 2026-05-25, 10
    working days, registered 2026-06-09), held by `actor`'s organisation (or a new enterprise)."""
    from registry import services

    actor = actor or UserFactory()
    asset = services.asset_create(
        actor=actor, holder=actor.organisation, data=complete_application(**overrides)
    )
    asset = services.asset_submit(asset=asset, actor=actor)
    asset = services.asset_accept_for_review(asset=asset, actor=registrar)
    asset = services.asset_start_publicity(asset=asset, actor=registrar, on=dt.date(2026, 5, 25))
    return services.asset_register(asset=asset, actor=registrar, on=dt.date(2026, 6, 9))


def quality_body(count: str, evaluated: str = "100", key: str = "element_completeness") -> dict:
    """A GB/T 36344 body with one measured sub-indicator: score = 100 × count / evaluated."""
    return {"measurements": {key: {"count": count, "evaluated": evaluated}}}


def valuation_counts() -> dict[str, int]:
    """Row counts of the valuation tables and the journal, to assert that nothing was written."""
    from registry.models import JournalEvent
    from valuation.models import Appraisal, QualityAssessment, UsageRecord

    return {
        "quality": QualityAssessment.objects.count(),
        "usage": UsageRecord.objects.count(),
        "appraisals": Appraisal.objects.count(),
        "journal": JournalEvent.objects.count(),
    }
