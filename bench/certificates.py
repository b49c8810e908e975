"""Certificate PDF benchmark: CJK rendering cost against the Latin floor. No database needed.

Run from the project folder: `python -m bench.certificates [--renders N]`. Prints medians over N
renders (default 10, after two warm-up renders) of the same registration certificate:

- naive CJK: the system "Noto Sans CJK SC" used directly (FontMode.SYSTEM);
- optimised CJK: the prepared TrueType subsets (FontMode.SUBSET, what production uses);
- Latin floor: the same HTML with every non-ASCII character replaced by "xx" (about the width
  of an ideograph), in DejaVu Sans (FontMode.LATIN): same layout, no CJK font involved;
- the ratio optimised / Latin (goal: < 3) and the optimised size (goal: < 100 KB);
- cold first renders in fresh processes: with the font cache present, and with an empty cache
  (the subsets are built first: a one-off per machine and recipe).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATIO_GOAL = 3.0
SIZE_GOAL = 100_000


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not os.environ.get("SECRET_KEY"):
        os.environ.setdefault("DEBUG", "true")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    # WeasyPrint logs every rendering step at INFO.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)


def sample_certificate():
    from certificates.rendering import CertificateData

    return CertificateData(
        certificate_number="20260612000000012",
        registration_number="2026011123456789X",
        asset_name="天津港集装箱物流运营数据集",
        holder_name="天津港数据服务有限公司",
        holder_uscc="91120116MA05JKP8X7",
        rights=("数据资源持有权", "数据加工使用权", "数据产品经营权"),
        data_category="企业数据",
        data_category_en="Enterprise data",
        data_format="结构化数据表",
        record_count=12_345_678,
        size_bytes=2_684_354_560,
        update_frequency="每日",
        update_frequency_en="Daily",
        quality_grade="A",
        registration_date=dt.date(2026, 6, 9),
        valid_until=dt.date(2029, 6, 8),
        evidence_sha256="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        issued_on=dt.date(2026, 6, 12),
        version=1,
        verification_url="https://registry.example.cn/verify/20260612000000012",
    )


def latinise(html: str) -> str:
    """The same document with no character outside ASCII (each one becomes "xx")."""
    return re.sub(r"[^\x00-\x7f]", "xx", html)


def measure(render, count: int) -> tuple[float, int]:
    for _ in range(2):
        render()
    samples, size = [], 0
    for _ in range(count):
        started = time.perf_counter()
        size = len(render())
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), size


def cold(font_dir: str | None) -> dict[str, float]:
    """First render in this (fresh) process; run by main() in a child process."""
    started = time.perf_counter()
    setup_django()
    django_ready = time.perf_counter()
    from certificates.rendering import render_certificate_pdf

    pdf = render_certificate_pdf(sample_certificate(), font_dir=font_dir)
    done = time.perf_counter()
    return {"django": django_ready - started, "first_render": done - django_ready, "size": len(pdf)}


def cold_in_child(font_dir: str | None) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.certificates", "--cold"]
    if font_dir:
        command += ["--font-dir", font_dir]
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=10)
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--font-dir", help=argparse.SUPPRESS)
    parser.add_argument("--skip-build", action="store_true", help="skip the empty-cache run")
    args = parser.parse_args()
    if args.cold:
        print(json.dumps(cold(args.font_dir)))
        return

    setup_django()
    from django.conf import settings

    from certificates import fonts
    from certificates.fonts import FontMode
    from certificates.rendering import certificate_html, html_to_pdf

    # The cache, built once (see the empty-cache figure below).
    fonts.prepare_fonts(getattr(settings, "CERTIFICATE_FONT_DIR", None))
    warm_cache = cold_in_child(None)

    html = certificate_html(sample_certificate())
    latin_html = latinise(html)
    naive_time, naive_size = measure(lambda: html_to_pdf(html, mode=FontMode.SYSTEM), args.renders)
    subset_time, subset_size = measure(lambda: html_to_pdf(html), args.renders)
    latin_time, latin_size = measure(
        lambda: html_to_pdf(latin_html, mode=FontMode.LATIN), args.renders
    )
    ratio = subset_time / latin_time

    print(f"certificate rendering, median of {args.renders} renders (after 2 warm-up renders)")
    rows = (
        ("naive CJK (system Noto Sans CJK SC)", naive_time, naive_size),
        ("optimised CJK (TrueType subsets)", subset_time, subset_size),
        ("Latin floor (DejaVu Sans)", latin_time, latin_size),
    )
    for label, seconds, size in rows:
        print(f"  {label + ':':37} {seconds * 1000:7.1f} ms {size:>9,} B")
    print(
        f"  optimised / Latin: {ratio:.2f}x (goal < {RATIO_GOAL:g}x); "
        f"naive / Latin: {naive_time / latin_time:.2f}x; "
        f"size {subset_size / 1000:.1f} KB (goal < {SIZE_GOAL // 1000} KB)"
    )
    print(
        f"  cold first render, fresh process, font cache present: "
        f"{warm_cache['first_render'] * 1000:.0f} ms (+ {warm_cache['django'] * 1000:.0f} ms "
        f"django.setup)"
    )
    if not args.skip_build:
        with tempfile.TemporaryDirectory(prefix="certificate-fonts-") as empty:
            built = cold_in_child(empty)
        print(
            f"  cold first render, fresh process, empty font cache (subsets built): "
            f"{built['first_render']:.1f} s"
        )


if __name__ == "__main__":
    main()
