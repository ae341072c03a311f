"""`NoAnswer`: what a route answering 204, with no body, answers (`logout`)."""

from __future__ import annotations

from pydantic import BaseModel


class NoAnswer(BaseModel):
    """A model with no fields, given as ``ApiClient.request(answer=NoAnswer)``: a 204 is read
    as before (None), while any JSON a 2xx carries shares no field with it (`answers.foreign`),
    so it is refused as another program's answer. Every envkeep server has answered
    ``POST /v1/auth/logout`` 204."""
