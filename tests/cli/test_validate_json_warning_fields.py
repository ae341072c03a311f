"""`SchemaWarning` keeps the printed text as ``said`` and the schema file's line number as
``line``, the names `validate --json` gives them (``message`` and ``line``): ``line`` meant
the text and ``file_line`` the number, the other way round from the JSON."""

from __future__ import annotations

from envkeep.cli.validate_json import warnings_json
from envkeep.client.schema_notes import SchemaWarning


def test_a_warning_item_gives_its_file_line_as_line_and_its_text_as_message() -> None:
    warning = SchemaWarning(
        service="api",
        name="PORT",
        rule="duplicate",
        said="warning: .env.example line 7: PORT is declared again",
        file=".env.example",
        line=7,
    )

    (item,) = warnings_json([warning], reveal=False)

    assert (item["line"], item["message"]) == (7, ".env.example line 7: PORT is declared again")
