"""`envkeep server` settings: flags > ENVKEEP_SERVER_* > the --config file > defaults, for
`server`, `server migrate` and `server bootstrap`; a bad file is refused naming key and file."""

from __future__ import annotations

import gc
import json
import re
from datetime import timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envkeep.api.serve import GC_THRESHOLDS, settle_heap
from envkeep.core.errors import UsageError
from envkeep.server_settings import (
    ServerSettings,
    default_database,
    server_database,
    server_settings,
)
from envkeep.settings import load_settings
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import current_revision
from envkeep.store.schema_version import HEAD_REVISION
from tests.server import cli

# Per setting: (flag value, ENVKEEP_SERVER_* variable and its value, file line, file value).
LAYERS: dict[str, tuple[Any, str, str, str, Any]] = {
    "host": ("10.0.0.1", "ENVKEEP_SERVER_HOST", "10.0.0.2", 'host = "10.0.0.3"', "10.0.0.3"),
    "port": (9001, "ENVKEEP_SERVER_PORT", "9002", "port = 9003", 9003),
    "db": (
        "sqlite:///flag.db",
        "ENVKEEP_SERVER_DB",
        "sqlite:///env.db",
        'db = "sqlite:///file.db"',
        "sqlite:///file.db",
    ),
    "rate": (1.5, "ENVKEEP_SERVER_RATE", "2.5", "rate = 3", 3.0),
    "rate_store": (
        "database",
        "ENVKEEP_SERVER_RATE_STORE",
        "memory",
        'rate_store = "database"',
        "database",
    ),
    "trusted_proxies": (
        "10.0.0.1",
        "ENVKEEP_SERVER_TRUSTED_PROXIES",
        "10.0.0.2, 10.9.0.0/16",
        'trusted_proxies = "10.0.0.3"',
        "10.0.0.3",
    ),
    "shutdown_timeout": (
        30,
        "ENVKEEP_SERVER_SHUTDOWN_TIMEOUT",
        "40",
        "shutdown_timeout = 50",
        50,
    ),
    "cors_origins": (
        ("https://flag.example",),
        "ENVKEEP_SERVER_CORS_ORIGINS",
        "https://env.example, HTTPS://Env2.example:8443",
        'cors_origins = ["https://file.example"]',
        ("https://file.example",),
    ),
    "token_max_lifetime": (
        "30d",
        "ENVKEEP_SERVER_TOKEN_MAX_LIFETIME",
        "36h",
        'token_max_lifetime = "90m"',
        timedelta(minutes=90),
    ),
    "pool_size": (8, "ENVKEEP_SERVER_POOL_SIZE", "9", "pool_size = 10", 10),
    "log_format": ("text", "ENVKEEP_SERVER_LOG_FORMAT", "json", 'log_format = "text"', "text"),
    "metrics_port": (9601, "ENVKEEP_SERVER_METRICS_PORT", "9602", "metrics_port = 9603", 9603),
}
# What a flag given as text resolves to, where that is not the text itself.
FROM_FLAG: dict[str, Any] = {"token_max_lifetime": timedelta(days=30)}
FROM_ENV = {
    "host": "10.0.0.2",
    "port": 9002,
    "db": "sqlite:///env.db",
    "rate": 2.5,
    "rate_store": "memory",
    "trusted_proxies": "10.0.0.2,10.9.0.0/16",
    "shutdown_timeout": 40,
    "cors_origins": ("https://env.example", "https://env2.example:8443"),
    "token_max_lifetime": timedelta(hours=36),
    "pool_size": 9,
    "log_format": "json",
    "metrics_port": 9602,
}


def _resolve(tmp_path: Path, layers: set[str], key: str, **extra: str) -> ServerSettings:
    flag, variable, env_value, line, _ = LAYERS[key]
    config = tmp_path / "server.toml"
    config.write_text(line + "\n" if "file" in layers else "")
    environ = {"ENVKEEP_HOME": str(tmp_path / "home"), **extra}
    if "env" in layers:
        environ[variable] = env_value
    flags = {key: flag} if "flag" in layers else {}
    return server_settings(load_settings(environ), config=config, **flags)


