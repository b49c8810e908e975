"""The public pages (no login) through Django's test client: home and certificate lookup, the
register's search and records, the publicity list and its objection form (with the per-IP limit),
and the throttled login at /accounts/login/."""

import time

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.shortcuts import resolve_url
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from certificates.models import Certificate
from public import views
from registry import journal, services
from registry.choices import AssetStatus, ObjectionStatus
from registry.identifiers import compose_registration_number
from registry.models import DataAsset, JournalEvent, Objection
from tests.factories import UserFactory, complete_application, registered_asset, table_counts

PASSWORD = "pass-2026-test"  # UserFactory's password
FORMAT_ERROR = (
    "登记号格式错误：应为15位数字加1位校验码 "
    "(registration number must be 15 digits and a check character: YYYY SS T NNNNNNNN C)"
)
CHECK_ERROR = "登记号校验位错误 (registration number check character does not match: mistyped?)"
CERTIFICATE_FORMAT_ERROR = (
    "证书编号应为17位数字 "
    "(a certificate number has 17 digits: year, month, registry code and serial)"
)
PERIOD_ENDED = "The publicity period ended on 2026-06-08; objections are no longer accepted."
NOT_IN_PUBLICITY = "Cannot File objection: the asset is Registered."
REQUIRED = "This field is required."
LOGIN_FAILED = "Your username and password didn't match. Please try again."
PUBLIC_CACHE = {"private", "max-age=60"}
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
IP_A, IP_B = "203.0.113.7", "198.51.100.23"


# --- fixtures and helpers ------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters live in the cache: every test starts and ends without any."""
    cache.clear()
    yield
    cache.clear()


def _applicant(name: str):
    return UserFactory(username=f"applicant-{name}")


def _draft(name: str) -> DataAsset:
    user = _applicant(name)
    return services.asset_create(
        actor=user, holder=user.organisation, data=complete_application(name=name)
    )


def _submitted(name: str) -> DataAsset:
    asset = _draft(name)
    return services.asset_submit(asset=asset, actor=asset.created_by)


def _under_review(name: str, registrar) -> DataAsset:
    return services.asset_accept_for_review(asset=_submitted(name), actor=registrar)


@pytest.fixture
def open_publicity(registrar) -> DataAsset:
    """An application whose publicity was announced today, so objections are accepted now."""
    asset = _under_review("开放公示数据集", registrar)
    return services.asset_start_publicity(asset=asset, actor=registrar)


def _html(response) -> str:
    return response.content.decode()


