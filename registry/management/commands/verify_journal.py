"""manage.py verify_journal: recompute the journal's hash chains (registry.chain).

Prints the first problem of every stream that has one (changed, deleted or inserted, with the
row's id) and exits with status 1; prints a summary and exits 0 when every chain holds.
"""

from django.core.management.base import BaseCommand, CommandError

from registry.journal import journal_verify


class Command(BaseCommand):
    help = (
        "Walk the journal's hash chains and report, per stream, the first row that was changed, "
        "deleted or inserted out of order (with its id). Exit status 1 when any chain is broken."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stream",
            action="append",
            metavar="STREAM",
            help="Check only this stream, e.g. asset:42 or organisation:7 (repeatable).",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=5000,
            help="Rows fetched per round trip (default 5000).",
        )

    def handle(self, *args, **options):
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        report = journal_verify(streams=options["stream"], chunk_size=options["chunk_size"])
        for problem in report.problems:
            self.stdout.write(str(problem))
        rate = report.rows / report.seconds if report.seconds else 0.0
        summary = (
            f"{report.rows} rows in {report.streams} streams checked in {report.seconds:.1f} s "
            f"({rate:,.0f} rows/s)"
        )
        if report.problems:
            self.stdout.write(summary)
            raise CommandError(
                f"The journal's chain is broken in {len(report.problems)} stream(s)."
            )
        if options["stream"] and report.streams == 0:
            raise CommandError(f"No journal stream named {', '.join(options['stream'])}.")
        self.stdout.write(f"Journal intact: {summary}.")
