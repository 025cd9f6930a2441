"""What the bot says: providers, procedures, items and UI strings as data files, with their schema and check."""

from content.check import coverage_matrix, load_content
from content.loader import Content, ContentError, Problem
from content.schema import LOCALES, Locale

__all__ = ["LOCALES", "Content", "ContentError", "Locale", "Problem", "coverage_matrix", "load_content"]