def _cache_directives(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


def _events(asset: DataAsset) -> list[str]:
    return list(
        JournalEvent.objects.filter(asset=asset).order_by("id").values_list("event_type", flat=True)
    )


def _objection_url(asset: DataAsset) -> str:
    return reverse("public-objection-file", args=[asset.pk])


def _objection(**overrides) -> dict:
    data = {
        "objector_name": "天津某物流公司",
        "objector_contact": "legal@example.cn",
        "reasons": "该数据集包含我司提供的堆场数据，权属存在争议。",
    }
    data.update(overrides)
    return data


def _login(client: Client, username: str, password: str, ip: str = IP_A):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def _logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- home and certificate lookup -----------------------------------------------------------------
def test_home_page_explains_the_registry_and_links_every_public_service(client, db):
    # when
    response = client.get("/")

    # then
    assert response.status_code == 200
    html = _html(response)
    assert "天津数据资产登记评估中心" in html
    assert "Tianjin Data Asset Registration and Evaluation Center" in html
    assert "公示 10 个工作日" in html
    for link in ('href="/assets/"', 'href="/publicity/"', 'href="/accounts/login/"'):
        assert link in html
    assert 'href="/admin/"' in html
    assert 'action="/verify/"' in html
    assert _cache_directives(response) == PUBLIC_CACHE


def test_certificate_lookup_redirects_to_the_verification_page(client, registered):
    # given
    number = Certificate.objects.get(asset=registered).number
    typed = f" {number[:6]} {number[6:10]}-{number[10:]} "

    # when
    response = client.get("/verify/", {"number": typed})

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/verify/{number}/"


def test_certificate_lookup_with_a_malformed_number_stays_on_the_home_page(client, db):
    # when
    response = client.get("/verify/", {"number": "2026-12"})

    # then
    assert response.status_code == 400
    html = _html(response)
    assert CERTIFICATE_FORMAT_ERROR in html
    assert 'value="2026-12"' in html


def test_certificate_lookup_without_a_number_goes_home(client, db):
    # when
    response = client.get("/verify/")

    # then
    assert response.status_code == 302
    assert response["Location"] == "/"


# --- the public register -------------------------------------------------------------------------
def test_search_shows_the_public_fields_of_a_registered_asset(client, registered):
    # given
    certificate = Certificate.objects.get(asset=registered)

    # when
    response = client.get("/assets/")

    # then
    assert response.status_code == 200
    html = _html(response)
    assert response.context["page_obj"].paginator.count == 1
    assert registered.name in html
    assert registered.registration_number in html
    assert "天津港数据服务有限公司" in html
    assert registered.holder.uscc in html
    assert "Enterprise data" in html
    assert "Registered" in html
    assert "2026-06-09" in html  # registration date
    assert "2029-06-08" in html  # valid until
    assert f'href="/verify/{certificate.number}/"' in html
    assert f'href="/assets/{registered.registration_number}/"' in html
    assert _cache_directives(response) == PUBLIC_CACHE


def test_search_never_shows_drafts_or_applications_under_review(client, registrar):
    # given: one asset at each stage before registration, and one registered
    unpublished = [
        _draft("草稿数据集"),
        _submitted("已提交数据集"),
        _under_review("审查中数据集", registrar),
        services.asset_start_publicity(
            asset=_under_review("公示中数据集", registrar), actor=registrar
        ),
    ]
    registered = registered_asset(registrar=registrar, name="已登记数据集")

    # when
    everything = client.get("/assets/")
    by_name = client.get("/assets/", {"q": "数据集"})
    draft_status = client.get("/assets/", {"status": "draft"})

    # then
    assert [asset.pk for asset in everything.context["page_obj"]] == [registered.pk]
    assert [asset.pk for asset in by_name.context["page_obj"]] == [registered.pk]
    for asset in unpublished:
        assert asset.name not in _html(everything)
        assert asset.name not in _html(by_name)
    assert draft_status.context["page_obj"] is None
    assert "Select a valid choice. draft is not one of the available choices." in _html(
        draft_status
    )
    assert "草稿数据集" not in _html(draft_status)


def test_search_by_name_number_holder_name_or_uscc_and_by_status_and_category(client, registrar):
    # given
    port = registered_asset(registrar=registrar, name="港口集装箱轨迹")
    traffic = registered_asset(
        registrar=registrar, name="城市交通流量", data_category="public_authorised"
    )
    services.asset_revoke(asset=traffic, actor=registrar, reason="申请材料虚假。")
    number = port.registration_number
    spaced = f"{number[:4]} {number[4:7]}-{number[7:]}"

    def found(**query) -> list[int]:
        response = client.get("/assets/", query)
        assert response.status_code == 200
        return [asset.pk for asset in response.context["page_obj"]]

    # when / then
    assert found(q="集装箱") == [port.pk]
    assert found(q=spaced) == [port.pk]
    assert found(q=traffic.holder.name) == [traffic.pk]
    assert found(q=port.holder.uscc.lower()) == [port.pk]
    assert found(q=port.holder.uscc[:10]) == []  # a USCC is matched whole
    assert found(status="revoked") == [traffic.pk]
    assert found(status="registered") == [port.pk]
    assert found(category="enterprise") == [port.pk]
    assert found(category="public_authorised", status="revoked") == [traffic.pk]
    assert found(q="不存在的名称") == []


def test_search_pages_by_twenty(client, registrar):
    # given: 21 registered assets
    assets = [registered_asset(registrar=registrar, name=f"数据集{n:02d}") for n in range(21)]

    # when
    first = client.get("/assets/", {"q": "数据集"})
    second = client.get("/assets/", {"q": "数据集", "page": 2})
    beyond = client.get("/assets/", {"q": "数据集", "page": "x"})

    # then
    assert len(first.context["page_obj"]) == 20
    assert [asset.pk for asset in second.context["page_obj"]] == [assets[0].pk]  # the oldest
    assert 'href="?q=%E6%95%B0%E6%8D%AE%E9%9B%86&amp;page=2"' in _html(first)
    assert [asset.pk for asset in beyond.context["page_obj"]] == [
        asset.pk for asset in first.context["page_obj"]
    ]


def test_search_and_publicity_list_cost_the_same_queries_for_one_asset_or_several(
    client, registrar
):
    # given
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    registered_asset(registrar=registrar, name="数据集A")
    services.asset_start_publicity(asset=_under_review("公示A", registrar), actor=registrar)
    one = (queries("/assets/"), queries("/publicity/"))

    # when
    for n in range(3):
        registered_asset(registrar=registrar, name=f"数据集B{n}")
        services.asset_start_publicity(asset=_under_review(f"公示B{n}", registrar), actor=registrar)
    several = (queries("/assets/"), queries("/publicity/"))

    # then
    assert several == one


def test_asset_detail_shows_the_public_record(client, registered):
    # given
    certificate = Certificate.objects.get(asset=registered)

    # when
    response = client.get(f"/assets/{registered.registration_number}/")

    # then
    assert response.status_code == 200
    html = _html(response)
    assert registered.name in html
    assert registered.holder.uscc in html
    assert "数据资源持有权；数据加工使用权" in html  # rights, Chinese first
    assert "data resource holding right; data processing and use right" in html
    assert registered.evidence_sha256 in html
    assert "2029-06-08" in html
    assert f'href="/verify/{certificate.number}/"' in html
    assert _cache_directives(response) == PUBLIC_CACHE


def test_asset_detail_of_a_number_typed_with_dashes_redirects_to_the_canonical_url(
    client, registered
):
    # given
    number = registered.registration_number
    typed = f"{number[:4]}-{number[4:6]}-{number[6]}-{number[7:15]}-{number[15]}"

    # when
    response = client.get(f"/assets/{typed}/")

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/assets/{number}/"


def test_asset_detail_of_a_draft_id_or_an_unknown_number_is_not_found(client, draft):
    # given
    unknown = compose_registration_number(
        year=2026, source_code="01", subject_code="9", sequence=99_999_999
    )
    mistyped = unknown[:-2] + str((int(unknown[-2]) + 1) % 10) + unknown[-1]

    # when
    by_id = client.get(f"/assets/{draft.pk}/")
    by_unknown = client.get(f"/assets/{unknown}/")
    by_mistyped = client.get(f"/assets/{mistyped}/")

    # then
    assert by_id.status_code == 404
    assert FORMAT_ERROR in _html(by_id)
    assert draft.name not in _html(by_id)
    assert by_unknown.status_code == 404
    assert f"No registered asset has the number {unknown}." in _html(by_unknown)
    assert by_mistyped.status_code == 404
    assert CHECK_ERROR in _html(by_mistyped)


# --- publicity -----------------------------------------------------------------------------------
def test_publicity_list_shows_announced_applications_with_their_dates(
    client, in_publicity, registrar
):
    # given
    registered = registered_asset(registrar=registrar, name="已登记数据集")
    under_review = _under_review("审查中数据集", registrar)

    # when
    response = client.get("/publicity/")

    # then
    assert response.status_code == 200
    assert [asset.pk for asset in response.context["page_obj"]] == [in_publicity.pk]
    html = _html(response)
    assert in_publicity.name in html
    assert "天津港数据服务有限公司" in html
    assert in_publicity.holder.uscc in html
    assert "数据资源持有权；数据加工使用权" in html  # registration type: the rights claimed
    assert "天津港集装箱进出港及堆场作业轨迹" in html  # summary
    assert '<span class="publicity-start">2026-05-25</span>' in html
    assert '<span class="publicity-end">2026-06-08</span> <small>公示期已届满 period ended' in html
    assert f'href="/publicity/{in_publicity.pk}/object/"' in html
    assert registered.name not in html
    assert under_review.name not in html
    assert _cache_directives(response) == PUBLIC_CACHE


def test_publicity_list_keeps_an_objected_application(client, open_publicity):
    # given
    services.objection_file(asset=open_publicity, **_objection())

    # when
    response = client.get("/publicity/")

    # then
    assert [asset.pk for asset in response.context["page_obj"]] == [open_publicity.pk]
    assert "Objection pending" in _html(response)


# --- objections ----------------------------------------------------------------------------------
def test_objection_form_page(client, open_publicity):
    # when
    response = client.get(_objection_url(open_publicity))

    # then
    assert response.status_code == 200
    html = _html(response)
    assert open_publicity.name in html
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    assert "no-store" in _cache_directives(response)
    assert 'id="closed-notice"' not in html


def test_objection_during_publicity_is_filed(client, open_publicity):
    # given
    before = table_counts()
    evidence = SimpleUploadedFile("contract.pdf", PDF, content_type="application/pdf")

    # when
    response = client.post(
        _objection_url(open_publicity), {**_objection(), "evidence": evidence}, REMOTE_ADDR=IP_A
    )

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/publicity/{open_publicity.pk}/object/filed/"
    objection = Objection.objects.get()
    assert objection.asset_id == open_publicity.pk
    assert objection.objector_name == "天津某物流公司"
    assert objection.objector_contact == "legal@example.cn"
    assert objection.reasons == "该数据集包含我司提供的堆场数据，权属存在争议。"
    assert objection.status == ObjectionStatus.OPEN
    assert objection.evidence.read() == PDF
    open_publicity.refresh_from_db()
    assert open_publicity.status == AssetStatus.OBJECTED
    assert table_counts() == {**before, "objections": 1, "journal": before["journal"] + 2}
    assert _events(open_publicity) == [
        journal.ASSET_CREATED,
        journal.ASSET_SUBMITTED,
        journal.ASSET_ACCEPTED,
        journal.ASSET_PUBLICITY_STARTED,
        journal.OBJECTION_FILED,
        journal.ASSET_OBJECTED,
    ]
    labels = JournalEvent.objects.filter(asset=open_publicity).order_by("id")
    assert [event.actor_label for event in labels][-2:] == ["公众 / public: 天津某物流公司"] * 2

    # when: the browser follows the redirect
    confirmation = client.get(response["Location"])

    # then
    assert confirmation.status_code == 200
    assert "The registrar will review it" in _html(confirmation)
    assert open_publicity.name in _html(confirmation)


def test_objection_by_a_signed_in_user_names_the_user(client, open_publicity, enterprise_user):
    # given
    client.force_login(enterprise_user)

    # when
    response = client.post(_objection_url(open_publicity), _objection())

    # then
    assert response.status_code == 302
    filed = JournalEvent.objects.get(asset=open_publicity, event_type=journal.OBJECTION_FILED)
    assert filed.actor_id == enterprise_user.pk


def test_a_second_objection_keeps_the_asset_objected(client, open_publicity):
    # given
    client.post(_objection_url(open_publicity), _objection())

    # when
    response = client.post(_objection_url(open_publicity), _objection(objector_name="张三"))

    # then
    assert response.status_code == 302
    assert Objection.objects.filter(asset=open_publicity).count() == 2
    open_publicity.refresh_from_db()
    assert open_publicity.status == AssetStatus.OBJECTED


def test_objection_after_the_period_is_a_form_error_and_writes_nothing(client, in_publicity):
    # given: the publicity ended on 8 June 2026
    before = table_counts()

    # when
    response = client.post(_objection_url(in_publicity), _objection())

    # then
    assert response.status_code == 200
    html = _html(response)
    assert PERIOD_ENDED in html
    assert 'id="closed-notice"' in html
    assert 'value="天津某物流公司"' in html
    assert "该数据集包含我司提供的堆场数据，权属存在争议。</textarea>" in html
    assert table_counts() == before
    in_publicity.refresh_from_db()
    assert in_publicity.status == AssetStatus.PUBLICITY


def test_objection_to_a_registered_asset_is_a_form_error(client, registered):
    # given
    before = table_counts()

    # when
    response = client.post(_objection_url(registered), _objection())

    # then
    assert response.status_code == 200
    assert NOT_IN_PUBLICITY in _html(response)
    assert table_counts() == before


def test_objection_with_missing_fields_shows_field_errors_and_keeps_the_input(
    client, open_publicity
):
    # given
    before = table_counts()

    # when
    response = client.post(
        _objection_url(open_publicity),
        {"objector_name": "李四", "objector_contact": "  ", "reasons": ""},
    )

    # then
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {"objector_contact": [REQUIRED], "reasons": [REQUIRED]}
    assert 'value="李四"' in _html(response)
    assert table_counts() == before
    open_publicity.refresh_from_db()
    assert open_publicity.status == AssetStatus.PUBLICITY


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "scan.pdf",
            b"%PDF-" + b"0" * (10 * 1024 * 1024),
            "The evidence file is larger than 10 MB (10485765 bytes).",
        ),
        ("notes.txt", b"plain text", "The evidence must be a PDF, JPEG or PNG file."),
        ("tool.exe", b"MZ\x90\x00", "The evidence must be a PDF, JPEG or PNG file."),
        ("photo.pdf", PNG, "The file&#x27;s content is not a PDF file."),
        ("photo.jpg", PNG, "The file&#x27;s content is not a JPEG file."),
    ],
)
def test_objection_evidence_must_be_a_small_pdf_jpeg_or_png(
    client, open_publicity, name, content, message
):
    # given
    before = table_counts()
    evidence = SimpleUploadedFile(name, content, content_type="application/pdf")

    # when
    response = client.post(_objection_url(open_publicity), {**_objection(), "evidence": evidence})

    # then
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["evidence"]
    assert message in _html(response)
    assert table_counts() == before


