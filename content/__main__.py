"""`python -m content check [--root DIR]`: validate every content file; print the coverage matrix and the
uncertain-step count per provider."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from content.check import coverage_matrix, load_content, translation_progress, uncertain_counts
from content.loader import DATA_DIR, ContentError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m content")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate the content files, print the coverage matrix and uncertain steps")
    check.add_argument("--root", type=Path, default=DATA_DIR, help="content data folder (default: the bundled one)")
    args = parser.parse_args(argv)

    try:
        content = load_content(args.root)
    except ContentError as exc:
        print(f"content check FAILED: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(coverage_matrix(content))
    print("\nuncertain steps per provider (marked uncertain / all steps):")
    for provider_id, uncertain, total in uncertain_counts(content):
        print(f"  {provider_id:<18} {uncertain:>3} / {total}")
    print("\nlocales being translated (texts that have it / all texts):")
    for locale, have, total in translation_progress(content):
        print(f"  {locale:<18} {have:>4} / {total}")
    procedures = sum(len(p.procedures) for p in content.providers.values())
    print(
        f"\ncontent check OK: {len(content.providers)} providers, {procedures} procedures, "
        f"{len(content.catalogue.items)} items, {len(content.ui)} UI strings"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
