"""A ``.env`` copied from the ``.env.example`` and imported keeps its placeholders
(``changeme``, ``<your-key>``): `validate` names each value that is still its example and reads
as a placeholder, as a warning counted in its counts line (exit 0: it may be meant), and never
an example that is a fine value (``localhost``) nor a real value set in its place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

EXAMPLE = """\
## Stripe
STRIPE_PUBLISHABLE_KEY=<your-publishable-key>
ADMIN_PASSWORD=changeme
REDIS_HOST=localhost
"""


def _placeholder_line(name: str) -> str:
    return (
        f"warning: api.{name} is still the placeholder services/api/.env.example gives as its"
        f" example, not a real value; set it: envkeep set {name}=… --env dev --service api"
    )


def _imported_copy(envkeep: Envkeep, project: Path) -> None:
    api = project / "services" / "api"
    (api / ".env.example").write_text(EXAMPLE, encoding="utf-8")
    quick_ok(envkeep, "service", "set", "api", "--schema", "services/api/.env.example")
    (api / ".env").write_text(EXAMPLE, encoding="utf-8")  # cp .env.example .env
    quick_ok(envkeep, "import", "services/api/.env", "--env", "dev", "--service", "api")


def test_validate_names_each_placeholder_kept_as_a_value(envkeep: Envkeep, project: Path) -> None:
    _imported_copy(envkeep, project)

    result = envkeep("validate", "--env", "dev", "--service", "api")

    assert result.code == 0, result.describe()
    assert result.err_lines == [
        _placeholder_line("STRIPE_PUBLISHABLE_KEY"),
        _placeholder_line("ADMIN_PASSWORD"),
        "0 errors, 2 warnings in 1 service (dev)",
    ], result.describe()
    assert "changeme" not in result.stderr


def test_a_real_value_in_place_of_the_placeholder_is_not_named(
    envkeep: Envkeep, project: Path
) -> None:
    _imported_copy(envkeep, project)
    quick_ok(envkeep, "set", "ADMIN_PASSWORD=s3cr3t-Horse", "--env", "dev", "--service", "api")

    result = envkeep("validate", "--env", "dev", "--service", "api")

    assert result.code == 0, result.describe()
    assert "api.ADMIN_PASSWORD" not in result.stderr, result.describe()
    assert result.err_lines[-1] == "0 errors, 1 warning in 1 service (dev)", result.describe()