def test_objection_evidence_may_be_a_png_image(client, open_publicity):
    # when
    evidence = SimpleUploadedFile("photo.PNG", PNG, content_type="image/png")
    response = client.post(_objection_url(open_publicity), {**_objection(), "evidence": evidence})

    # then
    assert response.status_code == 302
    assert Objection.objects.get().evidence.read() == PNG


def test_objection_page_of_an_application_never_announced_is_not_found(
    client, submitted, registrar
):
    # given
    draft = _draft("草稿数据集")

    # when / then
    for asset in (draft, submitted):
        assert client.get(_objection_url(asset)).status_code == 404
        assert client.post(_objection_url(asset), _objection()).status_code == 404
    assert client.get("/publicity/999999/object/").status_code == 404
    assert Objection.objects.count() == 0


def test_the_sixth_objection_from_one_ip_within_the_hour_is_refused(
    client, open_publicity, monkeypatch
):
    # given: two invalid submissions (not counted), then five objections from one address
    url = _objection_url(open_publicity)
    for _ in range(2):
        assert client.post(url, {"objector_name": "王五"}, REMOTE_ADDR=IP_A).status_code == 200
    for n in range(5):
        response = client.post(url, _objection(objector_name=f"异议人{n}"), REMOTE_ADDR=IP_A)
        assert response.status_code == 302

    # when
    sixth = client.post(url, _objection(objector_name="异议人5"), REMOTE_ADDR=IP_A)

    # then
    assert sixth.status_code == 429
    assert "at most 5 an hour" in _html(sixth)
    assert 0 < int(sixth["Retry-After"]) <= 3600
    assert Objection.objects.count() == 5

    # when: another address, then the same one an hour later
    other = client.post(url, _objection(objector_name="异议人6"), REMOTE_ADDR=IP_B)
    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    after_the_hour = client.post(url, _objection(objector_name="异议人7"), REMOTE_ADDR=IP_A)

    # then
    assert other.status_code == 302
    assert after_the_hour.status_code == 302
    assert Objection.objects.count() == 7


