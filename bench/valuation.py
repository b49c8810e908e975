"""Valuation benchmarks: batch revaluation of 100,000 assets; preview latency over HTTP.

Run with `make bench`. Goals (issue "Quality grading and valuation engine"): the batch values
100,000 assets in under 30 s on the CI machine.
"""

from __future__ import annotations

import time

import requests

from bench.common import gunicorn, latencies, setup_django

ASSETS = 100_000
PREVIEW_BODY = {
    "method": "income",
    "variant": "royalty",
    "discount_rate": "0.12",
    "periods": [{"revenue": "1000", "share_rate": "0.05"}] * 5,
}


def main() -> None:
    env = setup_django()
    from django.core.management import call_command

    from operations.bulk_demo import seed_bulk
    from registry.models import Organisation
    from registry.services import api_key_issue
    from valuation.batch import appraisal_batch_revalue

    print(f"database: {env['DATABASE_URL']}")
    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    started = time.perf_counter()
    added = seed_bulk(ASSETS)
    print(f"seeded {added} synthetic assets in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    report = appraisal_batch_revalue(actor=None)
    elapsed = time.perf_counter() - started
    print(
        f"batch revaluation: {report.estimated} assets estimated in {elapsed:.1f} s "
        f"({report.estimated / elapsed:,.0f} assets/s; goal: 100,000 in < 30 s)"
    )

    bank = Organisation.objects.filter(kind="bank").first()
    _key_row, key = api_key_issue(organisation=bank, actor=None, name="bench")
    with gunicorn(env) as base, requests.Session() as session:
        session.headers["Authorization"] = f"Api-Key {key}"
        url = f"{base}/api/v1/valuations/preview/"

        def call() -> None:
            response = session.post(url, json=PREVIEW_BODY, timeout=10)
            response.raise_for_status()

        figures = latencies(call, count=500)
    print(
        "preview latency over HTTP (gunicorn, 2 workers, sequential, keep-alive): "
        + ", ".join(
            f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()
        )
    )


if __name__ == "__main__":
    main()
