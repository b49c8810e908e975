"""manage.py app_role_sql ROLE: the GRANT statements of the application's database role
(operations.roles), to run as the owner after every migrate; `--check` checks a role instead."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from operations.roles import app_role_statements, role_problems


class Command(BaseCommand):
    help = (
        "Print the SQL that gives ROLE the application's privileges (SELECT and INSERT only on "
        "the append-only tables; run it as the owner after every migrate, e.g. "
        "`manage.py app_role_sql registry_app | psql ...`), or with --check report what ROLE "
        "may do beyond them. PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="The application's role, e.g. registry_app.")
        parser.add_argument("--schema", default="public", help="The tables' schema (public).")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Check ROLE's privileges in this database instead; exit status 1 on a problem.",
        )

    def handle(self, *args, role, schema, check, **options):
        try:
            statements = app_role_statements(role, schema=schema)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if not check:
            self.stdout.write("".join(f"{statement};\n" for statement in statements), ending="")
            return
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are PostgreSQL's; this database has none.")
        problems = role_problems(role, schema=schema)
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{role} is not the application's role: {len(problems)} problem(s).")
        self.stdout.write(f"{role} has exactly the application's privileges on schema {schema}.")
