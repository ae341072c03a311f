"""`core/secret_split`: which resolved values are known not to be secret (a ConfigMap may hold
them, GitHub need not mask them), and why each other one may be."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.core.resolve import Layer, Resolution, resolve, resolve_project
from envkeep.core.secret_split import Reason, SchemaNames, SecretSplit, split_secrets

if TYPE_CHECKING:
    from collections.abc import Iterable

GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5" * 3 + "F6g7H8"

# What the tester stored for worker, with no schema anywhere.
TESTER = {
    "DB_PASSWORD": "hunter2",
    "CONN": "postgres://app:${DB_PASSWORD}@db/x",
    "DB_PASS": "pw2",
    "APIKEY": "k1",
    "GH_PAT": "ghp_x",
    "REDIS_URL": "redis://:redispw@redis:6379",
}


def names(declared: Iterable[str] = (), marked: Iterable[str] = ()) -> SchemaNames:
    """What the schemas say: ``marked`` are declared too, as a schema marks what it declares."""
    return SchemaNames(declared=frozenset([*declared, *marked]), marked=frozenset(marked))


def worker(values: dict[str, str]) -> Resolution:
    return resolve([Layer("service:worker", values)], service="worker")


def split(values: dict[str, str], schemas: SchemaNames) -> SecretSplit:
    return split_secrets(worker(values), schemas)


def test_without_a_schema_nothing_is_known_plain_and_each_name_says_why() -> None:
    result = split(TESTER, names())

    assert result.plain == {}
    assert result.reasons == {
        "APIKEY": Reason.SECRET_NAME,
        "CONN": Reason.HOLDING,
        "DB_PASS": Reason.SECRET_NAME,
        "DB_PASSWORD": Reason.SECRET_NAME,
        "GH_PAT": Reason.SECRET_NAME,
        "REDIS_URL": Reason.CREDENTIAL,
    }
    assert result.held == worker(TESTER).values


def test_a_name_a_schema_declares_and_none_marks_is_plain() -> None:
    values = {"LOG_LEVEL": "info", "PORT": "8080", "PROJECT": "shop", "NOTE": "x"}

    result = split(values, names(["LOG_LEVEL", "PORT", "PROJECT"]))

    assert result.plain == {"LOG_LEVEL": "info", "PORT": "8080", "PROJECT": "shop"}
    assert list(result.plain) == ["LOG_LEVEL", "PORT", "PROJECT"]  # sorted
    assert result.reasons == {"NOTE": Reason.UNDECLARED}
    assert result.held == {"NOTE": "x"}


def test_a_name_any_schema_marks_secret_is_held_though_another_declares_it() -> None:
    result = split({"DB_PASSWORD": "hunter2"}, names(["DB_PASSWORD"], marked=["DB_PASSWORD"]))

    assert result.plain == {}
    assert result.reasons == {"DB_PASSWORD": Reason.MARKED}


def test_a_secret_looking_name_a_schema_declares_without_secret_is_plain_on_purpose() -> None:
    result = split({"DB_PASS": "pw2", "GH_PAT": "ghp_x"}, names(["DB_PASS", "GH_PAT"]))

    assert result.plain == {"DB_PASS": "pw2", "GH_PAT": "ghp_x"}


def test_a_declared_value_that_carries_a_credential_is_held() -> None:
    values = {"REDIS_URL": "redis://:redispw@redis:6379", "UPSTREAM": GITHUB_TOKEN}

    result = split(values, names(values))

    assert result.plain == {}
    assert result.reasons == {"REDIS_URL": Reason.CREDENTIAL, "UPSTREAM": Reason.CREDENTIAL}


def test_a_value_a_reference_fills_from_a_secret_is_held_through_every_step() -> None:
    values = {"A": "${B}", "B": "prefix-${C}", "C": "hunter2", "D": "plain"}

    result = split(values, names(["A", "B", "D"], marked=["C"]))

    assert result.plain == {"D": "plain"}
    assert result.reasons == {"A": Reason.HOLDING, "B": Reason.HOLDING, "C": Reason.MARKED}


def test_a_value_filled_from_a_credential_is_held_where_its_own_text_shows_none() -> None:
    """Glued to a word, the token is no word of its own: the reference still says where the
    value came from."""
    values = {"UPSTREAM_ID": GITHUB_TOKEN, "COMBINED": "id${UPSTREAM_ID}"}

    result = split(values, names(values))

    assert result.reasons == {"COMBINED": Reason.HOLDING, "UPSTREAM_ID": Reason.CREDENTIAL}


def test_a_value_filled_from_an_undeclared_secret_looking_name_is_held() -> None:
    values = {"CONN": "user=app pass=${DB_PASS}", "DB_PASS": "pw2"}

    result = split(values, names(["CONN"]))

    assert result.reasons == {"CONN": Reason.HOLDING, "DB_PASS": Reason.SECRET_NAME}


def test_a_value_filled_from_a_name_held_only_as_undeclared_stays_plain() -> None:
    values = {"GREETING": "hello ${WHO}", "WHO": "world"}

    result = split(values, names(["GREETING"]))

    assert result.plain == {"GREETING": "hello world"}
    assert result.reasons == {"WHO": Reason.UNDECLARED}


def test_a_value_filled_from_a_secret_looking_name_declared_plain_stays_plain() -> None:
    values = {"DB_PASS": "pw2", "CONN": "pass=${DB_PASS}"}

    assert split(values, names(values)).plain == {"CONN": "pass=pw2", "DB_PASS": "pw2"}


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        ("${api.DATABASE_URL}", Reason.HOLDING),  # api's schema marks it
        ("${api.API_TOKEN}", Reason.HOLDING),  # no schema declares it; its name looks secret
        ("${api.PORT}", None),  # declared, not marked
        ("${api.EXTRA}", None),  # undeclared only
    ],
)
def test_a_reference_to_another_services_name_is_judged_by_that_name(
    reference: str, reason: Reason | None
) -> None:
    api = {
        "DATABASE_URL": "postgres://db/shop",
        "API_TOKEN": "tok",
        "PORT": "8080",
        "EXTRA": "x",
    }
    stacks = {
        "api": [Layer("service:api", api)],
        "web": [Layer("service:web", {"UPSTREAM": f"at {reference}"})],
    }
    resolution = resolve_project(stacks)["web"]

    result = split_secrets(resolution, names(["UPSTREAM", "PORT"], marked=["DATABASE_URL"]))

    assert result.reasons.get("UPSTREAM") == reason


def test_each_reason_lists_its_names_sorted_and_every_name_has_one_place() -> None:
    values = {**TESTER, "ZED": "1", "ALPHA": "2", "LOG_LEVEL": "info", "SECRET_B": "s"}

    result = split(values, names(["LOG_LEVEL"], marked=["SECRET_B"]))

    assert result.names(Reason.SECRET_NAME) == ("APIKEY", "DB_PASS", "DB_PASSWORD", "GH_PAT")
    assert result.names(Reason.UNDECLARED) == ("ALPHA", "ZED")
    assert result.names(Reason.MARKED) == ("SECRET_B",)
    assert set(result.plain).isdisjoint(result.held)
    assert set(result.plain) | set(result.held) == set(values)
    assert set(result.reasons) == set(result.held)


def test_a_split_never_shows_a_value_in_its_repr() -> None:
    result = split(TESTER | {"LOG_LEVEL": "info-level"}, names(["LOG_LEVEL"]))

    assert "hunter2" not in repr(result)
    assert "info-level" not in repr(result)