def test_an_objection_without_a_csrf_token_is_forbidden(open_publicity):
    # given
    client = Client(enforce_csrf_checks=True)
    before = table_counts()

    # when
    response = client.post(_objection_url(open_publicity), _objection())

    # then
    assert response.status_code == 403
    assert table_counts() == before


def test_an_objection_with_the_csrf_token_is_accepted(open_publicity):
    # given
    client = Client(enforce_csrf_checks=True)
    form_page = client.get(_objection_url(open_publicity))
    token = form_page.context["csrf_token"]

    # when
    response = client.post(
        _objection_url(open_publicity), {**_objection(), "csrfmiddlewaretoken": str(token)}
    )

    # then
    assert response.status_code == 302
    assert Objection.objects.count() == 1


def test_public_pages_answer_get_only(client, open_publicity):
    # when / then
    for url in ("/", "/assets/", "/publicity/", "/verify/"):
        assert client.post(url).status_code == 405


def test_the_confirmation_page_needs_an_objection_filed_in_this_session(client, open_publicity):
    # when
    response = client.get(f"/publicity/{open_publicity.pk}/object/filed/")

    # then
    assert response.status_code == 302
    assert response["Location"] == _objection_url(open_publicity)


# --- login ---------------------------------------------------------------------------------------
def test_login_page_is_the_throttled_view(client, db):
    # when
    response = client.get("/accounts/login/")

    # then
    assert response.status_code == 200
    assert resolve("/accounts/login/").func.view_class is views.ThrottledLoginView
    assert reverse("login") == "/accounts/login/"


