"""`python -m content check [--root DIR]`: validate every content file; print the coverage matrix, the
uncertain-step count per provider and how far any locale being translated is.
`python -m content site OUTDIR [--serve]`: render the static site from the same files (see README)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from pydantic import ValidationError

from content.check import coverage_matrix, load_content, translation_progress, uncertain_counts
from content.loader import DATA_DIR, Content, ContentError
from content.site.build import build_site
from content.site.serve import DEFAULT_PORT, serve
from content.site.settings import SiteSettings


def _check(content: Content) -> int:
    print(coverage_matrix(content))
    print("\nuncertain steps per provider (marked uncertain / all steps):")
    for provider_id, uncertain, total in uncertain_counts(content):
        print(f"  {provider_id:<18} {uncertain:>3} / {total}")
    progress = translation_progress(content)
    if progress:
        print("\nlocales being translated (texts that have it / all texts):")
        for locale, have, total in progress:
            print(f"  {locale:<18} {have:>4} / {total}")
    procedures = sum(len(p.procedures) for p in content.providers.values())
    print(
        f"\ncontent check OK: {len(content.providers)} providers, {procedures} procedures, "
        f"{len(content.catalogue.items)} items, {len(content.ui)} UI strings"
    )
    return 0


def _site(content: Content, args: argparse.Namespace) -> int:
    given = {"bot_username": args.bot_username, "bot_web_base_url": args.base_url}
    try:
        settings = SiteSettings(**{name: value for name, value in given.items() if value is not None})
    except ValidationError as exc:
        for err in exc.errors():
            print(f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}", file=sys.stderr)
        return 2
    out_dir: Path | None = args.outdir
    with tempfile.TemporaryDirectory(prefix="jpsim-site-") as scratch:
        target = out_dir or Path(scratch)
        report = build_site(
            content,
            target,
            bot_username=settings.bot_username,
            base_url=settings.bot_web_base_url,
        )
        print(
            f"site written to {target}: {report.pages} pages, {report.total_bytes / 1024:.0f} KiB in all; "
            f"largest {report.largest} ({report.largest_bytes / 1024:.1f} KiB, HTML and CSS)"
        )
        if args.serve:
            serve(target, port=args.port)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m content")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate the content files, print the coverage matrix and uncertain steps")
    check.add_argument("--root", type=Path, default=DATA_DIR, help="content data folder (default: the bundled one)")
    site = sub.add_parser("site", help="render the static site (one page per procedure and locale)")
    site.add_argument(
        "outdir", type=Path, nargs="?", help="where to write it (default with --serve: a temporary folder)"
    )
    site.add_argument("--root", type=Path, default=DATA_DIR, help="content data folder (default: the bundled one)")
    site.add_argument("--bot-username", help="the bot's @username for the Telegram links (default: BOT_USERNAME)")
    site.add_argument("--base-url", help="where the site is published, for canonical links (default: BOT_WEB_BASE_URL)")
    site.add_argument("--serve", action="store_true", help="then serve it on http://127.0.0.1:PORT until Ctrl+C")
    site.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port for --serve (default {DEFAULT_PORT})")
    args = parser.parse_args(argv)
    if args.command == "site" and args.outdir is None and not args.serve:
        parser.error("site needs OUTDIR (or --serve to preview from a temporary folder)")

    try:
        content = load_content(args.root)
    except ContentError as exc:
        print(f"content check FAILED: {len(exc.problems)} problem(s)", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return _site(content, args) if args.command == "site" else _check(content)


if __name__ == "__main__":
    sys.exit(main())
