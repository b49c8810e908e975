import datetime as dt

import pytest

from registry import services
from tests.factories import (
    BankFactory,
    OrganisationFactory,
    RegistrarFactory,
    UserFactory,
    complete_application,
)

# A Monday; the 10 working days after it are 26-29 May and 1-5 June and 8 June (no holiday).
PUBLICITY_DAY = dt.date(2026, 5, 25)
PUBLICITY_END = dt.date(2026, 6, 8)
AFTER_PUBLICITY = dt.date(2026, 6, 9)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def registrar(db):
    return RegistrarFactory(username="registrar1")


@pytest.fixture
def holder(db):
    return OrganisationFactory(name="天津港数据服务有限公司")


@pytest.fixture
def enterprise_user(holder):
    return UserFactory(username="ent1", organisation=holder)


@pytest.fixture
def other_enterprise_user(db):
    return UserFactory(username="ent2", organisation=OrganisationFactory())


@pytest.fixture
def bank_user(db):
    return UserFactory(username="bank1", organisation=BankFactory(), role="bank")


@pytest.fixture
def draft(holder, enterprise_user):
    return services.asset_create(actor=enterprise_user, holder=holder, data=complete_application())


@pytest.fixture
def submitted(draft, enterprise_user):
    return services.asset_submit(asset=draft, actor=enterprise_user)


@pytest.fixture
def under_review(submitted, registrar):
    return services.asset_accept_for_review(asset=submitted, actor=registrar)


@pytest.fixture
def in_publicity(under_review, registrar):
    return services.asset_start_publicity(asset=under_review, actor=registrar, on=PUBLICITY_DAY)


@pytest.fixture
def registered(in_publicity, registrar):
    return services.asset_register(asset=in_publicity, actor=registrar, on=AFTER_PUBLICITY)
