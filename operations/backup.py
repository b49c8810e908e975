"""Backup and restore of a whole installation: the database, the media files and the signing
material, in one archive (README, Operations: "Backup, restore and retention").

The archive is a gzip-compressed tar (PAX) of:

- ``database/registry.pgdump`` (PostgreSQL: ``pg_dump --format=custom``, one snapshot) or
  ``database/registry.sqlite3`` (SQLite: the backup API, a consistent copy while the app writes);
- ``media/<path>``: every file under ``MEDIA_ROOT``, copied after the database snapshot (a row
  never names a file the archive lacks; a file newer than the snapshot is an unused extra);
- ``signing/key.pem``, ``signing/cert.pem`` (``CERTIFICATE_SIGNING_KEY`` / ``_CERT``) and
  ``signing/demo/<file>`` (``CERTIFICATE_DEMO_SIGNING_DIR``), when present;
- ``manifest.json``, last: format and version, time, app version and git commit, database vendor,
  the latest applied migration of every app, and the size and SHA-256 of every other member.

Members are in a fixed order with normalised owners and modes, and the gzip header carries no
time, so two archives of the same state differ only in the manifest's time and the files' times.
Files are streamed (hashed while they are written or read), never read whole into memory.

Restore checks every member against the manifest before it touches anything, refuses a
database that already holds registry data (unless ``force``), then restores the database, the
media files and the signing material to the configured places, and walks the journal's chains.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from registry.journal import JournalReport, journal_verify

FORMAT = "data-asset-registry-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP_MEMBER = "database/registry.pgdump"
SQLITE_MEMBER = "database/registry.sqlite3"
MEDIA_PREFIX = "media/"
SIGNING_KEY_MEMBER = "signing/key.pem"
SIGNING_CERT_MEMBER = "signing/cert.pem"
DEMO_SIGNING_PREFIX = "signing/demo/"
CHUNK = 1024 * 1024

# Tables whose rows make an installation "not empty": restore refuses to replace them unless told.
_DATA_TABLES = (
    "registry_journalevent",
    "registry_dataasset",
    "registry_organisation",
    "registry_user",
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    size: int
    seconds: float


@dataclasses.dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    media_files: int
    signing_files: list[str]
    journal: JournalReport
    seconds: float
    warnings: list[str]


# --- backup --------------------------------------------------------------------------------------


def backup_create(output: Path, *, using: str = "default") -> BackupResult:
    """Write the archive to ``output`` (a file; created 0600, replaced atomically when done)."""
    started = time.monotonic()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"backups support PostgreSQL and SQLite, not {vendor}")
    members: list[dict[str, Any]] = []
    fd, partial_name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    partial = Path(partial_name)
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
            tempfile.TemporaryDirectory(prefix="registry-backup-") as scratch,
        ):
            # 1. The database first: every file a row names exists by then (files are written
            # before the rows that name them commit), so the media copied next holds them.
            migrations = _applied_migrations(using)
            if vendor == "postgresql":
                dump = Path(scratch) / "registry.pgdump"
                _pg_dump(connection.settings_dict, dump)
                db_member = PG_DUMP_MEMBER
                server_version = _pg_server_version(using)
            else:
                dump = Path(scratch) / "registry.sqlite3"
                _sqlite_backup(Path(connection.settings_dict["NAME"]), dump)
                db_member = SQLITE_MEMBER
                server_version = sqlite3.sqlite_version
            members.append(_add_file(tar, db_member, dump, mode=0o600))
            dump.unlink()

            # 2. Media files, in sorted order.
            media_root = Path(settings.MEDIA_ROOT)
            for path, relative in _walk(media_root):
                members.append(_add_file(tar, MEDIA_PREFIX + relative, path, mode=0o644))

            # 3. The signing material.
            signing: list[dict[str, str]] = []
            for setting, member in (
                ("CERTIFICATE_SIGNING_KEY", SIGNING_KEY_MEMBER),
                ("CERTIFICATE_SIGNING_CERT", SIGNING_CERT_MEMBER),
            ):
                configured = getattr(settings, setting, "")
                if not configured:
                    continue
                source = Path(configured)
                if not source.is_file():
                    raise BackupError(f"{setting} names {source}, which is not a file")
                members.append(_add_file(tar, member, source, mode=0o600))
                signing.append({"member": member, "setting": setting, "source": str(source)})
            demo_dir = getattr(settings, "CERTIFICATE_DEMO_SIGNING_DIR", None)
            if demo_dir and Path(demo_dir).is_dir():
                for path, relative in _walk(Path(demo_dir)):
                    member = DEMO_SIGNING_PREFIX + relative
                    members.append(_add_file(tar, member, path, mode=0o600))
                    signing.append(
                        {
                            "member": member,
                            "setting": "CERTIFICATE_DEMO_SIGNING_DIR",
                            "source": str(path),
                        }
                    )

            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "app": {"version": _app_version(), "git_commit": _git_commit()},
                "database": {
                    "vendor": vendor,
                    "server_version": server_version,
                    "member": db_member,
                },
                "migrations": migrations,
                "media_root": str(media_root),
                "signing": signing,
                "members": members,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
            info = _tarinfo(MANIFEST, len(data), mode=0o644, mtime=0)
            tar.addfile(info, io.BytesIO(data))
        partial.chmod(0o600)
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(
        path=output,
        manifest=manifest,
        size=output.stat().st_size,
        seconds=time.monotonic() - started,
    )


def _tarinfo(name: str, size: int, *, mode: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = mode
    info.mtime = int(mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _HashingReader(io.RawIOBase):
    """Reads a file, hashing what passes through (so a member is read once, in chunks)."""

    def __init__(self, handle: IO[bytes]):
        self._handle = handle
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.sha256.update(data)
        return data


def _add_file(tar: tarfile.TarFile, name: str, path: Path, *, mode: int) -> dict[str, Any]:
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        reader = _HashingReader(handle)
        tar.addfile(_tarinfo(name, stat.st_size, mode=mode, mtime=stat.st_mtime), reader)
    return {"name": name, "size": stat.st_size, "sha256": reader.sha256.hexdigest()}


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    """Regular files under ``root`` in sorted order, with their POSIX path relative to it."""
    if not root.is_dir():
        return
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                yield path, path.relative_to(root).as_posix()


def _applied_migrations(using: str) -> dict[str, str]:
    """The latest applied migration of every app (names are numbered, so the largest)."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def _app_version() -> str | None:
    pyproject = Path(settings.BASE_DIR) / "pyproject.toml"
    with (
        contextlib.suppress(OSError, tomllib.TOMLDecodeError, KeyError),
        pyproject.open("rb") as handle,
    ):
        return str(tomllib.load(handle)["project"]["version"])
    return None


