"""Backup and restore (operations/backup.py, `manage.py backup` / `restore`): backup → wipe →
restore brings back every asset, pledge, certificate document, journal row, media and signing
file, and the registration numbers continue; a tampered archive and a database holding data are
refused before anything is touched. On both databases (the PostgreSQL restore drops and
recreates every table of the test database: transactional tests)."""

import datetime as dt
import gzip
import hashlib
import io
import json
import shutil
import tarfile
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from certificates.models import Certificate
from core import sequences
from operations.backup import BackupError, archive_verify, restore
from pledges.models import Pledge
from pledges.services import pledge_register
from registry.identifiers import parse_registration_number
from registry.models import DataAsset, JournalEvent
from registry.models.journal import JournalHead
from tests.factories import BankFactory, RegistrarFactory, UserFactory, registered_asset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _signing_dir(settings, tmp_path):
    # The test's own demo identity: the wipe deletes it, the restore must bring it back.
    settings.CERTIFICATE_DEMO_SIGNING_DIR = tmp_path / "signing"


@pytest.fixture
def registrar():
    return RegistrarFactory(username="registrar1")


@pytest.fixture
def data(registrar, django_capture_on_commit_callbacks):
    """Two registered assets (their registration certificates rendered) and a pledge on one of
    them (its pledge certificate rendered), all through the services."""
    with django_capture_on_commit_callbacks(execute=True):
        first = registered_asset(registrar=registrar)
        second = registered_asset(registrar=registrar, name="天津港船舶靠泊计划数据集")
        bank_user = UserFactory(username="pledgee1", organisation=BankFactory(), role="bank")
        pledge_register(
            asset=first,
            pledgee=bank_user.organisation,
            actor=bank_user,
            secured_amount="1200000.00",
            debt_start=dt.date(2026, 7, 1),
            debt_end=dt.date(2027, 6, 30),
        )
    rendered = Certificate.objects.exclude(document_sha256="")
    assert rendered.count() == Certificate.objects.count() >= 3
    return first, second


def _snapshot() -> dict:
    """Everything the restore must bring back, by value."""
    certificates = []
    for certificate in Certificate.objects.order_by("id"):
        with certificate.document.open("rb") as handle:
            stored = hashlib.sha256(handle.read()).hexdigest()
        certificates.append(
            (
                certificate.pk,
                certificate.number,
                certificate.kind,
                certificate.status,
                certificate.document.name,
                certificate.document_sha256,
                stored,
            )
        )
    return {
        "assets": list(
            DataAsset.objects.order_by("id").values_list(
                "id", "registration_number", "status", "name", "holder_id", "sample_file"
            )
        ),
        "pledges": list(
            Pledge.objects.order_by("id").values_list(
                "id", "number", "status", "secured_amount", "priority", "asset_id"
            )
        ),
        "certificates": certificates,
        "journal": list(
            JournalEvent.objects.order_by("id").values_list(
                "id", "stream", "seq", "event_type", "prev_hash", "hash"
            )
        ),
        "heads": list(
            JournalHead.objects.order_by("stream").values_list(
                "stream", "last_seq", "last_hash", "last_event_id"
            )
        ),
        "media": _tree(Path(settings.MEDIA_ROOT)),
        "signing": _tree(Path(settings.CERTIFICATE_DEMO_SIGNING_DIR)),
    }


