"""manage.py backup: one archive of the database, the media files and the signing material
(operations/backup.py; README, Operations: "Backup, restore and retention")."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write a consistent backup archive (tar.gz): the database (pg_dump on PostgreSQL, the "
        "backup API on SQLite), MEDIA_ROOT and the signing key and certificate, with a manifest "
        "of every member's SHA-256. It holds the signing key: store it encrypted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help=(
                "Archive file (*.tar.gz), or a folder to write registry-backup-<UTC time>.tar.gz "
                "into (default: var/backups/)."
            ),
        )

    def handle(self, *args, **options):
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        default_name = f"registry-backup-{stamp}.tar.gz"
        output = Path(options["output"] or Path(settings.BASE_DIR) / "var" / "backups")
        if output.is_dir() or not output.name.endswith((".tar.gz", ".tgz")):
            output = output / default_name  # a folder (created when missing)
        try:
            result = backup_create(output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        members = manifest["members"]
        media = sum(1 for m in members if m["name"].startswith("media/"))
        self.stdout.write(
            f"Backup written: {result.path} ({result.size:,} bytes, {len(members)} files: "
            f"{manifest['database']['vendor']} database, {media} media file(s), "
            f"{len(manifest['signing'])} signing file(s)) in {result.seconds:.1f} s."
        )
