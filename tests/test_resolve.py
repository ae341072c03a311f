"""Tests for resolution: layer order, explain's trace, expansion after merging, whole projects."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envkeep.core.errors import ReferenceProblem, ServiceNotFound
from envkeep.core.resolve import Layer, Origin, Resolution, merge_layers, resolve, resolve_project

SECRET = "hunter2-s3cr3t-Zq9"
ORDER = ("template:postgres", "shared", "service:api", "local")


def stack(**layers: dict[str, str]) -> list[Layer]:
    """Layers in the order given; keyword names use '_' for ':' (template_postgres)."""
    return [Layer(name.replace("_", ":", 1), values) for name, values in layers.items()]


# --- layer order ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lower", "higher"),
    [(ORDER[i], ORDER[j]) for i in range(len(ORDER)) for j in range(i + 1, len(ORDER))],
)
def test_higher_layer_wins_over_every_lower_one(lower: str, higher: str) -> None:
    layers = [Layer(name, {"PORT": name}) for name in ORDER if name in (lower, higher)]
    result = resolve(layers)
    assert result.values["PORT"] == higher
    assert result.winners["PORT"] == higher


def test_name_set_only_in_a_lower_layer_survives() -> None:
    result = resolve(stack(template_postgres={"DB_NAME": "app"}, shared={}, local={"X": "1"}))
    assert result.values == {"DB_NAME": "app", "X": "1"}
    assert result.winners == {"DB_NAME": "template:postgres", "X": "local"}


def test_trace_lists_every_layer_that_set_a_name_lowest_first() -> None:
    layers = [
        Layer("template:postgres", {"DB_HOST": "localhost", "DB_NAME": "app"}),
        Layer("shared", {"DB_HOST": "db.shared"}),
        Layer("service:api", {"DB_NAME": "api"}),
        Layer("local", {"DB_HOST": "127.0.0.1"}),
    ]
    result = resolve(layers)
    assert result.trace["DB_HOST"] == (
        Origin("template:postgres", "localhost"),
        Origin("shared", "db.shared"),
        Origin("local", "127.0.0.1"),
    )
    assert result.trace["DB_NAME"] == (
        Origin("template:postgres", "app"),
        Origin("service:api", "api"),
    )
    assert result.winners == {"DB_HOST": "local", "DB_NAME": "service:api"}


def test_set_by_gives_the_names_a_service_set_itself() -> None:
    result = resolve(
        stack(shared={"A": "1", "B": "2"}, service_api={"B": "3", "C": "4"}, local={"D": "5"})
    )
    assert set(result.set_by({"service:api", "local"})) == {"B", "C", "D"}
    assert set(result.set_by({"service:api"})) == {"B", "C"}
    assert set(result.set_by({"template:none"})) == set()


def test_empty_value_in_a_higher_layer_still_wins() -> None:
    result = resolve(stack(shared={"FLAG": "on"}, local={"FLAG": ""}))
    assert result.values["FLAG"] == ""


def test_no_layers_resolve_to_nothing() -> None:
    result = resolve([])
    assert (result.values, result.raw, result.winners, result.trace) == ({}, {}, {}, {})


def test_merge_layers_takes_each_name_from_the_last_layer() -> None:
    merged = merge_layers([{"A": "1", "B": "1"}, {"B": "2"}, {"C": "3"}])
    assert merged == {"A": "1", "B": "2", "C": "3"}


# --- expansion after merging ------------------------------------------------------------------


def test_template_reference_uses_the_winning_value_of_each_name() -> None:
    layers = [
        Layer(
            "template:postgres",
            {
                "DATABASE_URL": "postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/${DB_NAME}",
                "DB_HOST": "localhost",
                "DB_NAME": "app",
            },
        ),
        Layer("shared", {"DB_USER": "shop", "DB_PASSWORD": "pw"}),
        Layer("local", {"DB_HOST": "127.0.0.1"}),
    ]
    result = resolve(layers)
    assert result.values["DATABASE_URL"] == "postgres://shop:pw@127.0.0.1:5432/app"
    assert result.raw["DATABASE_URL"].startswith("postgres://${DB_USER}")
    assert result.references["DATABASE_URL"] == ("DB_USER", "DB_PASSWORD", "DB_HOST", "DB_NAME")


def test_reference_error_is_reported_not_raised_and_keeps_the_raw_value() -> None:
    result = resolve(stack(shared={"DATABASE_URL": "x://${DB_PASSWORD}"}, local={"OK": "1"}))
    assert result.errors == {
        "DATABASE_URL": "DATABASE_URL -> DB_PASSWORD: 'DB_PASSWORD' is not set"
    }
    assert result.values == {"DATABASE_URL": "x://${DB_PASSWORD}", "OK": "1"}


def test_raise_first_on_a_resolution_raises_without_the_value() -> None:
    result = resolve(stack(shared={"TOKEN": f"{SECRET}${{TOKEN}}"}))
    with pytest.raises(ReferenceProblem) as caught:
        result.raise_first()
    assert str(caught.value) == "reference cycle: TOKEN -> TOKEN"
    assert caught.value.exit_code == 3
    assert SECRET not in str(caught.value)


def test_resolve_reads_another_service_through_lookup() -> None:
    worker = {"URL": "amqp://${HOST}", "HOST": "mq"}
    result = resolve(
        stack(shared={"QUEUE": "${worker.URL}/q"}), service="api", lookup={"worker": worker}.get
    )
    assert result.values["QUEUE"] == "amqp://mq/q"
    assert result.references["QUEUE"] == ("worker.URL", "worker.HOST")


# --- property: a later layer always wins -------------------------------------------------------

names = st.sampled_from(["A", "B", "C", "D", "db.url"])
layer_values = st.dictionaries(names, st.text(alphabet="xyz{}$ ", max_size=5), max_size=5)


@given(st.lists(layer_values, max_size=5))
def test_final_raw_value_comes_from_the_highest_layer_that_sets_it(
    stacks: list[dict[str, str]],
) -> None:
    layers = [Layer(f"layer{i}", values) for i, values in enumerate(stacks)]
    result = resolve(layers)
    for name in {n for values in stacks for n in values}:
        highest = max(i for i, values in enumerate(stacks) if name in values)
        assert result.raw[name] == stacks[highest][name]
        assert result.winners[name] == f"layer{highest}"
        assert [o.layer for o in result.trace[name]] == [
            f"layer{i}" for i, values in enumerate(stacks) if name in values
        ]
    assert set(result.raw) == set(result.values) == {n for values in stacks for n in values}
    assert result.raw == merge_layers(stacks)
    assert list(result.winners) == list(result.values) == list(merge_layers(stacks))


@given(st.lists(layer_values, min_size=1, max_size=5), st.integers(1, 4))
def test_a_layer_shared_by_many_stacks_gives_each_the_same_winners_as_alone(
    stacks: list[dict[str, str]], services: int
) -> None:
    """resolve_project maps a lower layer shared by every stack once; each stack still gets
    each name's highest layer, in the order the names were first set."""
    shared = Layer("shared", stacks[0])
    project = {
        f"svc{s}": [shared, *(Layer(f"layer{i}", v) for i, v in enumerate(stacks[1:], 1))]
        for s in range(services)
    }
    expected: dict[str, str] = {}
    for layer in project["svc0"]:
        expected.update(dict.fromkeys(layer.values, layer.name))
    for resolution in resolve_project(project).values():
        assert list(resolution.winners.items()) == list(expected.items())