def _git_commit() -> str | None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if done.returncode == 0:
            return done.stdout.strip() or None
    return None


# --- database ------------------------------------------------------------------------------------


def _pg_env(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump / pg_restore, the password in PGPASSWORD (not argv)."""
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    if options.get("sslmode"):
        env["PGSSLMODE"] = str(options["sslmode"])
    return args, env


def _run_pg_tool(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(
            f"{tool} is not installed; install the PostgreSQL client of the server's major "
            "version (Debian: apt-get install postgresql-client)"
        )
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed (exit status {done.returncode}):\n{done.stderr.strip()}")


def _pg_dump(settings_dict: dict[str, Any], target: Path) -> None:
    args, env = _pg_env(settings_dict)
    _run_pg_tool(
        ["pg_dump", "--format=custom", "--file", str(target), *args, str(settings_dict["NAME"])],
        env,
    )


def _pg_restore(settings_dict: dict[str, Any], dump: Path) -> None:
    # --no-privileges: the grants name roles that the target cluster may not have; run
    # `app_role_sql` again after a restore (README). --single-transaction: all or nothing.
    args, env = _pg_env(settings_dict)
    _run_pg_tool(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            str(settings_dict["NAME"]),
            *args,
            str(dump),
        ],
        env,
    )


def _pg_server_version(using: str) -> str:
    with connections[using].cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0])


def _sqlite_backup(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the backup API, page by page)."""
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _sqlite_restore(dump: Path, target: Path) -> None:
    """Replace the database at ``target`` with ``dump``, through the backup API: one exclusive
    transaction on the target (its WAL included), so no reader sees half a database."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(dump)
    dst = sqlite3.connect(target, timeout=60)
    try:
        src.backup(dst)
        dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        dst.close()
        src.close()


def database_holds_data(using: str = "default") -> bool:
    """Whether the database already holds registry rows (organisations, users, assets or
    journal); a freshly migrated database does not."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table in _DATA_TABLES:
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
                if cursor.fetchone() is not None:
                    return True
    return False


# --- restore -------------------------------------------------------------------------------------


def archive_verify(archive: Path) -> dict[str, Any]:
    """Read the archive once: every member's SHA-256 and size against the manifest, no member
    missing, none extra, no unsafe name. Returns the manifest; raises BackupError otherwise."""
    seen: dict[str, tuple[int, str]] = {}
    manifest_bytes: bytes | None = None
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for info in tar:
                name = _safe_member_name(info)
                if name in seen or (name == MANIFEST and manifest_bytes is not None):
                    raise BackupError(f"member {name} appears twice in the archive")
                handle = tar.extractfile(info)
                if handle is None:
                    raise BackupError(f"member {name} has no content")
                if name == MANIFEST:
                    manifest_bytes = handle.read(16 * CHUNK)
                    continue
                digest = hashlib.sha256()
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                seen[name] = (info.size, digest.hexdigest())
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{archive} is not a readable backup archive: {error}") from error
    if manifest_bytes is None:
        raise BackupError(f"{archive} has no {MANIFEST}")
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as error:
        raise BackupError(f"{MANIFEST} is not valid JSON: {error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a registry backup (format {manifest.get('format')!r})")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"backup format version {manifest.get('format_version')!r}; this release reads "
            f"version {FORMAT_VERSION}"
        )
    listed = {m["name"]: (m["size"], m["sha256"]) for m in manifest.get("members", [])}
    for name, expected in listed.items():
        if name not in seen:
            raise BackupError(f"member {name} is listed in the manifest but missing")
        if seen[name] != expected:
            raise BackupError(f"member {name} does not match its SHA-256 in the manifest")
    extra = sorted(set(seen) - set(listed))
    if extra:
        raise BackupError(f"member {extra[0]} is in the archive but not in the manifest")
    database = manifest.get("database", {})
    if database.get("member") not in listed:
        raise BackupError("the archive holds no database dump")
    return manifest


