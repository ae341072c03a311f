"""The few reads of the process environment that must stay cheap, shared by ``settings.py``
and by `envkeep run`'s warm start (``client/runcache.py``), which runs before anything as
heavy as ``settings.py`` (dataclasses, pathlib, typing) is imported, and by the HTTP
client, which reads the proxy variables where it is made (`proxy_variables`).

Together with ``settings.py`` this is the only module that reads ``os.environ``.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: see envkeep/crypto/__init__.py
if TYPE_CHECKING:
    from collections.abc import Mapping


def home_directory(environ: Mapping[str, str]) -> str:
    """ENVKEEP_HOME, else ``$XDG_CONFIG_HOME/envkeep``, else ``~/.config/envkeep``. A relative
    XDG_CONFIG_HOME is ignored, as the XDG spec says: it would put a new home in each
    directory a command runs in."""
    home = environ.get("ENVKEEP_HOME")
    if home:
        return os.path.expanduser(home)
    base = environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(_user_home(), ".config")
    return os.path.join(base, "envkeep")


# Where no home is known: a directory no one but root can make, as Debian gives `nobody`.
NO_HOME = "/nonexistent"


def _user_home() -> str:
    """HOME, else the user's home in the password database; NO_HOME where neither gives one
    (HOME unset, and a user id with no entry: `env -i` in a container run with `--user
    12345`). ``~`` left as it is would put a home (pins, an identity's key file) in each
    directory a command runs in, a checkout's included, to be committed with it."""
    found = os.path.expanduser("~")
    return found if os.path.isabs(found) else NO_HOME


def debug_enabled(environ: Mapping[str, str]) -> bool:
    """ENVKEEP_DEBUG: tracebacks, as --debug."""
    return environ.get("ENVKEEP_DEBUG", "") not in {"", "0"}


def debug_requested() -> bool:
    """ENVKEEP_DEBUG in this process's environment (for `run`'s errors before settings load)."""
    return debug_enabled(os.environ)


def run_cache_enabled(environ: Mapping[str, str]) -> bool:
    """ENVKEEP_RUN_CACHE: on unless set to off (or 0, false, no)."""
    return environ.get("ENVKEEP_RUN_CACHE", "").strip().lower() not in {"off", "0", "false", "no"}


def local_overrides_everywhere(environ: Mapping[str, str]) -> bool:
    """ENVKEEP_LOCAL_OVERRIDES: on (or 1, true, yes) applies .envkeep/local.env to protected
    environments too; anything else leaves them out there."""
    return environ.get("ENVKEEP_LOCAL_OVERRIDES", "").strip().lower() in {"on", "1", "true", "yes"}


def proxy_variables() -> dict[str, str]:
    """HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY (lower case wins), as urllib reads them:
    keys https, http, all and no (`client/proxies.proxy_for` chooses by them)."""
    from urllib.request import getproxies

    return getproxies()


def process_environment() -> dict[str, str]:
    """A copy of the environment this process was started with (what `run` passes on)."""
    return dict(os.environ)


def warm_start_home() -> str | None:
    """The ENVKEEP_HOME whose run cache `run` may use, or None when the cache is off, this
    process talks to a team server (ENVKEEP_SERVER, ENVKEEP_TOKEN), whose reads are never
    served from a cache, or ENVKEEP_SIGNERS is set (even empty): the cold path checks it and
    the signers of what it reads, which an entry a run made without it was never checked by.
    Nor with ENVKEEP_LOCAL_OVERRIDES=on: an entry holds a protected environment's values
    without the personal overrides, which that run asks for (and it writes none either)."""
    environ = os.environ
    if environ.get("ENVKEEP_SERVER") or environ.get("ENVKEEP_TOKEN"):
        return None
    if "ENVKEEP_SIGNERS" in environ or local_overrides_everywhere(environ):
        return None
    if not run_cache_enabled(environ):
        return None
    return home_directory(environ)
