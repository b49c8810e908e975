import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from valuation.batch import appraisal_batch_revalue


class Command(BaseCommand):
    help = (
        "Recompute the draft value estimate of every registered asset from its recorded usage "
        "and current quality grade (final appraisals are never changed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--base-date", help="Valuation base date, YYYY-MM-DD (default today).")

    def handle(self, *args, base_date=None, **options):
        day = None
        if base_date:
            try:
                day = dt.date.fromisoformat(base_date)
            except ValueError as exc:
                raise CommandError(
                    f"--base-date must be a date in the form YYYY-MM-DD, not {base_date!r}."
                ) from exc
        started = time.perf_counter()
        report = appraisal_batch_revalue(actor=None, base_date=day)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Estimated {report.estimated} asset(s) in {elapsed:.1f} s; skipped "
            f"{report.skipped_no_usage} without usage and {report.skipped_no_grade} without a "
            f"quality grade; {len(report.failed)} failed."
        )
        for asset_id, message in report.failed.items():
            self.stderr.write(f"Asset {asset_id}: {message}")