def _safe_member_name(info: tarfile.TarInfo) -> str:
    name = info.name
    path = PurePosixPath(name)
    if (
        not info.isfile()
        or path.is_absolute()
        or ".." in path.parts
        or "\\" in name
        or not (name == MANIFEST or name.startswith(("database/", MEDIA_PREFIX, "signing/")))
    ):
        raise BackupError(f"unexpected member {name!r} in the archive")
    return name


def restore(archive: Path, *, force: bool = False, using: str = "default") -> RestoreResult:
    """Bring an archive back into this installation (its configured database, MEDIA_ROOT and
    signing paths); raises BackupError before changing anything when it cannot."""
    started = time.monotonic()
    archive = Path(archive)
    manifest = archive_verify(archive)
    connection = connections[using]
    database = manifest["database"]
    if database["vendor"] != connection.vendor:
        raise BackupError(
            f"the archive holds a {database['vendor']} database; this installation is configured "
            f"for {connection.vendor} (DATABASE_URL)"
        )
    targets = _signing_targets(manifest)
    if not force and database_holds_data(using):
        raise BackupError(
            "the configured database already holds registry data. Restoring replaces the whole "
            "database with the archive's (every row written since the backup is lost); use "
            "--force to do that, or restore into an empty database."
        )
    warnings = _migration_warnings(manifest, using)

    with (
        tarfile.open(archive, mode="r:gz") as tar,
        tempfile.TemporaryDirectory(prefix="registry-restore-") as scratch,
    ):
        media_root = Path(settings.MEDIA_ROOT)
        media_files = 0
        signing_files: list[str] = []
        for info in tar:
            name = info.name
            handle = tar.extractfile(info)
            if handle is None or name == MANIFEST:
                continue
            if name == database["member"]:
                dump = Path(scratch) / PurePosixPath(name).name
                _write(handle, dump, mode=0o600, mtime=None)
                connections.close_all()
                if connection.vendor == "postgresql":
                    _pg_restore(connection.settings_dict, dump)
                else:
                    _sqlite_restore(dump, Path(connection.settings_dict["NAME"]))
                dump.unlink()
                connections.close_all()
            elif name.startswith(MEDIA_PREFIX):
                target = media_root.joinpath(*PurePosixPath(name[len(MEDIA_PREFIX) :]).parts)
                _write(handle, target, mode=0o644, mtime=info.mtime)
                media_files += 1
            elif name in targets:
                targets[name].parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                _write(handle, targets[name], mode=0o600, mtime=info.mtime)
                signing_files.append(str(targets[name]))
    report = journal_verify()
    return RestoreResult(
        manifest=manifest,
        media_files=media_files,
        signing_files=signing_files,
        journal=report,
        seconds=time.monotonic() - started,
        warnings=warnings,
    )


