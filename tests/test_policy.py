"""Role inheritance and deny-by-default, as properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from envkeep.app.policy import Binding, Role, Target, covers, effective_role

ids = st.sampled_from(["a", "b", "c"])
roles = st.sampled_from(list(Role))


@st.composite
def targets(draw: st.DrawFn) -> Target:
    project = draw(st.none() | ids)
    env = draw(st.none() | ids) if project is not None else None
    return Target(draw(ids), project, env)


@st.composite
def bindings(draw: st.DrawFn) -> Binding:
    target = draw(targets())
    return Binding(draw(roles), target.workspace_id, target.project_id, target.environment_id)


@given(st.lists(bindings(), max_size=6), targets())
def test_no_binding_that_covers_the_target_means_no_access(
    held: list[Binding], target: Target
) -> None:
    covering = [b for b in held if covers(b, target)]
    assert (effective_role(held, target) is None) == (not covering)


@given(st.lists(bindings(), max_size=6), targets())
def test_bindings_in_another_workspace_never_grant(held: list[Binding], target: Target) -> None:
    foreign = [b for b in held if b.workspace_id != target.workspace_id]
    assert effective_role(foreign, target) is None


@given(st.lists(bindings(), max_size=6), targets())
def test_the_effective_role_is_the_highest_covering_one(
    held: list[Binding], target: Target
) -> None:
    role = effective_role(held, target)
    assert role is None or all(b.role <= role for b in held if covers(b, target))


@given(roles, targets())
def test_a_workspace_binding_covers_everything_in_it(role: Role, target: Target) -> None:
    assert effective_role([Binding(role, target.workspace_id)], target) == role


def test_an_environment_binding_covers_neither_its_project_nor_a_sibling() -> None:
    binding = Binding(Role.ADMIN, "w", "p", "dev")
    assert covers(binding, Target("w", "p", "dev"))
    assert not covers(binding, Target("w", "p"))
    assert not covers(binding, Target("w", "p", "prod"))
    assert not covers(binding, Target("w"))


def test_roles_are_ordered_admin_over_write_over_read() -> None:
    assert Role.ADMIN > Role.WRITE > Role.READ
    assert Role.parse("write") is Role.WRITE
    assert str(Role.ADMIN) == "admin"
