"""Tests for reference expansion: syntax, cross-service references, cycles and dangling paths."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envkeep.core._refsyntax import percent_format
from envkeep.core.errors import InputError, ReferenceProblem
from envkeep.core.references import (
    Expander,
    Expansion,
    Reference,
    expand,
    find_references,
    service_like_references,
    syntax_problem,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

SECRET = "hunter2-s3cr3t-Zq9"


def expanded(values: Mapping[str, str], **kwargs: object) -> dict[str, str]:
    result = expand(values, **kwargs)  # type: ignore[arg-type]
    assert result.errors == {}
    return result.values


def project(services: dict[str, dict[str, str]], service: str) -> Expansion:
    """Expand ``service`` with every service of ``services`` reachable through lookup."""
    return expand(services[service], service=service, lookup=services.get)


# --- same-set references ------------------------------------------------------------------


def test_same_set_reference_takes_the_resolved_value() -> None:
    values = expanded({"HOST": "db.internal", "URL": "postgres://${HOST}:5432"})
    assert values["URL"] == "postgres://db.internal:5432"


def test_reference_may_point_to_a_name_defined_later() -> None:
    assert expanded({"URL": "${HOST}/x", "HOST": "h"})["URL"] == "h/x"


def test_chain_is_expanded_transitively_and_recorded_in_order() -> None:
    result = expand({"A": "a(${B})", "B": "b(${C})", "C": "c"})
    assert result.values == {"A": "a(b(c))", "B": "b(c)", "C": "c"}
    assert result.references == {"A": ("B", "C"), "B": ("C",), "C": ()}


def test_references_are_listed_once_in_order_of_first_use() -> None:
    result = expand({"A": "${C}${B}${C}", "B": "${C}", "C": "c"})
    assert result.values["A"] == "ccc"
    assert result.references["A"] == ("C", "B")


def test_value_without_references_is_unchanged() -> None:
    values = {"PLAIN": "p@ss:w/rd {x} }", "EMPTY": ""}
    assert expanded(values) == values


def test_expansion_keeps_the_order_of_the_input() -> None:
    assert list(expanded({"Z": "${A}", "A": "1", "M": "2"})) == ["Z", "A", "M"]


def test_input_mapping_is_not_modified() -> None:
    values = {"A": "${B}", "B": "b"}
    expand(values)
    assert values == {"A": "${B}", "B": "b"}


# --- escapes and literal dollars ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "result"),
    [
        ("$${HOME}", "${HOME}"),
        ("$${B}", "${B}"),
        ("a$${", "a${"),
        ("$${B}${B}", "${B}b"),
        ("$$${B}", "$${B}"),
    ],
)
def test_double_dollar_brace_is_a_literal_dollar_brace(raw: str, result: str) -> None:
    assert expanded({"X": raw, "B": "b"})["X"] == result


def test_escaped_reference_is_not_recorded_as_a_reference() -> None:
    assert expand({"X": "$${B}", "B": "b"}).references["X"] == ()


@pytest.mark.parametrize("raw", ["$", "a$b", "cost: 5$", "$$", "$B", "$(B)", "${B}$"])
def test_dollar_not_followed_by_brace_is_literal(raw: str) -> None:
    result = expanded({"X": raw, "B": "b"})["X"]
    assert result == raw.replace("${B}", "b")


# --- syntax errors --------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["${", "abc${NAME", f"{SECRET}${{", "${A}${", "$${}${x"])
def test_unterminated_reference_is_an_error_naming_the_variable(raw: str) -> None:
    result = expand({"PASSWORD": raw, "A": "a"})
    assert result.errors["PASSWORD"].startswith("PASSWORD: unterminated '${'")
    assert result.values["PASSWORD"] == raw
    assert SECRET not in result.errors["PASSWORD"]


@pytest.mark.parametrize("raw", ["${}", "${1x}", "${a b}", "${A${B}}", "${-x}", "${:-d}", "${A:d}"])
def test_malformed_reference_is_an_error_naming_the_variable(raw: str) -> None:
    result = expand({"X": raw, "A": "a", "B": "b"})
    assert result.errors["X"].startswith("X: malformed reference;")
    assert syntax_problem(raw) == "a malformed reference"


@pytest.mark.parametrize("raw", ["${A:-${B}}", "x${A:-y${B}}z", "${svc.A:-${B}}"])
def test_a_reference_inside_a_fallback_is_an_error_saying_a_fallback_is_text(raw: str) -> None:
    result = expand({"X": raw, "B": "b"})
    assert result.errors["X"].startswith("X: a reference inside a fallback, which is not expanded;")
    assert "a fallback is literal text" in result.errors["X"]
    assert syntax_problem(raw) == "a reference inside a fallback"


# --- fallbacks: ${NAME:-text} -----------------------------------------------------------------


@pytest.mark.parametrize("fill", [True, False], ids=["fill", "walk"])
def test_a_fallback_stands_in_for_a_name_not_set_or_empty_and_only_then(fill: bool) -> None:
    values = {
        "SET": "${HOST:-localhost}:${PORT:-5432}",
        "UNSET": "${NOPE:-localhost}/${ALSO_NOPE:-}x",
        "EMPTY": "${BLANK:-fallback}",
        "EMPTY_VIA": "${VIA_BLANK:-fallback}",
        "CHAINED": "[${SET:-no}]",
        "TEXT": "${NOPE:-a b $c %(d)s . :-}",
        "HOST": "db",
        "PORT": "6543",
        "BLANK": "",
        "VIA_BLANK": "${BLANK}",
    }
    result = Expander(lambda s: values if s is None else None, fill=fill).expand(None)

    assert result.errors == {}
    assert result.values["SET"] == "db:6543"
    assert result.values["UNSET"] == "localhost/x"
    assert result.values["EMPTY"] == "fallback"
    assert result.values["EMPTY_VIA"] == "fallback"
    assert result.values["CHAINED"] == "[db:6543]"
    assert result.values["TEXT"] == "a b $c %(d)s . :-"
    assert result.references["SET"] == ("HOST", "PORT")
    assert result.references["UNSET"] == ()  # what was not set is no reference


def test_a_fallback_covers_the_name_itself_not_what_it_refers_to() -> None:
    result = expand({"A": "${B:-fallback}", "B": "${C}", "D": "${D:-x}"})

    assert result.errors["A"] == "A -> B -> C: 'C' is not set"
    assert result.errors["D"].startswith("reference cycle: D -> D")


def test_a_fallback_across_services() -> None:
    sources = {None: {"URL": "${api.HOST:-api}:${api.PORT:-80}"}, "api": {"HOST": "api.internal"}}
    result = Expander(sources.get).expand(None)

    assert result.values["URL"] == "api.internal:80"


def test_find_references_names_what_a_fallback_covers() -> None:
    found = find_references("${A:-x} ${s.B:-y} ${C:-${D}}", services={"s"})

    assert [str(r) for r in found] == ["A", "s.B"]


def test_syntax_error_in_a_referenced_value_names_the_path() -> None:
    result = expand({"A": "${B}", "B": f"{SECRET}${{"})
    assert result.errors["A"] == "A -> B: unterminated '${' in 'B'; write '$${' for a literal '${'"
    assert SECRET not in result.errors["A"]


# --- cycles ---------------------------------------------------------------------------------


def test_self_reference_is_a_cycle_of_length_one() -> None:
    result = expand({"A": "x${A}"})
    assert result.errors == {"A": "reference cycle: A -> A"}
    assert result.values == {"A": "x${A}"}


def test_cycle_of_length_two_is_reported_from_each_member() -> None:
    result = expand({"A": "${B}", "B": "${A}", "C": "c"})
    assert result.errors == {
        "A": "reference cycle: A -> B -> A",
        "B": "reference cycle: B -> A -> B",
    }
    assert result.values["C"] == "c"


def test_cycle_of_length_three_prints_the_whole_path() -> None:
    result = expand({"A": "${B}", "B": "${C}", "C": "${A}"})
    assert result.errors == {
        "A": "reference cycle: A -> B -> C -> A",
        "B": "reference cycle: B -> C -> A -> B",
        "C": "reference cycle: C -> A -> B -> C",
    }


def test_name_leading_into_a_cycle_reports_the_path_through_it() -> None:
    result = expand({"X": "${A}", "A": "${B}", "B": "${A}"})
    assert result.errors["X"] == "reference cycle: X -> A -> B -> A"


def test_cycle_is_reported_whichever_member_is_expanded_first() -> None:
    result = expand({"B": "${A}", "X": "${A}", "A": "${B}"})
    assert result.errors == {
        "B": "reference cycle: B -> A -> B",
        "X": "reference cycle: X -> A -> B -> A",
        "A": "reference cycle: A -> B -> A",
    }


def test_cycle_across_services_prints_qualified_names() -> None:
    services = {"api": {"URL": "${worker.URL}"}, "worker": {"URL": "${api.URL}/w"}}
    assert project(services, "api").errors == {
        "URL": "reference cycle: api.URL -> worker.URL -> api.URL"
    }
    assert project(services, "worker").errors == {
        "URL": "reference cycle: worker.URL -> api.URL -> worker.URL"
    }


def test_cycle_through_a_service_own_name_is_detected() -> None:
    services = {"api": {"A": "${api.B}", "B": "${A}"}}
    assert project(services, "api").errors["A"] == "reference cycle: A -> B -> A"


# --- dangling references --------------------------------------------------------------------


def test_dangling_reference_names_the_path_to_it() -> None:
    result = expand({"DATABASE_URL": "postgres://u:${DB_PASSWORD}@h", "DB_USER": "u"})
    assert result.errors == {
        "DATABASE_URL": "DATABASE_URL -> DB_PASSWORD: 'DB_PASSWORD' is not set"
    }
    assert result.values["DATABASE_URL"] == "postgres://u:${DB_PASSWORD}@h"


def test_dangling_reference_at_the_end_of_a_chain_reports_the_full_path() -> None:
    result = expand({"A": "${B}", "B": "${C}"})
    assert result.errors == {
        "A": "A -> B -> C: 'C' is not set",
        "B": "B -> C: 'C' is not set",
    }


def test_names_without_errors_still_expand_beside_a_dangling_one() -> None:
    result = expand({"BAD": "${MISSING}", "GOOD": "${OK}", "OK": "ok"})
    assert set(result.errors) == {"BAD"}
    assert result.values["GOOD"] == "ok"
    assert result.references["BAD"] == ()


def test_dangling_cross_service_reference_names_the_service() -> None:
    services = {"api": {"X": "${worker.Y}"}, "worker": {"Z": "z"}}
    assert project(services, "api").errors == {
        "X": "api.X -> worker.Y: 'Y' is not set in service 'worker'"
    }


def test_dotted_name_of_an_unknown_service_says_there_is_no_such_service() -> None:
    result = expand({"X": "${billing.KEY}"}, service="api", lookup={"api": {}}.get)
    assert result.errors == {
        "X": "X -> billing.KEY: 'billing.KEY' is not set, and there is no service 'billing'"
    }


# --- cross-service references and dotted names ---------------------------------------------


def test_cross_service_reference_is_expanded_in_its_own_service() -> None:
    services = {
        "api": {"QUEUE": "${worker.URL}/jobs", "HOST": "api-host"},
        "worker": {"URL": "amqp://${HOST}:${PORT}", "HOST": "worker-host", "PORT": "5672"},
    }
    result = project(services, "api")
    assert result.values["QUEUE"] == "amqp://worker-host:5672/jobs"
    assert result.references["QUEUE"] == ("worker.URL", "worker.HOST", "worker.PORT")


def test_reference_back_to_the_root_service_is_shown_unqualified() -> None:
    services = {"api": {"A": "${worker.B}", "C": "c"}, "worker": {"B": "${api.C}"}}
    result = project(services, "api")
    assert result.values["A"] == "c"
    assert result.references["A"] == ("worker.B", "C")


def test_service_own_name_reads_the_values_being_expanded() -> None:
    lookup = {"api": {"HOST": "stale"}}.get
    result = expand({"URL": "${api.HOST}", "HOST": "fresh"}, service="api", lookup=lookup)
    assert result.values["URL"] == "fresh"


def test_dotted_name_is_a_plain_name_when_the_prefix_is_not_a_service() -> None:
    values = {"spring.datasource.url": "jdbc:x", "URL": "${spring.datasource.url}"}
    result = expand(values, lookup={"api": {}}.get)
    assert result.values["URL"] == "jdbc:x"
    assert result.references["URL"] == ("spring.datasource.url",)


def test_dotted_name_is_a_cross_service_reference_when_the_prefix_is_a_service() -> None:
    values = {"worker.URL": "plain", "A": "${worker.URL}"}
    result = expand(values, service="api", lookup={"worker": {"URL": "remote"}}.get)
    assert result.values["A"] == "remote"
    assert result.references["A"] == ("worker.URL",)


def test_without_lookup_a_dotted_reference_is_a_plain_name() -> None:
    assert expanded({"a.b": "1", "X": "${a.b}"})["X"] == "1"


def test_lookup_is_asked_once_per_service() -> None:
    asked: list[str] = []

    def lookup(service: str) -> dict[str, str] | None:
        asked.append(service)
        return {"A": "a", "B": "b"} if service == "worker" else None

    values = {"X": "${worker.A}${worker.B}", "Y": "${worker.A}", "Z": "${nope.Q}", "nope.Q": "q"}
    result = expand(values, service="api", lookup=lookup)
    assert result.values == {"X": "ab", "Y": "a", "Z": "q", "nope.Q": "q"}
    assert sorted(asked) == ["nope", "worker"]


# --- raise_first ----------------------------------------------------------------------------


def test_raise_first_raises_reference_problem_with_exit_code_three() -> None:
    result = expand({"OK": "${A}", "A": "a", "TOKEN": f"{SECRET}${{MISSING}}", "B": "${B}"})
    with pytest.raises(ReferenceProblem) as caught:
        result.raise_first()
    assert str(caught.value) == "TOKEN -> MISSING: 'MISSING' is not set"
    assert caught.value.exit_code == 3
    assert caught.value.code == "reference_error"
    assert isinstance(caught.value, InputError)
    assert SECRET not in str(caught.value)
    assert SECRET not in (caught.value.hint or "")


def test_raise_first_does_nothing_without_errors() -> None:
    result = expand({"A": "${B}", "B": "b"})
    result.raise_first()
    assert result.errors == {}


# --- find_references and Reference ---------------------------------------------------------


def test_find_references_lists_each_well_formed_reference_once_in_order() -> None:
    value = "${B}-$${ESC}-${api.URL}-${B}-${a.b}-${}-${bad name}-$5-${UNCLOSED"
    assert find_references(value, services={"api"}) == [
        Reference(None, "B"),
        Reference("api", "URL"),
        Reference(None, "a.b"),
    ]


def test_find_references_treats_unknown_service_prefix_as_part_of_the_name() -> None:
    assert find_references("${api.URL}") == [Reference(None, "api.URL")]


def test_reference_prints_as_it_is_written() -> None:
    assert str(Reference(None, "DB_USER")) == "DB_USER"
    assert str(Reference("worker", "URL")) == "worker.URL"


def test_long_chain_does_not_hit_the_recursion_limit() -> None:
    length = sys.getrecursionlimit() + 500
    values = {f"V{i}": f"${{V{i + 1}}}" for i in range(length)}
    values[f"V{length}"] = "end"
    result = expand(values)
    assert result.errors == {}
    assert result.values["V0"] == "end"
    assert len(result.references["V0"]) == length


def test_long_cycle_reports_every_member() -> None:
    length = sys.getrecursionlimit() + 500
    values = {f"V{i}": f"${{V{(i + 1) % length}}}" for i in range(length)}
    result = expand(values)
    assert set(result.errors) == set(values)
    assert result.errors["V1"].startswith("reference cycle: V1 -> V2 -> ")
    assert result.errors["V1"].endswith(f" -> V{length - 1} -> V0 -> V1")


# --- properties: random reference graphs ----------------------------------------------------

SERVICES = ("api", "worker", "db")
NAMES = ("A", "B", "C", "x.y", "_z")


@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Esc:
    pass


@dataclass(frozen=True)
class Ref:
    service: str | None
    name: str


Part = Lit | Esc | Ref
Graph = dict[str, dict[str, tuple[Part, ...]]]


def render(parts: tuple[Part, ...]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Lit):
            out.append(part.text)
        elif isinstance(part, Esc):
            out.append("$${")
        else:
            out.append(f"${{{Reference(part.service, part.name)}}}")
    return "".join(out)


class Model:
    """The expected expansion by plain recursion: None for a cycle or a dangling reference.

    Reaching a name already on the path means the current name is on a cycle too, so a
    result never depends on the path and may be cached (which keeps deep graphs fast).
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.cache: dict[tuple[str, str], str | None] = {}

    def value(
        self, service: str, name: str, path: frozenset[tuple[str, str]] = frozenset()
    ) -> str | None:
        key = (service, name)
        if key not in self.cache:
            parts = self.graph[service].get(name)
            if parts is None or key in path:
                return None
            self.cache[key] = self._join(service, parts, path | {key})
        return self.cache[key]

    def _join(
        self, service: str, parts: tuple[Part, ...], path: frozenset[tuple[str, str]]
    ) -> str | None:
        out = []
        for part in parts:
            if isinstance(part, Lit):
                out.append(part.text)
            elif isinstance(part, Esc):
                out.append("${")
            else:
                found = self.value(part.service or service, part.name, path)
                if found is None:
                    return None
                out.append(found)
        return "".join(out)


