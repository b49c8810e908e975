"""manage.py restore: bring a backup archive back into this installation, then walk the
journal's chains (operations/backup.py; README, Operations: "Backup, restore and retention")."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup archive into the configured database, MEDIA_ROOT and signing paths. "
        "Every member is checked against the manifest first; a database that already holds "
        "registry data is refused unless --force. Stop the web servers and workers first. "
        "Exit status 1 when the journal's chain does not verify afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz written by manage.py backup.")
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "Replace a database that holds data: every table is dropped and recreated from "
                "the archive, so every row written since the backup is lost."
            ),
        )

    def handle(self, *args, **options):
        try:
            result = restore(Path(options["archive"]), force=options["force"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} "
            f"({manifest['database']['vendor']} database, {result.media_files} media file(s), "
            f"{len(result.signing_files)} signing file(s)) in {result.seconds:.1f} s."
        )
        for warning in result.warnings:
            self.stderr.write(f"Warning: {warning}")
        report = result.journal
        for problem in report.problems:
            self.stdout.write(str(problem))
        summary = f"{report.rows} rows in {report.streams} streams checked"
        if report.problems:
            raise CommandError(
                f"The journal's chain is broken in {len(report.problems)} stream(s) ({summary})."
            )
        self.stdout.write(f"Journal intact: {summary}.")
