"""Bytes in JSON: base64url without padding, both ways."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer


def b64e(data: bytes) -> str:
    """base64url text without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str | bytes) -> bytes:
    """Bytes from base64url text (padding optional); ValueError when it is not."""
    if isinstance(text, bytes):
        return text
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


B64 = Annotated[
    bytes, BeforeValidator(b64d), PlainSerializer(b64e, return_type=str, when_used="json")
]
