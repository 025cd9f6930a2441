# A sample for tests/test_layers.py: never imported.
import bot
from app.build import build_application
from conversations.flow import QUESTIONS

__all__ = ["QUESTIONS", "bot", "build_application"]
