"""Demo data for `manage.py seed_demo`: organisations, the three demo logins and assets in every
workflow status, all made through the services so that each carries a consistent journal.

Idempotent: organisations and users are looked up by USCC and username, assets by holder and name;
whatever already exists is left as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction

from certificates.models import Certificate
from certificates.render import certificate_render
from core import clock
from pledges.models import Pledge
from pledges.services import pledge_register
from registry import services
from registry.choices import AssetStatus, OrganisationKind, Role
from registry.identifiers import uscc_with_check_character
from registry.models import DataAsset, Organisation, User

DEMO_PASSWORD = "demo-pass-2026"

REGISTRY = ("天津数据资产登记评估中心", "12120000MB0A00001", OrganisationKind.REGISTRY)
PORT_DATA = ("天津港数据服务有限公司", "91120116MA0600001", OrganisationKind.ENTERPRISE)
CITY_OPS = ("天津智慧城市运营有限公司", "91120101MA0600002", OrganisationKind.ENTERPRISE)
WEATHER = ("渤海气象数据科技有限公司", "91120104MA0600003", OrganisationKind.ENTERPRISE)
BANK = ("津门商业银行股份有限公司", "91120000MA0600004", OrganisationKind.BANK)
SECOND_BANK = ("渤海湾农村商业银行股份有限公司", "91120000MA0600005", OrganisationKind.BANK)


@dataclass
class SeedReport:
    organisations: int = 0
    users: int = 0
    assets: int = 0
    logins: list[str] = field(default_factory=list)
    bank_api_key: str = ""


def _organisation(name: str, uscc_body: str, kind: str, report: SeedReport) -> Organisation:
    uscc = uscc_with_check_character(uscc_body[:17])
    organisation = Organisation.objects.filter(uscc=uscc).first()
    if organisation is None:
        organisation = Organisation(name=name, uscc=uscc, kind=kind)
        organisation.full_clean()
        organisation.save()
        report.organisations += 1
    return organisation


def _user(username: str, organisation: Organisation | None, role: str, report: SeedReport, **kw):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, organisation=organisation, role=role, **kw)
        user.set_password(DEMO_PASSWORD)
        user.save()
        report.users += 1
    report.logins.append(username)
    return user


def _application(name: str, **overrides) -> dict:
    data = {
        "name": name,
        "description": f"{name}：经采集、清洗、脱敏与质量校验后形成的数据集合。",
        "industry": "I",
        "data_category": "enterprise",
        "data_format": "table",
        "source": "self_collected",
        "record_count": 2_400_000,
        "size_bytes": 5_300_000_000,
        "time_span_start": dt.date(2021, 1, 1),
        "update_frequency": "daily",
        "application_scenarios": "运营决策分析；供应链金融风控；行业研究。",
        "processing_rules": "多源采集→清洗去重→字段标准化→脱敏→按日汇总入库。",
        "security_level": "general",
        "right_holding": True,
        "right_processing": True,
        "right_operation": True,
        "sample_file": ContentFile(f"demo sample of {name}\n".encode(), "sample.csv"),
    }
    data.update(overrides)
    return data


def _publicise(asset, registrar, on: dt.date):
    asset = services.asset_submit(asset=asset, actor=registrar)
    asset = services.asset_accept_for_review(asset=asset, actor=registrar)
    return services.asset_start_publicity(asset=asset, actor=registrar, on=on)


def _register(asset, registrar, announced: dt.date):
    asset = _publicise(asset, registrar, announced)
    return services.asset_register(
        asset=asset, actor=registrar, on=asset.publicity_end + dt.timedelta(days=1)
    )


def seed(today: dt.date | None = None) -> SeedReport:
    today = today or clock.today()
    report = SeedReport()
    with transaction.atomic():
        registry_org = _organisation(*REGISTRY, report)
        port = _organisation(*PORT_DATA, report)
        city = _organisation(*CITY_OPS, report)
        weather = _organisation(*WEATHER, report)
        bank = _organisation(*BANK, report)
        second_bank = _organisation(*SECOND_BANK, report)
        registrar = _user("registrar", registry_org, Role.REGISTRAR, report, is_staff=True)
        _user("enterprise", port, Role.ENTERPRISE, report)
        _user("bank", bank, Role.BANK, report)
        _user("admin", None, "", report, is_staff=True, is_superuser=True)

    month_ago = today - dt.timedelta(days=40)
    scenarios = [
        (port, "港口集装箱物流轨迹数据集", AssetStatus.REGISTERED, {"industry": "G"}),
        (port, "港口船舶靠泊作业数据集", AssetStatus.REGISTERED, {"industry": "G"}),
        (
            city,
            "城市交通卡口流量数据集",
            AssetStatus.REGISTERED,
            {
                "data_category": "public_authorised",
                "source": "public_authorisation",
                "source_proof": "天津市数据局公共数据授权运营协议（2025）第12号",
                "source_licence_start": dt.date(2025, 1, 1),
                "source_licence_end": today + dt.timedelta(days=700),
            },
        ),
        (weather, "渤海海域气象观测数据集", AssetStatus.REGISTERED, {"industry": "M"}),
        (port, "港口堆场设备运行数据集", AssetStatus.DRAFT, {}),
        (port, "集疏运车辆预约数据集", AssetStatus.SUBMITTED, {}),
        (city, "城市停车泊位动态数据集", AssetStatus.RETURNED, {}),
        (weather, "近海风场再分析数据集", AssetStatus.UNDER_REVIEW, {"industry": "M"}),
        (city, "城市公共自行车骑行数据集", AssetStatus.PUBLICITY, {}),
        (weather, "沿海能见度观测数据集", AssetStatus.OBJECTED, {"industry": "M"}),
        (city, "城市餐饮门店经营数据集", AssetStatus.REJECTED, {"industry": "H"}),
        (port, "港口危险品申报数据集", AssetStatus.CANCELLED, {}),
        (city, "城市共享充电桩交易数据集", AssetStatus.REVOKED, {}),
        (weather, "历史台风路径数据集", AssetStatus.EXPIRED, {"industry": "M"}),
    ]
    for holder, name, target, overrides in scenarios:
        if DataAsset.objects.filter(holder=holder, name=name).exists():
            continue
        with transaction.atomic():
            _make_asset(holder, name, target, overrides, registrar, today, month_ago)
        report.assets += 1
    _pledge_demo_assets(port, bank, second_bank, registrar, today)
    _render_pending_certificates()
    report.bank_api_key = _bank_api_key(bank)
    return report


def _pledge_demo_assets(port, bank, second_bank, registrar, today: dt.date) -> None:
    """Two pledges on the first demo asset (ranked 1 and 2), one on the second."""

    plan = [
        ("港口集装箱物流轨迹数据集", bank, "5000000.00", 365),
        ("港口集装箱物流轨迹数据集", second_bank, "2000000.00", 540),
        ("港口船舶靠泊作业数据集", bank, "1200000.00", 730),
    ]
    for name, pledgee, amount, days in plan:
        asset = DataAsset.objects.get(holder=port, name=name)
        if Pledge.objects.filter(asset=asset, pledgee=pledgee).exists():
            continue
        pledge_register(
            asset=asset,
            pledgee=pledgee,
            actor=registrar,
            secured_amount=amount,
            debt_start=today,
            debt_end=today + dt.timedelta(days=days),
        )


def _bank_api_key(bank: Organisation) -> str:
    """A new key for the demo bank on every run: keys are stored hashed, so an old one cannot be
    shown again."""
    _api_key, key = services.api_key_issue(organisation=bank, actor=None, name="demo")
    return key


def _render_pending_certificates() -> None:
    """The demo's certificates are ready at once, with or without a task worker running."""

    for pk in Certificate.objects.filter(rendered_at__isnull=True).values_list("pk", flat=True):
        certificate_render(certificate_id=pk)


