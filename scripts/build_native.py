"""Compile the hot core modules with mypyc into ``src/envkeep/core/_compiled/`` (``make install``).

Resolution, reference expansion and validation run for every service on every ``envkeep run``,
``validate --all`` and ``activate-all``; compiled, they take about a seventh less time
(docs/design.md, "Compiled core"). The compiled modules sit beside the sources, not over them:
``envkeep.core`` puts the directory first on its ``__path__`` only while the manifest written
here matches every module of the package (`envkeep.core._native`). The manifest is taken before
compiling, so a source edited while the build runs never passes for what was compiled; after
an edit the package runs as Python until the next ``make install``.

Without a C compiler, or when mypyc fails, the directory is removed and envkeep runs as pure
Python: this prints why and exits 0, so an install never fails for the sake of speed.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "src" / "envkeep" / "core"
sys.path.insert(0, str(ROOT / "src"))

from envkeep.core._native import COMPILED, GROUP, MANIFEST, stamp_lines  # noqa: E402


def _compile(build: Path) -> Path:
    """Run mypyc on the compiled modules; the directory that holds ``envkeep/core/*.so``."""
    from mypyc.build import mypycify
    from setuptools import Distribution  # type: ignore[import-untyped, unused-ignore]

    paths = [str(CORE / f"{module}.py") for module in COMPILED]
    extensions = mypycify(
        paths, opt_level="3", group_name=GROUP, target_dir=str(build / "c"), verbose=False
    )
    dist = Distribution({"name": "envkeep-native", "ext_modules": extensions})
    command = dist.get_command_obj("build_ext")
    command.build_lib = str(build / "lib")
    command.build_temp = str(build / "tmp")
    dist.run_command("build_ext")
    return build / "lib" / "envkeep" / "core"


def _install(built: Path, manifest: list[str]) -> None:
    """Replace the compiled directory as a whole (in between, readers find none and run the
    sources)."""
    target = CORE / "_compiled"
    fresh = Path(tempfile.mkdtemp(prefix="_compiled.", dir=CORE))
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for library in built.glob(f"*{suffix}"):
        shutil.copy2(library, fresh / library.name)
    (fresh / MANIFEST).write_text("\n".join(manifest) + "\n", encoding="utf-8")
    fresh.chmod(0o755)
    old = Path(tempfile.mkdtemp(prefix="_compiled.old.", dir=CORE))
    if target.exists():
        target.rename(old / "_compiled")
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _pure(reason: str) -> int:
    shutil.rmtree(CORE / "_compiled", ignore_errors=True)
    print(f"build_native: {reason}; the core runs as pure Python")
    return 0


def main() -> int:
    compiler = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    if shutil.which(compiler.split()[0]) is None:
        return _pure(f"no C compiler ({compiler})")
    manifest = stamp_lines(str(CORE))  # before mypyc reads the sources
    with tempfile.TemporaryDirectory(prefix="envkeep-native-") as tmp:
        cwd = Path.cwd()
        os.chdir(tmp)  # mypyc writes its build files into the working directory
        try:
            built = _compile(Path(tmp))
            if stamp_lines(str(CORE)) != manifest:
                return _pure("a core module changed during the build; run make install again")
            _install(built, manifest)
        except (Exception, SystemExit) as error:  # noqa: BLE001 -- any failure: stay pure Python
            return _pure(f"the build failed ({error})")
        finally:
            os.chdir(cwd)
    print(f"build_native: compiled {', '.join(COMPILED)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