@pytest.mark.parametrize("key", sorted(LAYERS))
@pytest.mark.parametrize(
    "layers",
    [{"flag", "env", "file"}, {"env", "file"}, {"file"}, {"flag", "file"}, {"flag", "env"}, set()],
    ids=lambda layers: "+".join(sorted(layers)) or "nothing",
)
def test_each_setting_comes_from_the_first_layer_that_sets_it(
    tmp_path: Path, key: str, layers: set[str]
) -> None:
    flag, _, _, _, from_file = LAYERS[key]
    chosen = getattr(_resolve(tmp_path, layers, key), key)
    if "flag" in layers:
        assert chosen == FROM_FLAG.get(key, flag)
    elif "env" in layers:
        assert chosen == FROM_ENV[key]
    elif "file" in layers:
        assert chosen == from_file
    else:
        default_db = f"sqlite:///{tmp_path / 'home' / 'server' / 'envkeep-server.db'}"
        assert chosen == {**vars(ServerSettings()), "db": default_db}[key]


@pytest.mark.parametrize("key", sorted(LAYERS))
def test_a_variable_set_to_nothing_is_unset_and_the_file_applies(tmp_path: Path, key: str) -> None:
    _, variable, _, line, from_file = LAYERS[key]
    config = tmp_path / "server.toml"
    config.write_text(line + "\n")
    environ = {"ENVKEEP_HOME": str(tmp_path / "home"), variable: ""}
    assert getattr(server_settings(load_settings(environ), config=config), key) == from_file


def test_trusted_proxies_naming_none_are_unset_as_a_variable_and_none_as_a_flag(
    tmp_path: Path,
) -> None:
    config = tmp_path / "server.toml"
    config.write_text('trusted_proxies = "10.0.0.3"\n')
    blank = load_settings({"ENVKEEP_HOME": str(tmp_path), "ENVKEEP_SERVER_TRUSTED_PROXIES": " , "})
    assert server_settings(blank, config=config).trusted_proxies == "10.0.0.3"
    assert server_settings(blank, config=config, trusted_proxies="").trusted_proxies == ""


def test_the_file_comes_from_envkeep_server_config_unless_config_is_given(tmp_path: Path) -> None:
    named, other = tmp_path / "named.toml", tmp_path / "other.toml"
    named.write_text("port = 7001\n")
    other.write_text("port = 7002\n")
    environ = {"ENVKEEP_HOME": str(tmp_path), "ENVKEEP_SERVER_CONFIG": str(named)}
    assert server_settings(load_settings(environ)).port == 7001
    assert server_settings(load_settings(environ), config=other).port == 7002


