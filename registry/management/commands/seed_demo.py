from django.core.management.base import BaseCommand

from registry.demo import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = "Load demo organisations, users and assets in every workflow status (idempotent)."

    def handle(self, *args, **options):
        report = seed()
        self.stdout.write(
            f"Demo data: {report.organisations} organisation(s), {report.users} user(s), "
            f"{report.assets} asset(s) created (existing ones kept)."
        )
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): " + ", ".join(report.logins))
