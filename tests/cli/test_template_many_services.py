"""`template apply` and `template detach` take --service several times, or --all (every service;
for detach every service that uses the template), and change envkeep.toml all or nothing: if
one service cannot take the change, no service is changed. One line per service says what
each uses now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import quick, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _template(project: Path, name: str, text: str) -> None:
    templates = project / ".envkeep" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / f"{name}.env").write_text(text, encoding="utf-8")


def _sees(envkeep: Envkeep, service: str, name: str) -> str:
    got = quick(envkeep, "get", name, "--env", "dev", "--service", service)
    return got.stdout.strip() if got.code == 0 else ""


def test_apply_with_service_given_twice_applies_to_both_with_a_line_each(
    envkeep: Envkeep, project: Path
) -> None:
    _template(project, "common", "LOG_FORMAT=json\n")

    applied = envkeep("template", "apply", "common", "--service", "api", "-s", "worker")

    assert applied.code == 0, applied.describe()
    assert applied.err_lines == [
        "service 'api' now uses templates: common",
        "service 'worker' now uses templates: common",
    ]
    assert _sees(envkeep, "api", "LOG_FORMAT") == "json"
    assert _sees(envkeep, "worker", "LOG_FORMAT") == "json"


def test_apply_all_applies_to_every_service_and_says_so_for_one_that_had_it(
    envkeep: Envkeep, project: Path
) -> None:
    _template(project, "common", "LOG_FORMAT=json\n")
    quick_ok(envkeep, "service", "add", "billing")
    quick_ok(envkeep, "template", "apply", "common", "--service", "worker")

    applied = envkeep("template", "apply", "common", "--all")

    assert applied.code == 0, applied.describe()
    assert applied.err_lines == [
        "service 'api' now uses templates: common",
        "service 'worker' now uses templates: common",
        "service 'billing' now uses templates: common",
    ]
    assert (project / "envkeep.toml").read_text("utf-8").count('templates = ["common"]') == 3
    assert _sees(envkeep, "billing", "LOG_FORMAT") == "json"


def test_apply_to_several_where_one_would_close_a_cycle_changes_none(
    envkeep: Envkeep, project: Path
) -> None:
    _template(project, "loop", "B=${A}\n")
    quick_ok(envkeep, "set", "A=${B}", "--env", "dev", "--service", "worker")  # worker's only
    before = (project / "envkeep.toml").read_bytes()

    refused = envkeep("template", "apply", "loop", "--service", "api", "--service", "worker")

    assert refused.code == 3, refused.describe()
    assert "to service 'worker' would close a reference cycle" in refused.err_lines[0]
    assert "nothing was changed" in refused.err_lines[0]
    assert (project / "envkeep.toml").read_bytes() == before
    assert _sees(envkeep, "api", "B") == ""  # api, which could take it, did not get it


def test_apply_naming_an_unknown_service_among_known_ones_changes_none(
    envkeep: Envkeep, project: Path
) -> None:
    _template(project, "common", "LOG_FORMAT=json\n")
    before = (project / "envkeep.toml").read_bytes()

    refused = envkeep("template", "apply", "common", "-s", "api", "-s", "wroker")

    assert refused.code != 0, refused.describe()
    assert "service 'wroker' is not in envkeep.toml" in refused.err_lines[0]
    assert (project / "envkeep.toml").read_bytes() == before


def test_apply_without_a_service_or_all_says_how_to_name_them(
    envkeep: Envkeep, project: Path
) -> None:
    _template(project, "common", "LOG_FORMAT=json\n")

    refused = envkeep("template", "apply", "common")
    both = envkeep("template", "apply", "common", "--all", "--service", "api")

    assert refused.code == 2, refused.describe()
    assert refused.err_lines == [
        "error: say which services",
        (
            "hint: pass --service NAME (again for more) or --all:"
            " envkeep template apply common --service NAME"
        ),
    ]
    assert both.code == 2, both.describe()
    assert both.err_lines[0] == "error: --all and --service both say which services"


def test_detach_from_several_where_one_lacks_it_changes_none_and_all_detaches_the_users(
    envkeep: Envkeep, project: Path
) -> None:
    _template(project, "common", "LOG_FORMAT=json\n")
    quick_ok(envkeep, "service", "add", "billing")
    quick_ok(envkeep, "template", "apply", "common", "-s", "api", "-s", "worker")
    before = (project / "envkeep.toml").read_bytes()

    refused = envkeep("template", "detach", "common", "-s", "api", "-s", "billing")
    assert refused.code != 0, refused.describe()
    assert refused.err_lines[0] == (
        "error: service 'billing' does not use template 'common'; nothing was changed"
    )
    assert (project / "envkeep.toml").read_bytes() == before

    detached = envkeep("template", "detach", "common", "--all")
    assert detached.code == 0, detached.describe()
    assert detached.err_lines == [
        "service 'api' no longer uses template 'common' (templates: none)",
        "service 'worker' no longer uses template 'common' (templates: none)",
    ]
    assert _sees(envkeep, "api", "LOG_FORMAT") == ""
    again = envkeep("template", "detach", "common", "--all")
    assert again.err_lines[0] == "error: no service uses template 'common'; nothing was changed"
