"""A working day on the embedded default (SQLite) with its worker, as `make run` serves it: a real
server process and a real worker process beside it, enterprises, a registrar and visitors clicking
at the same time. Every request must answer without a server error ("database is locked" among
them); every registration ends with its rendered certificate. Runs on PostgreSQL too."""

from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from certificates.models import Certificate, CertificateStatus
from registry.choices import AssetStatus
from registry.models import DataAsset, Objection
from tests.factories import OrganisationFactory, RegistrarFactory, UserFactory
from tests.faults.processes import runserver, wait_for, workers

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-2026-test"  # the factories' password
ENTERPRISES = 4
ASSETS_EACH = 2
OBJECTED = {0, 3}  # which asset of the day (by its place) a visitor objects to
MAIL = {"EMAIL_URL": "consolemail://"}  # the notifications the day sends, on the console
SAMPLE = "日期,堆场,箱量\n2026-01-01,A1,120\n".encode()


class Client:
    """One person's browser: a session with its CSRF token; every answer is recorded."""

    def __init__(self, base: str, answers: list, lock: threading.Lock):
        self.base = base
        self.session = requests.Session()
        self.answers = answers
        self.lock = lock

    def _record(self, method: str, path: str, response: requests.Response) -> requests.Response:
        with self.lock:
            self.answers.append((method, path, response.status_code, response.text[:300]))
        return response

    def get(self, path: str) -> requests.Response:
        return self._record("GET", path, self.session.get(self.base + path, timeout=60))

    def post(self, path: str, data: dict, files: dict | None = None) -> requests.Response:
        token = self.session.cookies.get("csrftoken") or ""
        response = self.session.post(
            self.base + path,
            data={**data, "csrfmiddlewaretoken": token},
            files=files,
            headers={"Referer": self.base + path},
            timeout=60,
        )
        return self._record("POST", path, response)

    def form(self, path: str, data: dict, files: dict | None = None) -> requests.Response:
        self.get(path)
        return self.post(path, data, files)


def _application(name: str) -> dict:
    return {
        "name": name,
        "description": "天津港集装箱堆场每日作业记录，经清洗与脱敏后形成的数据集。",
        "industry": "G",
        "data_category": "enterprise",
        "data_format": "table",
        "source": "self_collected",
        "record_count": "820000",
        "size_bytes": "1500000000",
        "time_span_start": "2022-01-01",
        "update_frequency": "daily",
        "application_scenarios": "堆场调度优化；港口物流金融。",
        "processing_rules": "采集→清洗→去重→脱敏→按日汇总。",
        "security_level": "general",
        "right_holding": "on",
        "right_processing": "on",
        "action": "submit",
    }


def _enterprise_applies(client: Client, username: str, names: list[str]) -> None:
    client.form("/accounts/login/", {"username": username, "password": PASSWORD})
    client.get("/portal/")
    for name in names:
        client.form(
            "/portal/assets/new/",
            _application(name),
            files={"sample_file": ("sample.csv", SAMPLE, "text/csv")},
        )
        client.get("/portal/")


def _admin_step(client: Client, asset_id: int, step: str, reason: str = "") -> None:
    path = f"/admin/registry/dataasset/{asset_id}/transition/{step}/"
    client.form(path, {"apply": "1", "reason": reason})


def _visitor_objects(client: Client, asset_id: int) -> None:
    client.get("/publicity/")
    client.form(
        f"/publicity/{asset_id}/object/",
        {
            "objector_name": "天津某物流有限公司",
            "objector_contact": "legal@logistics.example.cn",
            "reasons": "部分堆场数据由我司采集，请核实权属。",
        },
    )


def _browse(client: Client, times: int) -> None:
    for n in range(times):
        client.get(["/", "/assets/", "/publicity/", "/verify/", "/assets/?q=港口"][n % 5])


def test_a_working_day_on_the_embedded_default_answers_every_request(tmp_path):
    RegistrarFactory(username="registrar1")
    users = [
        UserFactory(username=f"ent{n}", organisation=OrganisationFactory()).username
        for n in range(ENTERPRISES)
    ]
    answers: list = []
    lock = threading.Lock()
    with (
        workers(1, tmp_path, EMAIL_URL="consolemail://"),
        runserver(tmp_path / "server.log", EMAIL_URL="consolemail://") as base,
    ):
        # Morning: the enterprises apply while visitors browse the register.
        with ThreadPoolExecutor(max_workers=ENTERPRISES + 2) as pool:
            jobs = [
                pool.submit(
                    _enterprise_applies,
                    Client(base, answers, lock),
                    user,
                    [f"{user}数据集{k}" for k in range(ASSETS_EACH)],
                )
                for user in users
            ]
            jobs += [pool.submit(_browse, Client(base, answers, lock), 25) for _ in range(2)]
            for job in jobs:
                job.result()
        assets = list(DataAsset.objects.order_by("pk").values_list("pk", flat=True))
        assert len(assets) == ENTERPRISES * ASSETS_EACH

        # The registrar works through the files while visitors object and browse.
        registrar = Client(base, answers, lock)
        registrar.form("/admin/login/", {"username": "registrar1", "password": PASSWORD})

        def review(asset_id: int) -> None:
            _admin_step(registrar, asset_id, "accept_for_review")
            _admin_step(registrar, asset_id, "start_publicity")

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(review, assets))
        with ThreadPoolExecutor(max_workers=4) as pool:
            jobs = [
                pool.submit(_visitor_objects, Client(base, answers, lock), assets[n])
                for n in OBJECTED
            ]
            jobs += [pool.submit(_browse, Client(base, answers, lock), 20) for _ in range(2)]
            for job in jobs:
                job.result()
        for objection in Objection.objects.all():
            registrar.get("/admin/registry/objection/")
            registrar.post(
                "/admin/registry/objection/",
                {"action": "dismiss", "_selected_action": objection.pk},
            )
            registrar.post(
                "/admin/registry/objection/",
                {
                    "action": "dismiss",
                    "_selected_action": objection.pk,
                    "apply": "1",
                    "note": "经核查，异议不成立。",
                },
            )
        # Ten working days later (the calendar moved: the publicity ended yesterday)...
        yesterday = dt.date.today() - dt.timedelta(days=1)
        DataAsset.objects.filter(pk__in=assets).update(
            publicity_start=yesterday - dt.timedelta(days=14), publicity_end=yesterday
        )
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda pk: _admin_step(registrar, pk, "register", "公示期满"), assets))
        assert set(DataAsset.objects.values_list("status", flat=True)) == {AssetStatus.REGISTERED}

        # Afternoon: the worker renders; the enterprises download, visitors verify.
        wait_for(
            lambda: not Certificate.objects.filter(rendered_at__isnull=True).exists(),
            timeout=180,
            what="every certificate rendered by the worker",
        )
        numbers = list(
            Certificate.objects.filter(status=CertificateStatus.VALID).values_list(
                "number", flat=True
            )
        )
        visitor = Client(base, answers, lock)
        for number in numbers:
            document = registrar.get(f"/certificates/{number}.pdf")
            assert document.headers["Content-Type"] == "application/pdf"
            assert visitor.get(f"/verify/{number}/").status_code == 200
        _browse(visitor, 20)

    failures = [a for a in answers if a[2] >= 500 or re.search("database is locked", a[3])]
    print(f"\n{len(answers)} requests, {len(failures)} server errors")
    assert len(answers) >= 200
    assert failures == []
    # Nothing was refused either: every form went through (redirects) and every page answered.
    refused = [a for a in answers if a[2] >= 400]
    assert refused == []
    assert Objection.objects.count() == len(OBJECTED)
