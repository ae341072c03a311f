"""httpx for the client, without its command-line tool.

httpx's package imports its CLI (``httpx._main``: click, Pygments' lexers, Rich's console,
progress bars, syntax and tables) whenever those are installed, and here they are (uvicorn
needs click, Typer needs Rich). That was about 40 ms of every command that talks to a team
server, a seventh of its time, for a tool envkeep never runs. A stand-in for that module is
registered before httpx is first imported, so ``httpx.main`` is the stand-in's.
"""

from __future__ import annotations

import sys
import types


def _main() -> None:
    raise SystemExit("httpx's command-line tool is not loaded here: run it on its own")


def _without_cli() -> None:
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return  # imported already (a test process, the server): nothing left to save
    stand_in = types.ModuleType("httpx._main", "httpx's command-line tool, not loaded")
    stand_in.main = _main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stand_in


_without_cli()

import httpx  # noqa: E402 - after the stand-in, on purpose

__all__ = ["httpx"]
