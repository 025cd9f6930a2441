"""Benchmarks, run as `python -m bench <name> [options]` from the project root (see bench/__main__.py)."""