def _make_asset(holder, name, target, overrides, registrar, today, month_ago):
    S = AssetStatus
    asset = services.asset_create(
        actor=registrar, holder=holder, data=_application(name, **overrides)
    )
    if target == S.DRAFT:
        return
    if target == S.RETURNED:
        asset = services.asset_submit(asset=asset, actor=registrar)
        services.asset_return_for_correction(
            asset=asset,
            actor=registrar,
            missing=["补充数据来源授权证明文件", "补充个人信息去标识化说明"],
        )
        return
    if target == S.SUBMITTED:
        services.asset_submit(asset=asset, actor=registrar)
        return
    if target == S.UNDER_REVIEW:
        asset = services.asset_submit(asset=asset, actor=registrar)
        services.asset_accept_for_review(asset=asset, actor=registrar)
        return
    if target in (S.PUBLICITY, S.OBJECTED):
        asset = _publicise(asset, registrar, today)
        if target == S.OBJECTED:
            services.objection_file(
                asset=asset,
                objector_name="天津某气象服务有限公司",
                objector_contact="legal@example.cn",
                reasons="该数据集部分观测站点数据由我司采集，申请人未取得授权。",
                on=today,
            )
        return
    if target == S.REJECTED:
        asset = services.asset_submit(asset=asset, actor=registrar)
        asset = services.asset_accept_for_review(asset=asset, actor=registrar)
        services.asset_reject(
            asset=asset, actor=registrar, reason="数据来源合法性证明不足，不予登记。"
        )
        return
    if target == S.EXPIRED:
        asset = _register(asset, registrar, today - dt.timedelta(days=3 * 365 + 60))
        services.asset_expire(asset=asset, actor=None, on=today)
        return
    asset = _register(asset, registrar, month_ago)
    if target == S.CANCELLED:
        services.asset_cancel(asset=asset, actor=registrar, reason="权利人申请注销。")
    elif target == S.REVOKED:
        services.asset_revoke(
            asset=asset, actor=registrar, reason="经核查存在虚假申报材料，撤销登记。"
        )
