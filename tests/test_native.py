"""The compiled core (scripts/build_native.py): loaded only when it matches its sources, and
giving the same answers as the sources it was compiled from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from envkeep.core import _native

ROOT = Path(__file__).resolve().parent.parent

# Resolve and validate a project with references, planted problems and every value type, and
# print what came out; run once on the compiled core and once on the sources.
_PROBE = """
import json, sys
sys.path.insert(0, "bench")
import envkeep.core.resolve as resolve
from _resolution import build_project, resolve_and_validate
resolutions, findings = resolve_and_validate(build_project())
print(json.dumps({
    "module": resolve.__file__,
    "values": {name: r.values for name, r in resolutions.items()},
    "errors": {name: r.errors for name, r in resolutions.items()},
    "references": {name: dict(r.references) for name, r in list(resolutions.items())[:5]},
    "findings": [[f.service, f.name, f.rule, f.message, f.severity] for f in findings],
}))
"""


def _sources(directory: Path) -> None:
    for module in (*_native.COMPILED, "errors"):  # "errors": a module that is not compiled
        (directory / f"{module}.py").write_text(f"# {module}\n", encoding="utf-8")


def _manifest(compiled: Path, sources: Path) -> None:
    compiled.mkdir()
    lines = _native.stamp_lines(str(sources))
    (compiled / _native.MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_manifest_matches_the_sources_it_was_written_for(tmp_path: Path) -> None:
    _sources(tmp_path)
    _manifest(tmp_path / "_compiled", tmp_path)
    assert _native.manifest_matches(str(tmp_path / "_compiled"), str(tmp_path))


@pytest.mark.parametrize("module", [_native.COMPILED[-1], "errors"])
def test_an_edited_module_makes_the_compiled_modules_stale(tmp_path: Path, module: str) -> None:
    # "errors" is not compiled, but the compiled modules were checked against its types.
    _sources(tmp_path)
    _manifest(tmp_path / "_compiled", tmp_path)
    edited = tmp_path / f"{module}.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "x = 1\n", encoding="utf-8")
    assert not _native.manifest_matches(str(tmp_path / "_compiled"), str(tmp_path))


def test_no_manifest_or_a_missing_source_means_pure_python(tmp_path: Path) -> None:
    _sources(tmp_path)
    assert not _native.manifest_matches(str(tmp_path / "_compiled"), str(tmp_path))
    _manifest(tmp_path / "_compiled", tmp_path)
    (tmp_path / f"{_native.COMPILED[0]}.py").unlink()
    assert not _native.manifest_matches(str(tmp_path / "_compiled"), str(tmp_path))


def test_the_variable_keeps_the_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_native.PURE_PYTHON_VARIABLE, "1")
    path: list[str] = []
    assert not _native.use_compiled(path)
    assert path == []
    monkeypatch.setenv(_native.PURE_PYTHON_VARIABLE, "0")  # 0: the compiled core, if any
    compiled = _native.manifest_matches(_native.compiled_dir(), str(Path(_native.__file__).parent))
    assert _native.use_compiled(path) is compiled


def _probe(*, pure: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != _native.PURE_PYTHON_VARIABLE}
    if pure:
        env[_native.PURE_PYTHON_VARIABLE] = "1"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


@pytest.mark.skipif(
    not _native.manifest_matches(_native.compiled_dir(), str(Path(_native.__file__).parent)),
    reason="the core is not compiled here (make install compiles it when a C compiler exists)",
)
def test_the_compiled_core_answers_as_its_sources_do() -> None:
    compiled, pure = _probe(pure=False), _probe(pure=True)
    assert str(compiled.pop("module")).endswith(".so")
    assert str(pure.pop("module")).endswith("resolve.py")
    assert compiled["findings"], "the probe project has planted problems"
    assert compiled == pure