@st.composite
def graphs(draw: st.DrawFn, *, escapes: bool = True) -> Graph:
    services = SERVICES[: draw(st.integers(1, 3))]
    kinds: list[st.SearchStrategy[Part]] = [
        # Literal text may hold '$' only as "$ ", which can never start a reference.
        st.builds(Lit, st.text(alphabet="ab{}.-", max_size=3) | st.just("$ ")),
        st.builds(Ref, st.none(), st.sampled_from(NAMES)),
        st.builds(Ref, st.sampled_from(services), st.sampled_from(NAMES)),
    ]
    if escapes:
        kinds.append(st.just(Esc()))
    value = st.lists(st.one_of(kinds), max_size=4).map(tuple)
    return {s: draw(st.dictionaries(st.sampled_from(NAMES), value)) for s in services}


@given(graphs())
def test_expansion_agrees_with_a_naive_model_and_always_terminates(graph: Graph) -> None:
    rendered = {s: {n: render(parts) for n, parts in values.items()} for s, values in graph.items()}
    expect = Model(graph)
    for service in graph:
        result = project(rendered, service)
        assert list(result.values) == list(rendered[service])
        for name in rendered[service]:
            expected = expect.value(service, name)
            if expected is None:
                assert name in result.errors
                assert result.values[name] == rendered[service][name]
            else:
                assert name not in result.errors
                assert result.values[name] == expected


