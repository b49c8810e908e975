"""Run as a child process by the fault drills: issue a registration certificate for an asset, and
die (os._exit, as a SIGKILL or a power cut would) the instant the transaction has committed,
before anything else runs after the commit (the outbox's fast path included).

    python -m tests.faults.crash_after_commit <asset id>
"""

import os
import sys

EXIT_CODE = 9


def main(asset_id: int) -> None:
    import django

    django.setup()
    from django.db import transaction

    from registry.certificates import registration_certificate_issue
    from registry.models import DataAsset

    with transaction.atomic():
        # Registered first, so it runs first among the on-commit callbacks.
        transaction.on_commit(lambda: os._exit(EXIT_CODE))
        asset = DataAsset.objects.get(pk=asset_id)
        certificate = registration_certificate_issue(asset=asset, actor=None, reason="drill")
        print(certificate.number, flush=True)
    sys.exit("the process should have died at commit")


if __name__ == "__main__":
    main(int(sys.argv[1]))
