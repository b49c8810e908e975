"""The registrar's admin, driven through real requests (login form, changelist, actions)."""

import datetime as dt

import pytest
from django.urls import reverse

from registry import services
from registry.choices import AssetStatus
from registry.identifiers import parse_registration_number
from registry.models import DataAsset, JournalEvent
from tests.factories import OrganisationFactory, RegistrarFactory, UserFactory, complete_application

pytestmark = pytest.mark.django_db


def _login(client, username, password="pass-2026-test"):
    response = client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
    )
    return response


@pytest.fixture
def publicity_over(registrar, holder, enterprise_user):
    """An asset whose publicity ended yesterday: ready to register."""
    asset = services.asset_create(
        actor=enterprise_user,
        holder=holder,
        data=complete_application(name="天津港航运指数数据集"),
    )
    asset = services.asset_submit(asset=asset, actor=enterprise_user)
    asset = services.asset_accept_for_review(asset=asset, actor=registrar)
    return services.asset_start_publicity(
        asset=asset, actor=registrar, on=dt.date.today() - dt.timedelta(days=40)
    )


def test_registrar_logs_in_finds_asset_and_registers_it_by_admin_action(
    client, registrar, publicity_over
):
    # given: the registrar signs in through the admin login form
    response = _login(client, "registrar1")
    assert response.status_code == 302
    assert response.url == reverse("admin:index")

    # when: they search the asset list by name
    changelist = reverse("admin:registry_dataasset_changelist")
    response = client.get(changelist, {"q": "航运指数"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [publicity_over]

    # and choose the "register" action, which asks for confirmation and a reason
    selection = {"action": "action_register", "_selected_action": [publicity_over.pk]}
    response = client.post(changelist, selection)
    assert response.status_code == 200
    assert "天津港航运指数数据集" in response.text
    assert DataAsset.objects.get(pk=publicity_over.pk).status == AssetStatus.PUBLICITY

    response = client.post(changelist, {**selection, "apply": "1", "reason": "公示期满无异议"})

    # then: the asset is registered with a valid number, and the journal names the registrar
    assert response.status_code == 302
    asset = DataAsset.objects.get(pk=publicity_over.pk)
    assert asset.status == AssetStatus.REGISTERED
    parse_registration_number(asset.registration_number)
    event = JournalEvent.objects.filter(asset=asset, event_type="asset.registered").get()
    assert event.actor == registrar
    assert event.reason == "公示期满无异议"


def test_registration_button_refused_while_publicity_runs_writes_nothing(
    client, registrar, under_review
):
    # given: publicity announced today, so it runs for ten more working days
    in_publicity = services.asset_start_publicity(asset=under_review, actor=registrar)
    _login(client, "registrar1")
    url = reverse("admin:registry_dataasset_transition", args=[in_publicity.pk, "register"])
    journal_before = JournalEvent.objects.count()

    # when
    response = client.post(url, {"apply": "1", "reason": ""}, follow=True)

    # then
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    end = in_publicity.publicity_end.isoformat()
    assert messages == [
        f"{in_publicity.name}: The publicity period runs until {end}; "
        "registration is possible from the next day."
    ]
    in_publicity.refresh_from_db()
    assert in_publicity.status == AssetStatus.PUBLICITY
    assert JournalEvent.objects.count() == journal_before


def test_return_for_correction_requires_the_missing_items(client, registrar, submitted):
    # given
    _login(client, "registrar1")
    url = reverse(
        "admin:registry_dataasset_transition", args=[submitted.pk, "return_for_correction"]
    )

    # when: no item listed
    response = client.post(url, {"apply": "1", "missing": "  \n "})

    # then: the form says so and the asset is untouched
    assert response.status_code == 200
    assert response.context["form"].errors["missing"]
    submitted.refresh_from_db()
    assert submitted.status == AssetStatus.SUBMITTED

    # when: two items listed
    response = client.post(url, {"apply": "1", "missing": "补充授权证明\n补充样本说明"})

    # then: one notice lists both
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == AssetStatus.RETURNED
    assert submitted.correction_notice == "1. 补充授权证明\n2. 补充样本说明"


def test_registered_record_is_read_only_and_amend_writes_a_new_version(client, registered):
    # given
    _login(client, "registrar1")
    change_url = reverse("admin:registry_dataasset_change", args=[registered.pk])

    # when: the change page is opened
    response = client.get(change_url)

    # then: no editable field, no save button, an amend button; the journal and version inline
    assert response.status_code == 200
    inlines = {
        formset.opts.model._meta.model_name: len(formset.formset.queryset)
        for formset in response.context["inline_admin_formsets"]
    }
    assert inlines == {
        "objection": 0,
        "pledge": 0,
        "assetversion": 1,
        "journalevent": 6,
        "qualityassessment": 0,
        "appraisal": 0,
        "certificate": 1,
    }
    assert "asset.publicity_started" in response.text
    assert response.context["adminform"].form.fields == {}
    assert 'name="_save"' not in response.text
    amend_url = reverse("admin:registry_dataasset_transition", args=[registered.pk, "amend"])
    assert amend_url in response.text

    # when: the amendment form changes the description
    form = client.get(amend_url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "sample_file"}
    data.update(
        {
            "description": "新增2026年数据，更新说明。",
            "reason": "权利人申请变更说明",
            "time_span_start": "2021-01-01",
            "time_span_end": "2025-12-31",
        }
    )
    data = {k: v for k, v in data.items() if v is not False}
    response = client.post(amend_url, data)

    # then
    assert response.status_code == 302, response.context["form"].errors
    registered.refresh_from_db()
    assert registered.version == 2
    assert registered.description == "新增2026年数据，更新说明。"
    assert [v.number for v in registered.versions.all()] == [1, 2]
    assert registered.versions.get(number=1).content["description"] != registered.description


def test_draft_created_in_admin_goes_through_the_service(client, registrar, holder):
    # given
    _login(client, "registrar1")
    add_url = reverse("admin:registry_dataasset_add")

    # when: a bad value (negative size) is posted
    base = {
        "holder": holder.pk,
        "name": "天津港口天气数据集",
        "record_count": "10",
        "size_bytes": "-1",
        "security_level": "general",
    }
    response = client.post(add_url, base)

    # then: a field error, nothing written
    assert response.status_code == 200
    assert "size_bytes" in response.context["adminform"].form.errors
    assert DataAsset.objects.count() == 0

    # when: corrected
    response = client.post(add_url, {**base, "size_bytes": "2048"})

    # then: a draft and its creation event
    assert response.status_code == 302
    asset = DataAsset.objects.get()
    assert asset.status == AssetStatus.DRAFT
    assert list(JournalEvent.objects.values_list("event_type", flat=True)) == ["asset.created"]


@pytest.mark.parametrize("role", ["enterprise", "bank"])
def test_non_registrars_cannot_use_the_admin(client, role):
    # given: a user of an enterprise or bank, even one flagged staff by mistake
    UserFactory(username="outsider", role=role, is_staff=True, organisation=OrganisationFactory())
    _login(client, "outsider")

    # when
    response = client.get(reverse("admin:registry_dataasset_changelist"))

    # then
    assert response.status_code == 403


def test_only_superusers_manage_users(client, registrar):
    # given
    _login(client, "registrar1")

    # when / then: the registrar sees assets but not accounts
    assert client.get(reverse("admin:registry_dataasset_changelist")).status_code == 200
    assert client.get(reverse("admin:registry_user_changelist")).status_code == 403

    # given a superuser
    RegistrarFactory(username="root", is_superuser=True)
    client.logout()
    _login(client, "root")

    # then
    assert client.get(reverse("admin:registry_user_changelist")).status_code == 200


def test_admin_sign_in_is_throttled_after_five_failures(client, registrar):
    # given: five wrong passwords
    from django.core.cache import cache

    cache.clear()
    for _ in range(5):
        response = _login(client, "registrar1", password="wrong-password")
        assert response.status_code == 200  # the form again, with its error

    # when: the right password on the sixth attempt
    response = _login(client, "registrar1")

    # then: refused until the window passes
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    cache.clear()
