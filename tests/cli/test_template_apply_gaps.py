"""`template apply` names, per environment, the names the template requires (with no default)
that the service now lacks, with the `set` that fixes each: `run` fails there until then. The
template is applied all the same; one the service sees from elsewhere is not named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from .conftest import quick, quick_ok

if TYPE_CHECKING:
    from .conftest import Envkeep

PG = "# @secret @required\nDB_PASSWORD=\n# @required\nDB_HOST=localhost\n# @required\nDB_USER=\n"


def test_apply_warns_where_the_service_now_lacks_a_required_name(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    (tmp_path / "pg.env").write_text(PG, encoding="utf-8")
    quick_ok(envkeep, "template", "create", "pg", "--from", str(tmp_path / "pg.env"))
    quick_ok(envkeep, "set", "DB_USER=app", "--env", "dev")  # shared: api sees it
    quick_ok(envkeep, "set", "DB_USER=app", "DB_PASSWORD=pw", "--env", "prod", "-s", "api")

    applied = envkeep.ok("template", "apply", "pg", "--service", "api")
    again = envkeep.ok("template", "apply", "pg", "--service", "api")

    assert applied.err_lines == [
        "service 'api' now uses templates: pg",
        (
            "warning: in dev, api lacks DB_PASSWORD, which template 'pg' requires: run and export"
            " will fail there until it is set: envkeep set DB_PASSWORD=VALUE --env dev"
            " --service api"
        ),
        (
            "warning: in staging, api lacks DB_PASSWORD, DB_USER, which template 'pg' requires:"
            " run and export will fail there until they are set: envkeep set DB_PASSWORD=VALUE"
            " DB_USER=VALUE --env staging --service api"
        ),
    ], applied.describe()
    assert "warning" not in again.stderr  # nothing changed
    assert quick(envkeep, "export", "--env", "dev", "--service", "api").code == 3
    assert quick(envkeep, "export", "--env", "prod", "--service", "api").code == 0


def test_a_new_templates_example_describes_each_name_and_not_the_first_with_its_header(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "template", "create", "demo")

    shown = json.loads(quick_ok(envkeep, "template", "show", "demo", "--json").stdout)

    described = {field["name"]: field["description"] for field in shown["fields"]}
    assert described == {
        "HOST": "The host to connect to.",
        "PORT": "The port on that host.",
        "URL": "Where to connect, made of the two above.",
    }
    assert "template apply NAME --service SERVICE" in Path(shown["source"]).read_text("utf-8")