def test_login_is_refused_after_five_failures_even_with_the_right_password(client, enterprise_user):
    # given
    for _ in range(5):
        response = _login(client, "ent1", "wrong-password")
        assert response.status_code == 200
        assert LOGIN_FAILED in _html(response)

    # when
    response = _login(client, "ent1", PASSWORD)

    # then
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in _html(response)
    assert "登录失败次数过多" in _html(response)
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert not _logged_in(client)


def test_login_throttle_counts_by_username_and_by_ip(client, enterprise_user, registrar):
    # given: five failures for ent1 from IP A
    for _ in range(5):
        _login(client, "ent1", "wrong-password", ip=IP_A)

    # when
    other_user_other_ip = _login(Client(), "registrar1", PASSWORD, ip=IP_B)
    same_user_other_ip = _login(Client(), "ent1", PASSWORD, ip=IP_B)
    other_user_same_ip = _login(Client(), "registrar1", PASSWORD, ip=IP_A)
    other_case = _login(Client(), "ENT1", PASSWORD, ip=IP_B)

    # then
    assert other_user_other_ip.status_code == 302
    assert same_user_other_ip.status_code == 429
    assert other_user_same_ip.status_code == 429
    assert other_case.status_code == 429


def test_a_successful_login_clears_the_username_counter(client, enterprise_user):
    # given: four failures, then the right password
    for _ in range(4):
        _login(client, "ent1", "wrong-password", ip=IP_A)
    assert _login(client, "ent1", PASSWORD, ip=IP_A).status_code == 302
    client.logout()

    # when: four more failures from another address, then the right password
    for _ in range(4):
        assert _login(client, "ent1", "wrong-password", ip=IP_B).status_code == 200
    response = _login(client, "ent1", PASSWORD, ip=IP_B)

    # then: without the reset the username would be at eight failures
    assert response.status_code == 302
    assert response["Location"] == resolve_url(settings.LOGIN_REDIRECT_URL)
    assert _logged_in(client)


