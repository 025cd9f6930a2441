"""`python -m bench <name> [options]`: a tiny dispatcher.

Each subcommand is a module with `main(argv: list[str]) -> int`; add one line to COMMANDS to add one.
Modules are imported only when chosen, so one benchmark's dependencies never slow down another.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, str] = {
    "memory": "bench.memory",
    "flood": "bench.flood",
    "mixed": "bench.mixed",
    "persistence": "bench.persistence",
    "reminders": "bench.reminders",
    "site": "bench.site",
    "throughput": "bench.throughput",
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in COMMANDS:
        names = ", ".join(sorted(COMMANDS))
        print(f"usage: python -m bench <name> [options]  (names: {names}; <name> --help for options)", file=sys.stderr)
        return 0 if args and args[0] in ("-h", "--help") else 2
    module = importlib.import_module(COMMANDS[args[0]])
    return int(module.main(args[1:]))


if __name__ == "__main__":
    raise SystemExit(main())
