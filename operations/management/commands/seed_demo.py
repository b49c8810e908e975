from django.core.management.base import BaseCommand, CommandError

from operations.bulk_demo import seed_bulk
from operations.demo import DEMO_PASSWORD, seed


class Command(BaseCommand):
    help = (
        "Load demo organisations, users and assets in every workflow status (idempotent); "
        "--assets N also tops up N synthetic registered assets for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--assets", type=int, default=0, help="Synthetic registered assets to have (bulk)."
        )
        parser.add_argument(
            "--pledges",
            type=int,
            default=None,
            help="Synthetic active pledges to have (default: a fifth of --assets).",
        )

    def handle(self, *args, assets: int = 0, pledges: int | None = None, **options):
        if assets < 0:
            raise CommandError("--assets must be 0 or more.")
        if pledges is not None and not 0 <= pledges <= assets * 11 // 50:
            raise CommandError(
                "--pledges must be between 0 and 22% of --assets (a fifth of the assets are "
                "pledged, every tenth of those twice)."
            )
        report = seed()
        self.stdout.write(
            f"Demo data: {report.organisations} organisation(s), {report.users} user(s), "
            f"{report.assets} asset(s) created (existing ones kept)."
        )
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}): " + ", ".join(report.logins))
        self.stdout.write(f"Demo bank API key: {report.bank_api_key}")
        if assets:
            added = seed_bulk(assets, pledges=pledges)
            self.stdout.write(f"Synthetic assets: {added} added (target {assets}).")
