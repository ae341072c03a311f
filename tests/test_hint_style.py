"""Every hint reads one way (docs/design.md, CLI conventions): it starts in lower case, unless
its first word is a name written in capitals (ENVKEEP_TOKEN, EDITOR), and ends without a
period, as `error:` lines do. Checked on the source: a hint is a `hint=` argument or a
module-level `…_HINT` text."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1] / "src" / "envkeep"


def _leading_text(node: ast.expr) -> str | None:
    """The text a hint starts with, where the source spells it out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _leading_text(node.values[0])
    if isinstance(node, ast.BinOp):
        return _leading_text(node.left)
    return None


def _trailing_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        return _trailing_text(node.values[-1])
    if isinstance(node, ast.BinOp):
        return _trailing_text(node.right)
    return None


def _hints(tree: ast.Module) -> list[ast.expr]:
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "hint":
            found.append(node.value)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id.endswith("_HINT") for t in node.targets
        ):
            found.append(node.value)
    return found


def _problems(text: str, where: str) -> list[str]:
    wrong = []
    for hint in _hints(ast.parse(text)):
        first, last = _leading_text(hint), _trailing_text(hint)
        word = first.split(" ", 1)[0] if first else ""
        if first and first[:1].isupper() and not word.rstrip(":,").isupper():
            wrong.append(f"{where}:{hint.lineno}: starts {first[:30]!r}")
        if last and last.endswith(".") and not last.endswith(".."):
            wrong.append(f"{where}:{hint.lineno}: ends {last[-30:]!r}")
    return wrong


def test_every_hint_starts_in_lower_case_and_ends_without_a_period() -> None:
    wrong = [
        problem
        for path in sorted(SOURCE.rglob("*.py"))
        for problem in _problems(path.read_text(encoding="utf-8"), path.name)
    ]
    assert wrong == []


def test_the_check_sees_a_capital_a_period_and_a_hint_constant() -> None:
    sample = (
        'raise E("x", hint="Close the quote.")\n'
        'raise E("y", hint=f"set {name}: envkeep set {name}=V")\n'
        '_LINE_HINT = "Each line."\n'
        'raise E("z", hint="ENVKEEP_TOKEN is set; unset it")\n'
    )
    assert sorted(_problems(sample, "s")) == [
        "s:1: ends 'Close the quote.'",
        "s:1: starts 'Close the quote.'",
        "s:3: ends 'Each line.'",
        "s:3: starts 'Each line.'",
    ]
