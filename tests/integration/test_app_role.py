"""The application's database role (operations.roles, `manage.py app_role_sql`), PostgreSQL only.

A role made with the printed statements may read and append to the append-only tables but not
UPDATE, DELETE or TRUNCATE them, nor disable, drop or sidestep their triggers, nor give itself the
privileges back; and the application still works under it: a workflow from application to
registration, a batch journal insert and a read-log row, then a journal that verifies.

The role is created inside the test's transaction (a fresh name each run: roles are cluster-wide)
and disappears with its rollback.
"""

import uuid
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from operations.roles import APPEND_ONLY, app_role_statements, append_only_tables
from registry import journal, services
from registry.models import ApiReadLog
from tests.conftest import AFTER_PUBLICITY, PUBLICITY_DAY
from tests.factories import complete_application

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's"),
]

GUARDED = {  # table → its append-only / immutability trigger
    "registry_journalevent": "registry_journal_append_only",
    "valuation_qualityassessment": "valuation_quality_immutable",
    "valuation_usagerecord": "valuation_usage_immutable",
    "valuation_appraisal": "valuation_final_appraisal_immutable",
}
INSUFFICIENT_PRIVILEGE = "42501"


@pytest.fixture
def app_role(db):
    """A role with exactly the privileges `manage.py app_role_sql` prints."""
    role = f"test_app_{uuid.uuid4().hex[:12]}"
    out = StringIO()
    call_command("app_role_sql", role, stdout=out)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
        cursor.execute(out.getvalue())
    return role


@contextmanager
def acting_as(role: str):
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{role}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _refused(role: str, sql: str) -> None:
    with (
        acting_as(role),
        pytest.raises(DatabaseError) as refused,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert refused.value.__cause__.sqlstate == INSUFFICIENT_PRIVILEGE, refused.value


def test_the_printed_statements():
    # given / when
    out = StringIO()
    call_command("app_role_sql", "registry_app", stdout=out)
    # then
    tables = ", ".join(f'"public"."{table}"' for table in append_only_tables())
    assert out.getvalue().splitlines() == [
        'REVOKE ALL ON ALL TABLES IN SCHEMA "public" FROM "registry_app";',
        'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "public" FROM "registry_app";',
        'GRANT USAGE ON SCHEMA "public" TO "registry_app";',
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "registry_app";',
        f'REVOKE UPDATE, DELETE ON {tables} FROM "registry_app";',
        'REVOKE INSERT, UPDATE, DELETE ON "public"."django_migrations" FROM "registry_app";',
        'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "public" TO "registry_app";',
    ]
    assert append_only_tables() == [
        "registry_journalevent",
        "registry_assetversion",
        "registry_apireadlog",
        "valuation_qualityassessment",
        "valuation_usagerecord",
    ]
    with pytest.raises(CommandError, match="is not a plain PostgreSQL name"):
        call_command("app_role_sql", 'app"; DROP TABLE x; --', stdout=StringIO())
    with pytest.raises(ValueError, match="is not a plain PostgreSQL name"):
        app_role_statements("App")


@pytest.mark.parametrize("table", append_only_tables())
@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE {table} SET id = id", id="update"),
        pytest.param("DELETE FROM {table}", id="delete"),
        pytest.param("TRUNCATE {table}", id="truncate"),
        pytest.param("ALTER TABLE {table} DISABLE TRIGGER ALL", id="disable-triggers"),
        pytest.param("DROP TABLE {table}", id="drop"),
    ],
)
def test_the_app_role_cannot_rewrite_an_append_only_table(app_role, table, statement):
    # given: a role made by app_role_sql
    # when / then: every way of rewriting the table is refused for lack of privilege
    _refused(app_role, statement.format(table=table))


def test_the_app_role_cannot_give_itself_privileges(app_role):
    # given
    tables = ", ".join(append_only_tables())
    # when: it grants itself UPDATE and DELETE (PostgreSQL warns "no privileges were granted")
    with acting_as(app_role), connection.cursor() as cursor:
        cursor.execute(f"GRANT UPDATE, DELETE, TRUNCATE ON {tables} TO CURRENT_USER")
    # then
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t, has_table_privilege(%s, t, 'UPDATE'), has_table_privilege(%s, t, 'DELETE'),"
            " has_table_privilege(%s, t, 'TRUNCATE') FROM unnest(%s::text[]) AS t",
            [app_role, app_role, app_role, append_only_tables()],
        )
        assert cursor.fetchall() == [(t, False, False, False) for t in append_only_tables()]