@given(graphs(escapes=False))
def test_expanded_values_hold_no_reference_without_escapes(graph: Graph) -> None:
    rendered = {s: {n: render(parts) for n, parts in values.items()} for s, values in graph.items()}
    for service in graph:
        result = project(rendered, service)
        for name, value in result.values.items():
            assert (name in result.errors) != ("${" not in value)


@given(st.dictionaries(st.sampled_from(NAMES), st.text(alphabet="${}AB.x_ ", max_size=12)))
def test_arbitrary_text_expands_or_fails_and_plain_text_is_untouched(
    values: dict[str, str],
) -> None:
    other = {"A": "${B}", "B": "b"}
    result = expand(values, service="api", lookup={"x": other}.get)
    assert list(result.values) == list(values)
    for name, raw in values.items():
        if "$" not in raw:
            assert result.values[name] == raw
            assert name not in result.errors
        elif name in result.errors:
            assert result.values[name] == raw
        else:
            for ref in find_references(raw, services={"api", "x"}):
                assert ref.name in (values if ref.service in (None, "api") else other)


# --- unusual text around references ----------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "name", "expected"),
    [
        ({"A": "cost $5 ${B}", "B": "x"}, "A", "cost $5 x"),  # a literal '$' in the expansion
        ({"a.b": "v", "C": "${a.b}"}, "C", "v"),  # a dotted name of the same set
        ({"x": "s", "x.upper": "U", "C": "${x.upper}"}, "C", "U"),  # never an attribute of x
        ({"A": "a\x00${B}", "B": "b"}, "A", "a\x00b"),  # a NUL in a value
        ({"A": "${B}-${C}", "B": "x\x00y", "C": "c"}, "A", "x\x00y-c"),  # ... in a value read
        ({"A": '{"h": "${B}"}', "B": "b"}, "A", '{"h": "b"}'),  # literal braces
        ({"A": "${B}", "B": "\x03${C}", "C": "c"}, "A", "\x03c"),  # a control character
        ({"A": "${B}${B}$$x", "B": "b"}, "A", "bb$$x"),  # '$$' not before '{' is literal
    ],
)
def test_unusual_text_around_references_expands_as_written(
    values: dict[str, str], name: str, expected: str
) -> None:
    assert expanded(values)[name] == expected