def _tree(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _wipe() -> None:
    """An empty installation: no rows, sequences from 1, no media, no signing identity."""
    call_command("flush", interactive=False, verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for name in sequences.SEQUENCES:
                cursor.execute(f"ALTER SEQUENCE {sequences.pg_sequence_name(name)} RESTART")
    shutil.rmtree(settings.MEDIA_ROOT)
    shutil.rmtree(settings.CERTIFICATE_DEMO_SIGNING_DIR)
    assert not DataAsset.objects.exists() and not JournalEvent.objects.exists()


def _backup(tmp_path: Path) -> Path:
    out = StringIO()
    call_command("backup", output=str(tmp_path / "backup.tar.gz"), stdout=out)
    assert "Backup written:" in out.getvalue()
    return tmp_path / "backup.tar.gz"


def test_backup_wipe_restore_brings_everything_back_and_numbers_continue(data, registrar, tmp_path):
    # given
    before = _snapshot()
    assert before["media"] and before["signing"]
    started = time.monotonic()
    archive = _backup(tmp_path)
    backup_seconds = time.monotonic() - started

    # then: the manifest lists every member with its hash, in a fixed order
    manifest = archive_verify(archive)
    names = [member["name"] for member in manifest["members"]]
    database_member = {
        "postgresql": "database/registry.pgdump",
        "sqlite": "database/registry.sqlite3",
    }[connection.vendor]
    assert names == [
        database_member,
        *(f"media/{name}" for name in before["media"]),
        *(f"signing/demo/{name}" for name in before["signing"]),
    ]
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["migrations"]["registry"].startswith("00")
    assert archive.stat().st_mode & 0o077 == 0  # it holds the signing key

    # when: wiped, then restored
    _wipe()
    assert _snapshot()["assets"] == []
    started = time.monotonic()
    out = StringIO()
    call_command("restore", str(archive), stdout=out)
    restore_seconds = time.monotonic() - started

    # then: every row, document and file is back, and the chain verifies
    assert "Journal intact:" in out.getvalue()
    after = _snapshot()
    assert after == before
    for *_, document_sha256, stored in after["certificates"]:
        assert stored == document_sha256

    # and the next registration number follows the last one restored
    last = max(parse_registration_number(n).sequence for _, n, *_ in before["assets"])
    new = registered_asset(registrar=registrar, name="天津港新增数据集")
    assert parse_registration_number(new.registration_number).sequence == last + 1
    call_command("verify_journal", stdout=StringIO())
    print(
        f"\n[{connection.vendor}] backup {backup_seconds:.2f} s, restore {restore_seconds:.2f} s, "
        f"archive {archive.stat().st_size:,} bytes, {len(names)} members"
    )


def test_restore_refuses_a_database_with_data_unless_forced(data, registrar, tmp_path):
    # given: a backup, then one more asset registered
    before = _snapshot()
    archive = _backup(tmp_path)
    registered_asset(registrar=registrar, name="备份之后登记的数据集")

    # when / then: refused, nothing changed
    with pytest.raises(CommandError, match=r"already holds registry data.*--force"):
        call_command("restore", str(archive), stdout=StringIO())
    assert DataAsset.objects.count() == len(before["assets"]) + 1

    # when: forced, the database is the archive's again
    call_command("restore", str(archive), force=True, stdout=StringIO())
    after = _snapshot()
    assert {k: v for k, v in after.items() if k != "media"} == {
        k: v for k, v in before.items() if k != "media"
    }
    # the later asset's sample file stays in MEDIA_ROOT, unreferenced
    assert set(before["media"]) < set(after["media"])


def test_a_tampered_archive_is_refused_before_anything_is_touched(data, tmp_path):
    # given: a backup whose first media file was changed after it was written
    archive = _backup(tmp_path)
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(tampered, "w:gz") as target:
        for info in source:
            content = source.extractfile(info).read()
            if info.name.startswith("media/") and not content.startswith(b"x"):
                content = b"x" + content[1:]
            target.addfile(info, io.BytesIO(content))
    _wipe()

    # when / then
    with pytest.raises(BackupError, match=r"media/.* does not match its SHA-256"):
        restore(tampered)
    assert not DataAsset.objects.exists()
    assert not Path(settings.MEDIA_ROOT).exists()
    assert not Path(settings.CERTIFICATE_DEMO_SIGNING_DIR).exists()


def test_an_archive_of_another_format_or_database_is_refused(data, tmp_path):
    archive = _backup(tmp_path)
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        members = [(info, tar.extractfile(info).read()) for info in tar]

    def rewritten(**changes) -> Path:
        path = tmp_path / "rewritten.tar.gz"
        with gzip.open(path, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
            for info, content in members:
                if info.name == "manifest.json":
                    content = json.dumps({**manifest, **changes}).encode()
                    info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
        return path

    with pytest.raises(BackupError, match="format version 2"):
        archive_verify(rewritten(format_version=2))
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    with pytest.raises(BackupError, match=f"holds a {other} database"):
        restore(rewritten(database={**manifest["database"], "vendor": other}))
    assert DataAsset.objects.count() == 2