BAD_FILES = [
    pytest.param("colour = 'blue'\n", "unknown setting 'colour'", id="unknown key"),
    pytest.param("[server]\nport = 1\n", "unknown setting 'server'", id="a table"),
    pytest.param("port = '8600'\n", "setting 'port'", id="port as text"),
    pytest.param("port = 0\n", "setting 'port'", id="port out of range"),
    pytest.param("port = true\n", "setting 'port'", id="port as a boolean"),
    pytest.param("rate = -1\n", "setting 'rate'", id="negative rate"),
    pytest.param("rate = 'fast'\n", "setting 'rate'", id="rate as text"),
    pytest.param("rate = nan\n", "setting 'rate'", id="rate not a number"),
    pytest.param("rate = inf\n", "setting 'rate'", id="infinite rate"),
    pytest.param("host = 3\n", "setting 'host'", id="host as a number"),
    pytest.param("db = ''\n", "setting 'db'", id="empty db"),
    pytest.param("rate_store = 'redis'\n", "setting 'rate_store'", id="unknown rate store"),
    pytest.param("trusted_proxies = 'proxy'\n", "setting 'trusted_proxies'", id="not an IP"),
    pytest.param("trusted_proxies = 10\n", "setting 'trusted_proxies'", id="proxies as a number"),
    pytest.param("trusted_proxies = []\n", "setting 'trusted_proxies'", id="an empty list"),
    pytest.param("trusted_proxies = ['x']\n", "'x' is not an IP address", id="a list, not IPs"),
    pytest.param("shutdown_timeout = 0\n", "setting 'shutdown_timeout'", id="no deadline"),
    pytest.param("shutdown_timeout = 3601\n", "setting 'shutdown_timeout'", id="over an hour"),
    pytest.param("shutdown_timeout = 2.5\n", "setting 'shutdown_timeout'", id="a fraction"),
    pytest.param("shutdown_timeout = '20'\n", "setting 'shutdown_timeout'", id="timeout as text"),
    pytest.param("cors_origins = 'https://a.io'\n", "setting 'cors_origins'", id="not a list"),
    pytest.param("cors_origins = [443]\n", "setting 'cors_origins'", id="an origin as a number"),
    pytest.param("token_max_lifetime = 90\n", "setting 'token_max_lifetime'", id="no unit"),
    pytest.param("token_max_lifetime = '90s'\n", "setting 'token_max_lifetime'", id="seconds"),
    pytest.param(
        "token_max_lifetime = '36501d'\n", "setting 'token_max_lifetime'", id="over a century"
    ),
    pytest.param("pool_size = 1\n", "setting 'pool_size'", id="a pool of one"),
    pytest.param("pool_size = 1001\n", "setting 'pool_size'", id="a pool too large"),
    pytest.param("pool_size = '10'\n", "setting 'pool_size'", id="pool size as text"),
    pytest.param("log_format = 'yaml'\n", "setting 'log_format'", id="unknown log format"),
    pytest.param("log_format = true\n", "setting 'log_format'", id="log format as a boolean"),
    pytest.param("port = \n", "is not valid TOML", id="not TOML"),
]