def test_a_successful_login_does_not_clear_the_ip_counter(client, enterprise_user, registrar):
    # given: four failures for registrar1 from IP A, then ent1 signs in from IP A
    for _ in range(4):
        _login(Client(), "registrar1", "wrong-password", ip=IP_A)
    assert _login(client, "ent1", PASSWORD, ip=IP_A).status_code == 302

    # when
    fifth = _login(Client(), "registrar1", "wrong-password", ip=IP_A)
    sixth = _login(Client(), "registrar1", PASSWORD, ip=IP_A)

    # then
    assert fifth.status_code == 200
    assert sixth.status_code == 429


def test_login_is_possible_again_once_the_window_has_passed(client, enterprise_user, monkeypatch):
    # given
    for _ in range(5):
        _login(client, "ent1", "wrong-password")
    assert _login(client, "ent1", PASSWORD).status_code == 429

    # when: fifteen minutes later
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr(time, "time", lambda: later)
    response = _login(client, "ent1", PASSWORD)

    # then
    assert response.status_code == 302
    assert _logged_in(client)


def test_a_login_without_a_csrf_token_is_forbidden_and_not_counted(enterprise_user):
    # given
    client = Client(enforce_csrf_checks=True)

    # when
    for _ in range(6):
        response = _login(client, "ent1", "wrong-password")
        assert response.status_code == 403

    # then
    assert _login(Client(), "ent1", PASSWORD).status_code == 302
