"""`envkeep get A B …`: several names' values, one a line in the order given (Doppler's
`secrets get A B --plain`), or with --json an object of each name and its value; one name
alone prints as it always did."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

KEY = "-----BEGIN KEY-----\nc2VjcmV0\n-----END KEY-----"


def test_get_of_several_names_prints_each_value_on_its_line_in_the_order_given(
    envkeep: Envkeep, seeded: Path
) -> None:
    result = envkeep("get", "PORT", "LOG_LEVEL", "DATABASE_URL", "--env", "dev")

    assert result.code == 0, result.describe()
    assert result.stdout == "3000\ninfo\npostgres://db/shop\n"


def test_get_of_one_name_prints_its_value_alone_as_before(envkeep: Envkeep, seeded: Path) -> None:
    result = envkeep("get", "PORT", "--env", "dev", "--service", "api")

    assert result.code == 0, result.describe()
    assert result.stdout == "8080\n"


def test_get_json_prints_an_object_of_each_name_and_its_value(
    envkeep: Envkeep, seeded: Path
) -> None:
    result = envkeep("get", "--json", "PORT", "LOG_LEVEL", "--env", "dev", "--service", "api")

    assert result.code == 0, result.describe()
    assert json.loads(result.stdout) == {"PORT": "8080", "LOG_LEVEL": "info"}
    assert list(json.loads(result.stdout)) == ["PORT", "LOG_LEVEL"]


def test_several_names_with_a_value_holding_a_line_break_are_refused_toward_json(
    envkeep: Envkeep, seeded: Path
) -> None:
    envkeep.ok("set", "TLS_KEY", "--env", "dev", stdin=KEY + "\n")

    result = envkeep("get", "PORT", "TLS_KEY", "--env", "dev")

    assert result.code == 2, result.describe()
    assert result.stdout == ""
    assert "TLS_KEY holds a line break" in result.stderr
    assert "--json" in result.stderr
    assert "c2VjcmV0" not in result.stderr


def test_a_value_holding_a_line_break_is_printed_whole_with_json_or_alone(
    envkeep: Envkeep, seeded: Path
) -> None:
    envkeep.ok("set", "TLS_KEY", "--env", "dev", stdin=KEY + "\n")

    as_json = envkeep("get", "PORT", "TLS_KEY", "--env", "dev", "--json")
    alone = envkeep("get", "TLS_KEY", "--env", "dev")

    assert json.loads(as_json.stdout) == {"PORT": "3000", "TLS_KEY": KEY}, as_json.describe()
    assert alone.stdout == KEY + "\n", alone.describe()


def test_get_of_several_names_with_one_not_set_prints_none_of_them(
    envkeep: Envkeep, seeded: Path
) -> None:
    result = envkeep("get", "PORT", "PROT", "--env", "dev")

    assert result.code == 1, result.describe()
    assert result.stdout == ""
    assert "variable 'PROT' not found" in result.stderr
    assert "did you mean PORT?" in result.stderr