def test_a_reference_with_a_format_spec_is_malformed_not_formatted() -> None:
    result = expand({"A": "${B:>5}", "B": "b"})
    assert result.values["A"] == "${B:>5}"
    assert "malformed reference" in result.errors["A"]


# --- the fast path (one %-format per service) agrees with the general walk ---------------


def walked(services: dict[str, dict[str, str]], service: str, *, fill: bool) -> Expansion:
    expander = Expander(lambda name: services.get(name) if name is not None else None, fill=fill)
    return expander.expand(service)


@given(graphs())
def test_fast_path_gives_the_values_and_errors_of_the_general_walk(graph: Graph) -> None:
    rendered = {s: {n: render(parts) for n, parts in values.items()} for s, values in graph.items()}
    for service in graph:
        fast, slow = (walked(rendered, service, fill=fill) for fill in (True, False))
        assert list(fast.values.items()) == list(slow.values.items())
        assert fast.errors == slow.errors
        assert dict(fast.references) == dict(slow.references)


@given(
    st.dictionaries(
        st.sampled_from((*NAMES, "api", "x.A", "api.B")),
        st.text(alphabet="${}%()AB.x_/ \x00", max_size=14),
    )
)
def test_fast_path_agrees_with_the_walk_on_arbitrary_text(values: dict[str, str]) -> None:
    services = {"api": values, "x": {"A": "${B}", "B": "b%", "A.B": "ab"}}
    fast, slow = (walked(services, "api", fill=fill) for fill in (True, False))
    assert list(fast.values.items()) == list(slow.values.items())
    assert fast.errors == slow.errors


