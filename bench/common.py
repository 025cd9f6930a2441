"""What every benchmark prints with its figures."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    """CPU model, core count and Python version, for the line under each table."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    return (
        f"{model or platform.processor() or 'unknown CPU'}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