@pytest.mark.parametrize(("content", "says"), BAD_FILES)
def test_a_bad_settings_file_is_refused_naming_the_key_and_the_file(
    tmp_path: Path, content: str, says: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    with pytest.raises(UsageError) as refused:
        server_settings(load_settings({"ENVKEEP_HOME": str(tmp_path)}), config=config)
    assert says in refused.value.message
    assert str(config) in refused.value.message


def test_a_missing_settings_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        server_settings(load_settings({"ENVKEEP_HOME": str(tmp_path)}), config=tmp_path / "no")


def test_a_wrong_value_is_never_echoed(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("db = 5432\nhost = 'h'\n")  # a value that could have been a password
    with pytest.raises(UsageError) as refused:
        server_settings(load_settings({"ENVKEEP_HOME": str(tmp_path)}), config=config)
    assert "5432" not in f"{refused.value.message} {refused.value.hint}"


BAD_VARIABLES = {
    "port": ("ENVKEEP_SERVER_PORT", "abc", "ENVKEEP_SERVER_PORT must be a port number (1-65535)"),
    "rate": ("ENVKEEP_SERVER_RATE", "fast", "ENVKEEP_SERVER_RATE must be a number of"),
    "rate_store": ("ENVKEEP_SERVER_RATE_STORE", "disk", "ENVKEEP_SERVER_RATE_STORE must be"),
    "trusted_proxies": ("ENVKEEP_SERVER_TRUSTED_PROXIES", "proxy", "ENVKEEP_SERVER_TRUSTED_PR"),
    "shutdown_timeout": (
        "ENVKEEP_SERVER_SHUTDOWN_TIMEOUT",
        "0",
        "ENVKEEP_SERVER_SHUTDOWN_TIMEOUT must be a whole number of seconds (1-3600)",
    ),
    "cors_origins": (
        "ENVKEEP_SERVER_CORS_ORIGINS",
        "https://a.io,https://b.io/",
        "ENVKEEP_SERVER_CORS_ORIGINS: 'https://b.io/' is not a web origin",
    ),
    "token_max_lifetime": (
        "ENVKEEP_SERVER_TOKEN_MAX_LIFETIME",
        "99999999999999d",
        "ENVKEEP_SERVER_TOKEN_MAX_LIFETIME must be a duration (e.g. 90d, 12h or 90m; at most",
    ),
    "pool_size": (
        "ENVKEEP_SERVER_POOL_SIZE",
        "ten",
        "ENVKEEP_SERVER_POOL_SIZE must be a number of connections (2-1000)",
    ),
    "log_format": (
        "ENVKEEP_SERVER_LOG_FORMAT",
        "JSON",
        "ENVKEEP_SERVER_LOG_FORMAT must be json or text, not 'JSON'",
    ),
}


@pytest.mark.parametrize("key", ["port", "shutdown_timeout", "pool_size"])
def test_a_whole_number_variable_of_digits_int_cannot_read_is_refused(
    tmp_path: Path, key: str
) -> None:
    variable, _value, message = BAD_VARIABLES[key]
    settings = load_settings({"ENVKEEP_HOME": str(tmp_path), variable: "²"})  # isdigit() says yes
    with pytest.raises(UsageError, match=re.escape(message)):
        server_settings(settings)


@pytest.mark.parametrize("key", sorted(BAD_VARIABLES))
def test_a_bad_variable_is_refused_only_when_no_flag_overrides_it(tmp_path: Path, key: str) -> None:
    variable, value, message = BAD_VARIABLES[key]
    settings = load_settings({"ENVKEEP_HOME": str(tmp_path), variable: value})  # not checked yet
    with pytest.raises(UsageError, match=re.escape(message)):
        server_settings(settings)
    flag = LAYERS[key][0]
    assert getattr(server_settings(settings, **{key: flag}), key) == FROM_FLAG.get(key, flag)
    assert server_database(settings) == default_database(settings)  # migrate, bootstrap: no check


def test_trusted_proxies_in_a_file_may_be_a_list_as_cors_origins_are(tmp_path: Path) -> None:
    config = tmp_path / "s.toml"
    config.write_text('trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]\n')
    chosen = server_settings(load_settings({"ENVKEEP_HOME": str(tmp_path)}), config=config)
    assert chosen.trusted_proxies == "127.0.0.1,10.0.0.0/8"


@pytest.mark.parametrize("rate", [-1.0, float("nan"), float("inf")])
def test_a_rate_that_is_no_number_of_requests_is_refused_as_a_flag_or_variable(
    tmp_path: Path, rate: float
) -> None:
    """`--rate -1` and `--rate nan` turned the limits off without a word (the file and the
    variable refused -1)."""
    settings = load_settings({"ENVKEEP_HOME": str(tmp_path)})
    with pytest.raises(UsageError) as refused:
        server_settings(settings, rate=rate)
    assert refused.value.message.startswith("--rate must be a number of requests per second")
    assert refused.value.hint is not None
    assert "--rate 0" in refused.value.hint
    variable = load_settings({"ENVKEEP_HOME": str(tmp_path), "ENVKEEP_SERVER_RATE": str(rate)})
    with pytest.raises(UsageError, match="ENVKEEP_SERVER_RATE must be a number"):
        server_settings(variable)


@pytest.mark.parametrize("seconds", [0, -5, 3601])
def test_a_shutdown_timeout_flag_out_of_range_is_refused_naming_it(
    tmp_path: Path, seconds: int
) -> None:
    with pytest.raises(UsageError) as refused:
        server_settings(load_settings({"ENVKEEP_HOME": str(tmp_path)}), shutdown_timeout=seconds)
    assert refused.value.message == f"--shutdown-timeout must be 1-3600 seconds, not {seconds}"
    assert refused.value.hint is not None
    assert "SIGTERM" in refused.value.hint


BAD_ORIGINS = [
    ("*", "'*' is refused: a wildcard would let any web page call the API"),
    ("https://*.example.com", "'https://*.example.com' is refused: a wildcard"),
    ("https://app.example.com/", "'https://app.example.com/' is not a web origin: it has a path"),
    ("https://app.example.com/x?y", "'https://app.example.com/x?y' is not a web origin"),
    ("app.example.com", "'app.example.com' is not a web origin: it must start with http"),
    ("ftp://app.example.com", "'ftp://app.example.com' is not a web origin"),
    ("https://app.example.com:0", "'https://app.example.com:0' is not a web origin: its port"),
    ("https://", "'https://' is not a web origin: it names no host"),
    ("https://user@app.example.com", "is not a web origin: it has a user name"),
]


@pytest.mark.parametrize("layer", ["flag", "env", "file"])
def test_a_token_max_lifetime_of_off_wins_over_a_later_layer_and_means_no_maximum(
    tmp_path: Path, layer: str
) -> None:
    config = tmp_path / "server.toml"
    config.write_text(f'token_max_lifetime = "{"off" if layer == "file" else "90d"}"\n')
    variable = "OFF" if layer == "env" else "" if layer == "file" else "12h"
    environ = {"ENVKEEP_HOME": str(tmp_path), "ENVKEEP_SERVER_TOKEN_MAX_LIFETIME": variable}
    flag = "off" if layer == "flag" else None
    chosen = server_settings(load_settings(environ), config=config, token_max_lifetime=flag)
    assert chosen.token_max_lifetime is None


def test_a_bad_token_max_lifetime_flag_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as refused:
        server_settings(load_settings({"ENVKEEP_HOME": str(tmp_path)}), token_max_lifetime="1y")
    assert refused.value.message.startswith("--token-max-lifetime must be a duration")
    assert "off" in refused.value.message


def _origins_from(tmp_path: Path, layer: str, origin: str) -> ServerSettings:
    config = tmp_path / "server.toml"
    config.write_text(f"cors_origins = [{json.dumps(origin)}]\n" if layer == "file" else "")
    environ = {"ENVKEEP_HOME": str(tmp_path)}
    if layer == "variable":
        environ["ENVKEEP_SERVER_CORS_ORIGINS"] = f"https://fine.example,{origin}"
    flag = ["https://fine.example", origin] if layer == "flag" else None
    return server_settings(load_settings(environ), config=config, cors_origins=flag)


@pytest.mark.parametrize(("origin", "says"), BAD_ORIGINS)
@pytest.mark.parametrize("layer", ["flag", "variable", "file"])
def test_a_bad_cors_origin_is_refused_naming_the_value_and_where_it_was_given(
    tmp_path: Path, layer: str, origin: str, says: str
) -> None:
    with pytest.raises(UsageError) as refused:
        _origins_from(tmp_path, layer, origin)
    where = {
        "flag": "--cors-origin: ",
        "variable": "ENVKEEP_SERVER_CORS_ORIGINS: ",
        "file": f"setting 'cors_origins' in {tmp_path / 'server.toml'}: ",
    }[layer]
    assert refused.value.message.startswith(where)
    assert says in refused.value.message
    assert refused.value.hint is not None
    assert "https://app.example.com" in refused.value.hint  # what to write instead


def test_an_empty_cors_origin_flag_turns_cors_off_over_the_variable_and_the_file(
    tmp_path: Path,
) -> None:
    config = tmp_path / "server.toml"
    config.write_text('cors_origins = ["https://file.example"]\n')
    environ = {"ENVKEEP_HOME": str(tmp_path), "ENVKEEP_SERVER_CORS_ORIGINS": "https://e.example"}
    chosen = server_settings(load_settings(environ), config=config, cors_origins=[""])
    assert chosen.cors_origins == ()
    blank = {"ENVKEEP_HOME": str(tmp_path), "ENVKEEP_SERVER_CORS_ORIGINS": " , "}
    assert server_settings(load_settings(blank), config=config).cors_origins == (
        "https://file.example",
    )


@given(port=st.integers(min_value=1, max_value=65535), rate=st.floats(0, 1e6))
def test_any_valid_port_and_rate_in_a_file_is_taken_as_written(port: int, rate: float) -> None:
    with TemporaryDirectory() as where:
        config = Path(where) / "s.toml"
        config.write_text(f"port = {port}\nrate = {rate!r}\n")
        chosen = server_settings(load_settings({"ENVKEEP_HOME": where}), config=config)
    assert (chosen.port, chosen.rate) == (port, rate)


# --- The real CLI -----------------------------------------------------------------------------


def _revision(path: Path) -> str | None:
    engine = open_engine(sqlite_url(path))
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def test_migrate_and_bootstrap_use_the_file_unless_a_flag_or_variable_says_otherwise(
    tmp_path: Path,
) -> None:
    home, config = tmp_path / "home", tmp_path / "server.toml"
    config.write_text(f'db = "{sqlite_url(tmp_path / "from-file.db")}"\n')
    done = cli(home, tmp_path, "server", "migrate", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert _revision(tmp_path / "from-file.db") == HEAD_REVISION
    code = cli(home, tmp_path, "server", "--config", str(config), "bootstrap", "--email", "a@x.io")
    assert code.returncode == 0, code.stderr
    assert code.stdout.startswith("ek_inv_")

    env_db = sqlite_url(tmp_path / "from-env.db")
    done = cli(
        home,
        tmp_path,
        "server",
        "migrate",
        ENVKEEP_SERVER_CONFIG=str(config),
        ENVKEEP_SERVER_DB=env_db,
    )
    assert done.returncode == 0, done.stderr
    assert _revision(tmp_path / "from-env.db") == HEAD_REVISION
    flag_db = sqlite_url(tmp_path / "from-flag.db")
    done = cli(home, tmp_path, "server", "migrate", "--db", flag_db, ENVKEEP_SERVER_DB=env_db)
    assert done.returncode == 0, done.stderr
    assert _revision(tmp_path / "from-flag.db") == HEAD_REVISION


def test_the_cli_refuses_a_bad_file_with_exit_code_2_naming_key_and_file(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text("port = 'eighty'\n")
    for args in (
        ("server", "--config", str(config)),
        ("server", "migrate", "--config", str(config)),
    ):
        done = cli(tmp_path / "home", tmp_path, *args)
        assert done.returncode == 2
        assert "'port'" in done.stderr
        assert str(config) in done.stderr


def test_the_server_refuses_a_shared_rate_store_on_sqlite_before_serving(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text(f'db = "{sqlite_url(tmp_path / "one.db")}"\nrate_store = "database"\n')
    home = tmp_path / "home"
    assert cli(home, tmp_path, "server", "migrate", "--config", str(config)).returncode == 0
    done = cli(home, tmp_path, "server", "--config", str(config), "--port", "1")
    assert done.returncode == 2
    assert "several server processes need PostgreSQL" in done.stderr
    assert "envkeep server on" not in done.stderr


def test_a_bad_server_variable_breaks_only_the_server_command_that_uses_it(
    tmp_path: Path,
) -> None:
    home, bad = tmp_path / "home", {"ENVKEEP_SERVER_PORT": "abc", "ENVKEEP_SERVER_RATE": "fast"}
    for args in (("--version",), ("--help",), ("list",), ("server", "--help")):
        done = cli(home, tmp_path, *args, **bad)
        assert "Traceback" not in done.stderr, args
        assert "ENVKEEP_SERVER_" not in done.stderr, args
    database = sqlite_url(tmp_path / "one.db")
    assert cli(home, tmp_path, "server", "migrate", "--db", database, **bad).returncode == 0
    done = cli(home, tmp_path, "server", "--db", database, "--rate", "1", **bad)
    assert (done.returncode, done.stderr) == (
        2,
        "error: ENVKEEP_SERVER_PORT must be a port number (1-65535)\n",
    )
    # With both flags given the variables are not looked at: the server gets as far as its
    # rate store, refused on SQLite.
    both = ("--port", "1", "--rate", "1", "--rate-store", "database")
    done = cli(home, tmp_path, "server", "--db", database, *both, **bad)
    assert done.returncode == 2
    assert "several server processes need PostgreSQL" in done.stderr


def test_the_server_settles_its_heap_before_serving() -> None:
    before = gc.get_threshold()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0  # start-up's objects leave every later collection
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