def _signing_targets(manifest: dict[str, Any]) -> dict[str, Path]:
    """Where each signing member goes in this installation (its configured paths)."""
    targets: dict[str, Path] = {}
    for entry in manifest.get("signing", []):
        member, setting = entry["member"], entry["setting"]
        if setting == "CERTIFICATE_DEMO_SIGNING_DIR":
            directory = getattr(settings, setting, None)
            if not directory:
                raise BackupError(f"the archive holds demo signing files; set {setting}")
            relative = PurePosixPath(member[len(DEMO_SIGNING_PREFIX) :])
            targets[member] = Path(directory).joinpath(*relative.parts)
        else:
            configured = getattr(settings, setting, "")
            if not configured:
                raise BackupError(
                    f"the archive holds the signing key and certificate; set {setting} to the "
                    f"path it should be restored to (it was {entry['source']})"
                )
            targets[member] = Path(configured)
    return targets


def _migration_warnings(manifest: dict[str, Any], using: str) -> list[str]:
    """Compare the archive's schema with this code's migrations."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True, load=True)
    warnings: list[str] = []
    for app, name in manifest.get("migrations", {}).items():
        if (app, name) not in loader.disk_migrations and app in loader.migrated_apps:
            warnings.append(
                f"the archive's schema has {app}.{name}, which this code does not know: restore "
                "with the release that made the backup (its git commit is in the manifest)"
            )
    leaves = {app: name for app, name in loader.graph.leaf_nodes()}
    behind = sorted(
        app
        for app, leaf in leaves.items()
        if app in manifest.get("migrations", {}) and manifest["migrations"][app] < leaf
    )
    if behind:
        warnings.append(
            f"the archive's schema is older than this code ({', '.join(behind)}): run "
            "`manage.py migrate` after the restore"
        )
    return warnings


def _write(handle: IO[bytes], target: Path, *, mode: int, mtime: float | None) -> None:
    """Stream a member to ``target`` through a temporary file beside it (atomic replace)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(handle, out, CHUNK)
        os.chmod(partial_name, mode)
        if mtime is not None:
            os.utime(partial_name, (mtime, mtime))
        os.replace(partial_name, target)
    except BaseException:
        Path(partial_name).unlink(missing_ok=True)
        raise
