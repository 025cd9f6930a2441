"""`python -m bench site`: build the static site and print its size: page count, largest page (HTML with its
inline CSS, which is all a page loads), the median, the whole site, and how long the build took."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import jinja2

from bench.common import machine
from content import load_content
from content.site.build import build_site

TARGET_BYTES = 60 * 1024  # the budget for one page


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench site", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="builds to time (default 3; the fastest is shown)")
    args = parser.parse_args(argv)
    content = load_content()
    timings = []
    with tempfile.TemporaryDirectory(prefix="bench-site-") as scratch:
        for _ in range(max(1, args.rounds)):
            started = time.perf_counter()
            report = build_site(content, Path(scratch), bot_username="jpsim_bot")
            timings.append(time.perf_counter() - started)
        sizes = sorted(p.stat().st_size for p in Path(scratch).rglob("*.html"))
    verdict = "under" if report.largest_bytes < TARGET_BYTES else "OVER"
    print(f"pages: {report.pages} ({len(content.providers)} providers, every selection in every locale)")
    print(f"largest page: {report.largest}, {report.largest_bytes / 1024:.1f} KiB ({verdict} the 60 KiB target)")
    print(
        f"median page: {statistics.median(sizes) / 1024:.1f} KiB; whole site: {report.total_bytes / 1024 / 1024:.1f} MiB"
    )
    print(f"build: {min(timings):.2f} s (fastest of {len(timings)})")
    print(f"machine: {machine()}, Jinja2 {jinja2.__version__}")
    return 0
