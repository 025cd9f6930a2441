"""QR codes (segno) for showing a procedure's link on a phone at the shop or to a friend."""

from __future__ import annotations

import io

import segno

SCALE, BORDER = 8, 4


def qr_png(data: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=SCALE, border=BORDER)
    return buffer.getvalue()
