import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from operations.tick import daily_tick


class Command(BaseCommand):
    help = (
        "Move time-driven states: register assets whose publicity ended without open objections, "
        "expire registrations and pledge registrations past their period, re-queue missing "
        "certificate documents and failed side effects, prune expired records. "
        "Run daily (cron or a scheduler)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            help="Act as if today were this date (YYYY-MM-DD); defaults to today in Asia/Shanghai.",
        )

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(
                    f"--today must be a date in the form YYYY-MM-DD, not {options['today']!r}."
                ) from exc
        report = daily_tick(today=today)
        self.stdout.write(f"Registered: {len(report.registered)} {' '.join(report.registered)}")
        self.stdout.write(f"Expired: {len(report.expired)} {' '.join(report.expired)}")
        self.stdout.write(
            f"Pledges expired: {len(report.pledges_expired)} {' '.join(report.pledges_expired)}"
        )
        self.stdout.write(f"Certificates re-queued for rendering: {report.documents_requeued}")
        self.stdout.write(f"Failed outbox messages retried: {report.messages_retried}")
        for what, count in report.pruned.items():
            self.stdout.write(f"Pruned {what}: {count}")
        for pk, message in report.failed.items():
            self.stderr.write(f"Asset {pk} not moved: {message}")