# --- whole projects ---------------------------------------------------------------------------


def project_stacks() -> dict[str, list[Layer]]:
    shared = Layer("shared", {"DOMAIN": "shop.test", "LOG_LEVEL": "info"})
    return {
        "api": [
            shared,
            Layer("service:api", {"URL": "https://api.${DOMAIN}", "QUEUE": "${worker.URL}"}),
        ],
        "worker": [
            shared,
            Layer("service:worker", {"URL": "amqp://mq.${DOMAIN}", "API": "${api.URL}"}),
            Layer("local", {"LOG_LEVEL": "debug"}),
        ],
    }


def test_resolve_project_expands_cross_service_references_in_each_service() -> None:
    result = resolve_project(project_stacks())
    assert result["api"].values["QUEUE"] == "amqp://mq.shop.test"
    assert result["worker"].values["API"] == "https://api.shop.test"
    assert result["worker"].values["LOG_LEVEL"] == "debug"
    assert result["worker"].winners["LOG_LEVEL"] == "local"
    assert result["api"].references["QUEUE"] == ("worker.URL", "worker.DOMAIN")


def test_resolve_project_resolves_only_the_targets_but_reads_every_service() -> None:
    result = resolve_project(project_stacks(), targets=["api"])
    assert list(result) == ["api"]
    assert result["api"].values["QUEUE"] == "amqp://mq.shop.test"


