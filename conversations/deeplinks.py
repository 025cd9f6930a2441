"""The deep-link payload codec lives in content/deeplinks.py (the static site names its pages by it too)."""

from content.deeplinks import CHANNELS as CHANNELS
from content.deeplinks import MAX_PAYLOAD as MAX_PAYLOAD
from content.deeplinks import SIMS as SIMS
from content.deeplinks import decode as decode
from content.deeplinks import encode as encode
