"""Unknown environments, services and templates: a near miss is pointed at, not offered for
creation."""

from __future__ import annotations

from envkeep.app.not_found import (
    environment_not_found,
    project_not_found,
    service_not_found,
    template_not_found,
)

ENVS = ["dev", "staging", "prod"]


def test_a_mistyped_environment_is_pointed_at() -> None:
    assert environment_not_found("stagin", "shop", ENVS).hint == "did you mean 'staging'?"
    assert environment_not_found("PROD", "shop", ENVS).hint == "did you mean 'prod'?"
    assert environment_not_found("dve", "shop", ENVS).hint == "did you mean 'dev'?"  # swapped


def test_a_new_name_is_offered_for_creation() -> None:
    error = environment_not_found("qa", "shop", ENVS)
    assert (
        error.message == "environment 'qa' not found in project 'shop' (envs: dev, prod, staging)"
    )
    assert error.hint == (
        "if it is new, create it with: envkeep env create qa --project shop; if it was renamed,"
        " use its new name"
    )


def test_a_caller_who_may_not_list_the_names_is_not_told_to_create_one() -> None:
    assert environment_not_found("stagin", "shop", None).hint == (
        "if it is new, an admin of project 'shop' can create it (envkeep env create stagin"
        " --project shop);"
        " if it was renamed, use its new name"
    )


def test_a_caller_who_may_not_list_the_names_is_pointed_at_one_it_reads() -> None:
    error = environment_not_found("stagin", "shop", None, readable=["staging"])
    assert error.message == (
        "environment 'stagin' not found in project 'shop' (envs you can read: staging)"
    )
    assert error.hint == "did you mean 'staging'?"
    assert project_not_found("shpo", None, readable=["shop"]).hint == "did you mean 'shop'?"
    assert project_not_found("crm", None, readable=[]).message == "project 'crm' not found"


def test_a_mistyped_service_is_pointed_at() -> None:
    assert service_not_found("API", "shop", ["api", "worker"]).hint == "did you mean 'api'?"
    assert service_not_found("apu", "shop", ["api", "worker"]).hint == "did you mean 'api'?"
    assert service_not_found("wroker", "shop", ["api", "worker"]).hint == "did you mean 'worker'?"
    assert service_not_found("billing", "shop", ["api"]).hint == (
        "add it with: envkeep service add billing --path PATH"
    )


def test_a_mistyped_project_is_pointed_at_and_a_new_one_offered_for_creation() -> None:
    assert project_not_found("shpo", ["shop", "blog"]).hint == "did you mean 'shop'?"
    assert project_not_found("crm", ["shop", "blog"]).hint == "create it with: envkeep init crm"
    assert project_not_found("shpo", None).hint == (
        "if you worked in it, you hold no role on it now: ask an admin of the workspace for one;"
        " if it is new, an admin of the workspace can create it (envkeep init shpo); if it was"
        " renamed, use its new name"
    )


def test_a_mistyped_template_is_pointed_at_and_a_new_one_offered_for_creation() -> None:
    assert template_not_found("postgre", ["postgres", "redis"]).hint == "did you mean 'postgres'?"
    new = template_not_found("kafka", ["postgres"])
    assert new.message == "template 'kafka' not found (templates: postgres)"
    assert new.hint == "create it with: envkeep template create kafka --from FILE"
    assert template_not_found("pg", []).message == "template 'pg' not found (templates: none yet)"