@pytest.mark.parametrize(
    ("values", "name", "expected"),
    [
        ({"A": "100%${B}%%", "B": "5%"}, "A", "100%5%%%"),  # '%' is never a format directive
        ({"A": "%(B)s${B}", "B": "b"}, "A", "%(B)sb"),
        ({"A": "(${B})", "B": "b"}, "A", "(b)"),
        ({"A": "${B}/${C}", "B": "${C}", "C": "c"}, "A", "c/c"),  # a value read before its turn
    ],
)
def test_percent_signs_and_brackets_expand_as_written(
    values: dict[str, str], name: str, expected: str
) -> None:
    assert expanded(values)[name] == expected


def test_dotted_cross_service_name_beside_its_prefix_is_not_an_attribute() -> None:
    services = {"api": {"U": "${worker.A.B}", "V": "${worker.A}"}, "worker": {"A": "a", "A.B": "x"}}
    result = project(services, "api")
    assert result.values == {"U": "x", "V": "a"}
    assert result.references["U"] == ("worker.A.B",)


def test_chain_deeper_than_the_fast_path_nests_is_finished_by_the_walk() -> None:
    values = {f"V{i}": f"${{V{i + 1}}}+" for i in range(100)}
    values["V100"] = "end"
    result = expand(values)
    assert result.errors == {}
    assert result.values["V0"] == "end" + "+" * 100


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("${A}", "%(A)s"),
        ("https://${HOST}:${PORT}/x", "https://%(HOST)s:%(PORT)s/x"),
        ("${svc.A}:1", "%(svc/A)s:1"),
        ("${svc.a.b}.x${C}", "%(svc/a/b)s.x%(C)s"),  # a literal dot stays a dot
        ("5% ${A}", "5%% %(A)s"),
        ("{${A}", "{%(A)s"),
        ("$${A}", None),  # an escape: the walk's
        ("${A", None),
        ("a}${A}", None),
        ("${A:>5}", None),
        ("${}", None),
    ],
)
def test_percent_format_rewrites_only_plain_references(raw: str, expected: str | None) -> None:
    assert percent_format(raw) == expected


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("http://${apii.HOST:-localhost}:8080", ["apii.HOST"]),  # a fallback or not
        ("${apii.HOST}/${api.PORT}/${apii.HOST:-x}", ["apii.HOST"]),  # each once; api is one
        ("${DB_USER}${Upper.NAME}${a.b.c}", ["a.b.c"]),  # only what could name a service
        ("$${apii.HOST}${x.Y", []),  # an escape, an unterminated one
        ("${apii.HOST:-${B}}", []),  # a reference in a fallback: a syntax error, not this
    ],
)
def test_references_to_no_service_are_those_whose_head_could_be_one(
    value: str, found: list[str]
) -> None:
    assert [str(r) for r in service_like_references(value, {"api", "worker"})] == found
