"""What a refused request leaves in the audit trail (`api/denials.py`): a bounded number of
events a minute for one principal, and a target made of names cut short and printable."""

from __future__ import annotations

from envkeep.api.denials import PER_MINUTE, RefusalBudget, _project_of, _target

ROUTE = "/v1/workspaces/{workspace_id}/projects/{project}/environments/{environment}/snapshot"


def test_a_principal_gets_at_most_so_many_refusals_recorded_a_minute() -> None:
    now = [120.0]
    budget = RefusalBudget(clock=lambda: now[0])

    first = [budget.take("bob") for _ in range(PER_MINUTE + 2)]
    other = budget.take("carol")
    now[0] += 60
    later = budget.take("bob")

    assert first == [True] * PER_MINUTE + [False, False]
    assert other is True  # the budget is each principal's own
    assert later is True


def test_a_target_is_the_names_cut_short_and_printable_never_the_callers_text() -> None:
    named = {"workspace_id": "w", "project": "shop", "environment": "prod"}
    hostile = {"workspace_id": "w", "project": "\x1b[2J\x1b[H\nfake line" + "x" * 20_000}

    assert _target(named, ROUTE) == "shop/prod"
    assert _target({"workspace_id": "w"}, "/v1/workspaces/{workspace_id}/members/grant") == (
        "workspace"
    )
    renamed = {"workspace_id": "w", "project": "shop", "name": "qa"}
    assert (
        _target(renamed, "/v1/workspaces/{workspace_id}/projects/{project}/environments/{name}")
        == "shop/qa"
    )
    service = {"workspace_id": "w", "project": "shop", "name": "api"}
    assert (
        _target(service, "/v1/workspaces/{workspace_id}/projects/{project}/services/{name}")
        == "shop"
    )
    shown = _target(hostile, ROUTE)
    assert shown.startswith("?[2J?[H?fake line")
    assert len(shown) == 64
    assert all(" " <= c <= "~" or c == "…" for c in shown)


def test_a_refusal_names_a_project_only_in_the_workspace_its_event_goes_to() -> None:
    """An ended token's 401 goes to the token's own workspace, whichever the route named: a
    project of the same name there is not the one the request asked for."""
    params = {"workspace_id": "ws-a", "project": "shop"}
    route = "/v1/workspaces/{workspace_id}/projects/{project}/environments"
    audit = "/v1/workspaces/{workspace_id}/audit"
    query = {"query_string": b"project=shop&limit=5"}

    assert _project_of(params, "ws-a", route, {}) == "shop"
    assert _project_of(params, "ws-b", route, {}) is None
    assert _project_of({"workspace_id": "ws-a"}, "ws-a", audit, query) == "shop"
    assert _project_of({"workspace_id": "ws-a"}, "ws-a", audit, {}) is None


def test_a_403s_event_names_the_role_it_asked_for_and_nothing_the_caller_chose() -> None:
    from envkeep.api.denials import _details, note_refusal
    from envkeep.core.errors import PermissionDenied

    asked: dict[str, object] = {}
    note_refusal(asked, PermissionDenied("needs write", needed="write"))
    odd: dict[str, object] = {}
    note_refusal(odd, PermissionDenied("needs something", needed="superuser"))
    found = asked["state"]["refusal_needed"]  # type: ignore[index]

    assert _details("POST", "/r", 403, found) == {
        "method": "POST",
        "route": "/r",
        "needed": "write",
    }
    assert _details("GET", "/r", 404, found) == {"method": "GET", "route": "/r", "status": 404}
    assert "state" not in odd  # only read, write and admin are roles
    assert _details("POST", "/r", 403, "superuser") == {"method": "POST", "route": "/r"}
