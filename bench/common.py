"""What every benchmark prints with its figures."""

from __future__ import annotations

import os
import platform
import sqlite3

import aiosqlite
import telegram


def machine() -> str:
    """CPU, cores, Python and the library versions the figures depend on, for the line under each table."""
    model, cores = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            physical = ""
            for entry in cpuinfo:
                key, _, value = (part.strip() for part in entry.partition(":"))
                if key == "model name":
                    model = value
                elif key == "physical id":
                    physical = value
                elif key == "core id":
                    cores.add((physical, value))
    except OSError:
        pass
    logical = os.cpu_count() or 0
    core_text = f"{len(cores)} cores / {logical} logical CPUs" if cores else f"{logical} logical CPUs"
    return (
        f"{model}, {core_text}, Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()}; python-telegram-bot {telegram.__version__}, "
        f"aiosqlite {aiosqlite.__version__}, SQLite {sqlite3.sqlite_version}"
    )
