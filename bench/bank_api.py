"""Bank API benchmarks on 1,000,000 assets and 200,000 pledges (PostgreSQL).

Prints pledge-status latency (p50/p99) and throughput over HTTP (gunicorn) beside a minimal
Django view that runs one indexed query on the same data, and the bulk endpoint's time for
1,000 numbers. Goals (issue "Pledge registry and bank API"): pledge-status at least 70 % of the
minimal view's throughput; bulk 1,000 under 300 ms.

Run with `make bench` (or `python -m bench.bank_api`); BENCH_ASSETS overrides the asset count.
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time

import requests

from bench.common import gunicorn, latencies, setup_django

ASSETS = int(os.environ.get("BENCH_ASSETS", "1000000"))
PLEDGES = ASSETS // 5
CLIENT_THREADS = 4
DURATION_S = 15.0


def throughput(urls: list[str], headers: dict[str, str]) -> dict[str, float]:
    """Requests per second with CLIENT_THREADS keep-alive clients over DURATION_S seconds."""
    counts, samples = [0] * CLIENT_THREADS, []
    deadline = time.monotonic() + DURATION_S
    lock = threading.Lock()

    def client(index: int) -> None:
        rng = random.Random(index)
        with requests.Session() as session:
            session.headers.update(headers)
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = session.get(rng.choice(urls), timeout=10)
                response.raise_for_status()
                elapsed = (time.perf_counter() - started) * 1000
                counts[index] += 1
                with lock:
                    samples.append(elapsed)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENT_THREADS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    samples.sort()
    return {
        "rps": sum(counts) / seconds,
        "p50_ms": samples[len(samples) // 2],
        "p99_ms": samples[int(len(samples) * 0.99) - 1],
        "mean_ms": statistics.fmean(samples),
    }


def main() -> None:
    env = setup_django()
    env["ROOT_URLCONF"] = "bench.urls"
    from django.core.management import call_command

    from operations.bulk_demo import seed_bulk
    from pledges.models import Pledge
    from registry.models import DataAsset, Organisation
    from registry.services import api_key_issue

    print(f"database: {env['DATABASE_URL']}")
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    started = time.perf_counter()
    added = seed_bulk(ASSETS, pledges=PLEDGES)
    print(
        f"seeded {added} synthetic assets in {time.perf_counter() - started:.1f} s "
        f"(now {DataAsset.objects.count():,} assets, {Pledge.objects.count():,} pledges)"
    )
    rng = random.Random(7)
    pledged = list(
        Pledge.objects.filter(status="active")
        .order_by("?")
        .values_list("asset__registration_number", flat=True)[:2000]
    )
    numbers = list(
        DataAsset.objects.filter(status="registered")
        .order_by("?")
        .values_list("registration_number", flat=True)[:2000]
    )
    sample = pledged[:1000] + numbers[:1000]
    rng.shuffle(sample)
    bank = Organisation.objects.filter(kind="bank").order_by("pk").first()
    _row, key = api_key_issue(organisation=bank, actor=None, name="bench")
    headers = {"Authorization": f"Api-Key {key}"}

    with gunicorn(env, workers=3) as base:
        status_urls = [f"{base}/api/v1/assets/{n}/pledge-status/" for n in sample]
        minimal_urls = [f"{base}/bench/minimal/{n}/" for n in sample]
        for url in (status_urls[0], minimal_urls[0]):
            requests.get(url, headers=headers, timeout=10).raise_for_status()
        minimal = throughput(minimal_urls, headers)
        status = throughput(status_urls, headers)
        ratio = status["rps"] / minimal["rps"]
        print(
            f"minimal view (1 indexed query): {minimal['rps']:.0f} req/s, "
            f"p50 {minimal['p50_ms']:.2f} ms, p99 {minimal['p99_ms']:.2f} ms"
        )
        print(
            f"pledge-status: {status['rps']:.0f} req/s, p50 {status['p50_ms']:.2f} ms, "
            f"p99 {status['p99_ms']:.2f} ms; {ratio:.0%} of the minimal view (goal >= 70%)"
        )
        with requests.Session() as session:
            session.headers.update(headers)
            body = {"registration_numbers": (pledged + numbers)[:1000]}
            url = f"{base}/api/v1/pledge-status/bulk/"

            def bulk() -> None:
                response = session.post(url, json=body, timeout=30)
                response.raise_for_status()

            figures = latencies(bulk, count=20, warmup=3)
        print(
            f"bulk pledge-status, 1,000 numbers: p50 {figures['p50_ms']:.0f} ms, "
            f"p95 {figures['p95_ms']:.0f} ms (goal < 300 ms)"
        )


if __name__ == "__main__":
    main()
