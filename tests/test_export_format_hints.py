"""An unknown export format's hint: the close format for another tool's name of it
(`kubernetes` is `k8s` here), and every name that is read as a format, `env` and
`k8s-secret` among them (DESIGN.md gives `export --format k8s-secret`)."""

from __future__ import annotations

import pytest

from envkeep.core.errors import UsageError
from envkeep.integrations.exporters import format_named


def _hint_for(fmt: str) -> str:
    with pytest.raises(UsageError) as refused:
        format_named(fmt)
    return refused.value.hint or ""


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("kubernetes", "k8s"),
        ("kubernetes-secret", "k8s"),
        ("K8S_Secret", "k8s"),
        ("kubernetes-configmap", "k8s-configmap"),
        ("bash", "shell"),
        ("github-actions", "github"),
    ],
)
def test_another_tools_name_of_a_format_is_answered_with_envkeeps(typed: str, meant: str) -> None:
    assert _hint_for(typed).startswith(f"did you mean '{meant}'?")


def test_another_tools_name_of_a_format_is_still_refused() -> None:
    with pytest.raises(UsageError):
        format_named("kubernetes")


def test_k8s_secret_is_read_as_k8s_as_design_md_gives_it() -> None:
    assert format_named("k8s-secret") == "k8s"
    assert "k8s (or k8s-secret)" in _hint_for("nothing-like-it")


def test_the_unknown_format_hint_names_env_beside_dotenv() -> None:
    assert "use one of: dotenv (or env), json," in _hint_for("nothing-like-it")


def test_a_format_like_no_name_gets_no_guess() -> None:
    assert not _hint_for("nothing-like-it").startswith("did you mean")
