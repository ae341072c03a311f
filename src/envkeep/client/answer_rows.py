"""A listing's answer (a JSON list of one model's rows) checked row by row and kept as sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel


def read_rows(model: type[BaseModel], answer: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``answer`` (as `ApiClient.request(answer=[model])` gave it: a list), each row read by
    `read_answer`, so that a row missing a field ``model`` requires, or with one of the wrong
    type, is refused naming it (exit 5) rather than failing as a bug where a command reads it.
    The rows are returned as the server sent them: an older server's lack the optional fields
    (callers `.get` those), and a newer one's added fields reach `--json` as before."""
    from envkeep.client.answers import read_answer

    for row in answer:
        read_answer(model, row)
    return answer