def test_resolve_project_rejects_an_unknown_target() -> None:
    with pytest.raises(ServiceNotFound) as caught:
        resolve_project(project_stacks(), targets=["billing"])
    assert str(caught.value) == "service 'billing' not found (services: api, worker)"


def test_resolve_project_reports_a_cycle_across_services() -> None:
    stacks = {
        "api": [Layer("service:api", {"URL": "${worker.URL}"})],
        "worker": [Layer("service:worker", {"URL": "${api.URL}"})],
    }
    result = resolve_project(stacks)
    assert result["api"].errors == {"URL": "reference cycle: api.URL -> worker.URL -> api.URL"}
    assert result["worker"].errors == {
        "URL": "reference cycle: worker.URL -> api.URL -> worker.URL"
    }


def test_resolve_project_matches_resolving_each_service_on_its_own() -> None:
    stacks = project_stacks()
    merged = {name: merge_layers([x.values for x in layers]) for name, layers in stacks.items()}
    together = resolve_project(stacks)
    for name, layers in stacks.items():
        alone = resolve(layers, service=name, lookup=merged.get)
        assert together[name] == alone


def test_resolve_project_of_a_hundred_services_with_cross_references() -> None:
    count, per_service = 100, 200
    stacks: dict[str, list[Layer]] = {}
    for s in range(count):
        own = {f"VAR_{v}": f"s{s}v{v}" for v in range(per_service)}
        own["URL"] = f"http://svc{s}.${{DOMAIN}}:${{VAR_0}}"
        own["NEXT_URL"] = f"${{svc{(s + 1) % count}.URL}}"
        own["CHAIN"] = f"${{svc{s + 1}.CHAIN}}+{s}" if s + 1 < count else "end"
        stacks[f"svc{s}"] = [
            Layer("template:web", {"DOMAIN": "example.test", "VAR_1": "default"}),
            Layer(f"service:svc{s}", own),
            Layer("local", {"VAR_2": "mine"}),
        ]
    result = resolve_project(stacks)
    assert len(result) == count
    assert all(len(r.values) == per_service + 4 for r in result.values())
    assert all(r.errors == {} for r in result.values())
    assert result["svc7"].values["NEXT_URL"] == "http://svc8.example.test:s8v0"
    assert result["svc99"].values["NEXT_URL"] == "http://svc0.example.test:s0v0"
    assert result["svc97"].values["CHAIN"] == "end+98+97"
    assert result["svc0"].values["CHAIN"] == "end+" + "+".join(str(s) for s in range(98, -1, -1))
    assert result["svc3"].values["VAR_2"] == "mine"
    assert result["svc3"].winners["VAR_1"] == "service:svc3"


def test_a_resolution_holds_every_field_its_constructor_was_given() -> None:
    layer = Layer("shared", {"A": "${B}", "B": "1"})
    errors: dict[str, str] = {}
    given = ({"A": "1", "B": "1"}, {"A": "${B}", "B": "1"}, (layer,), {"A": ("B",)}, errors)

    found = Resolution(*given)

    assert tuple(getattr(found, f.name) for f in dataclasses.fields(found)) == given
    assert found.winners == {"A": "shared", "B": "shared"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.values = {}  # type: ignore[misc]