@pytest.mark.parametrize(("table", "trigger"), GUARDED.items())
def test_the_app_role_cannot_disable_or_drop_a_guard_trigger(app_role, table, trigger):
    # given / when / then
    _refused(app_role, f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
    _refused(app_role, f"DROP TRIGGER {trigger} ON {table}")
    _refused(
        app_role,
        f"CREATE OR REPLACE TRIGGER {trigger} AFTER INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION registry_journal_append_only()",
    )


def test_the_app_role_cannot_switch_triggers_off_for_its_session(app_role):
    # given / when / then: replica mode would skip every ordinary trigger; it needs a superuser
    _refused(app_role, "SET session_replication_role = replica")
    _refused(app_role, "SET LOCAL session_replication_role = replica")


def test_the_app_role_cannot_record_a_migration_or_create_tables(app_role):
    # given / when / then
    _refused(
        app_role, "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())"
    )
    _refused(app_role, "CREATE TABLE public.test_app_role_table (id int)")


def test_the_app_role_runs_the_application(app_role, holder, enterprise_user, registrar):
    # given: the application connected as its role
    with acting_as(app_role):
        # when: an application is taken to registration (journal, versions, sequences,
        # certificate, outbox) and a batch job and an API read are recorded
        asset = services.asset_create(
            actor=enterprise_user, holder=holder, data=complete_application()
        )
        services.asset_submit(asset=asset, actor=enterprise_user)
        services.asset_accept_for_review(asset=asset, actor=registrar)
        services.asset_start_publicity(asset=asset, actor=registrar, on=PUBLICITY_DAY)
        services.asset_register(asset=asset, actor=registrar, on=AFTER_PUBLICITY)
        services.asset_amend(
            asset=asset, actor=registrar, changes={"update_frequency": "weekly"}, reason="变更"
        )
        journal.record_many(
            [
                {
                    "event_type": "test.bulk",
                    "actor_label": "batch",
                    "asset_id": asset.pk,
                    "subject_type": "asset",
                    "subject_id": asset.pk,
                    "subject_label": "batch",
                }
            ]
        )
        ApiReadLog.objects.create(
            organisation=holder,
            organisation_label=holder.name,
            key_prefix="abcd1234",
            method="GET",
            path="/api/v1/assets/",
            status_code=200,
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        # then: the journal verifies, read by the same role
        out = StringIO()
        call_command("verify_journal", stdout=out)
    assert out.getvalue().startswith("Journal intact: ")
    assert asset.versions.count() == 2


def test_check_passes_for_the_app_role_and_fails_for_the_owner(app_role):
    # given / when
    out = StringIO()
    call_command("app_role_sql", app_role, "--check", stdout=out)
    # then
    assert out.getvalue() == (
        f"{app_role} has exactly the application's privileges on schema public.\n"
    )
    # and the tests' own user (the owner, a superuser) is not fit to be the app's role
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    out = StringIO()
    with pytest.raises(CommandError, match=rf"^{owner} is not the application's role"):
        call_command("app_role_sql", owner, "--check", stdout=out)
    lines = out.getvalue().splitlines()
    assert f"{owner} is a superuser" in lines
    assert f"{owner} owns registry_journalevent (or is a member of its owner {owner})" in lines


def test_check_finds_a_privilege_given_back(app_role):
    # given: someone grants UPDATE on the journal again
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE ON registry_journalevent TO "{app_role}"')
        cursor.execute(f'GRANT TRUNCATE ON registry_assetversion TO "{app_role}"')
    # when
    out = StringIO()
    with pytest.raises(CommandError, match=r"2 problem\(s\)"):
        call_command("app_role_sql", app_role, "--check", stdout=out)
    # then
    assert out.getvalue().splitlines() == [
        f"{app_role} may TRUNCATE registry_assetversion",
        f"{app_role} may UPDATE registry_journalevent",
    ]


def test_every_append_only_model_refuses_updates_in_the_orm():
    # given / when / then: the models the role list names are the ones whose rows never change
    for model in APPEND_ONLY:
        stored = model(pk=1)
        stored._state.adding = False  # as if loaded from the database
        with pytest.raises(ValueError, match=r"append-only|immutable"):
            stored.save()
