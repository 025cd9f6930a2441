"""`python -m content check [--root DIR]`: validate every content file and print the coverage matrix."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from content.check import coverage_matrix, glossary_problems, load_content, step_counts
from content.loader import DATA_DIR, ContentError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m content")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate the content files and print the coverage matrix")
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
    for provider_id, uncertain, total, unphased in step_counts(content):
        todo = f"   ({unphased} without a phase yet)" if unphased else ""
        print(f"  {provider_id:<18} {uncertain:>3} / {total:<3}{todo}")
    pending = list(glossary_problems(content))
    if pending:
        print(f"\npending (not enforced yet): {len(pending)} glossary problem(s)")
        for problem in pending:
            print(f"  {problem}")
    procedures = sum(len(p.procedures) for p in content.providers.values())
    print(
        f"\ncontent check OK: {len(content.providers)} providers, {procedures} procedures, "
        f"{len(content.catalogue.items)} items, {len(content.ui)} UI strings"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
