"""What a write is given, checked before anything is stored: ``NAME=value`` arguments parsed,
names held to the dotenv rules, and values no environment variable can hold or whose
``${...}`` could never resolve refused (exit 3 for a reference, as anywhere)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import ReferenceProblem, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable


def parse_assignments(
    pairs: list[str],
    read_value: Callable[[str], str] | None = None,
    *,
    service: str | None = None,
) -> dict[str, str]:
    """``NAME=value`` arguments as a mapping; a bad one is a usage error naming it. A single
    ``NAME`` alone takes its value from ``read_value`` (stdin or a hidden prompt), so that a
    secret never stands in the command line or the shell's history. Their references are
    checked by `set_variables` (`check_references`), once the caller's role is known."""
    values: dict[str, str] = {}
    if len(pairs) == 1 and "=" not in pairs[0] and read_value is not None:
        _check_given_name(pairs, 0, pairs[0])
        pairs = [f"{pairs[0]}={read_value(pairs[0])}"]
    for at, pair in enumerate(pairs):
        name, sep, value = pair.partition("=")
        if not sep and len(pairs) == 2 and pair == pairs[0] and "=" not in pairs[1]:
            raise UsageError(  # `set KEY value`, as dotenvx and Doppler take it
                f"'{name}' has no '=': envkeep takes the name and its value as one argument",
                hint=f"envkeep set {name}=VALUE (or {name} alone: its value is read from stdin,"
                " or asked for on a terminal, out of the shell's history)",
            )
        if not sep:
            raise _no_equals(pairs, at)
        _check_given_name(pairs, at, name)
        if at > 0 and _emptied(pairs[at - 1]) is not None:  # `TOKEN= abc=`: whose is abc=?
            raise _not_shown(pairs, at, f"follows the empty {pairs[at - 1]}", _NAME_VALUE_HINT)
        if name in values:
            raise UsageError(f"{name} is given twice", hint="give each name once")
        check_storable(name, value)
        values[name] = value
    if not values:
        raise UsageError("nothing to set", hint="envkeep set NAME=value [NAME=value …]")
    return values


_NAME_VALUE_HINT = (
    "write NAME=value, e.g. PORT=8080 (or one NAME alone: its value is read from stdin, or asked"
    " for on a terminal)"
)


def _no_equals(pairs: list[str], at: int) -> UsageError:
    """The refusal of ``pairs[at]``, which has no '='. One that may be a value (after a
    ``NAME=`` whose value a space cut off, after any other argument, or not a name at all) is
    named by its position: the message goes to a terminal's scrollback, or a CI log."""
    from envkeep.core.dotenv import is_valid_name

    given = pairs[at]
    if at > 0 or not is_valid_name(given):  # after another argument: a value as likely
        return _not_shown(pairs, at, "has no '='", _NAME_VALUE_HINT)
    return UsageError(f"'{given}' has no '='", hint=_NAME_VALUE_HINT)


def _check_given_name(pairs: list[str], at: int, name: str) -> None:
    """``check_name`` of ``pairs[at]``'s name, except that one that is no valid name and may
    be a value is named by its position: any after another argument (the rest of a value a
    space cut off: ``TOKEN= abc+d/ef==``, ``PASS=abc def+/gh==``, whose name is the value's
    text before its first '='), or one with no '=' at all (a value typed where its name was
    asked for). One with a space or tab in it is shown: the shell split a value there, so
    no rest of one holds one (``'bad name=2'`` was quoted as one argument on purpose), unless
    it follows an empty ``NAME=`` (``TOKEN= 'a b=c'``: that value, quoted)."""
    from envkeep.core.dotenv import is_valid_name

    given, before = pairs[at], pairs[at - 1] if at > 0 else ""
    quoted = any(c in given for c in " \t") and not before.endswith("=")  # not TOKEN= 'a b=c'
    if is_valid_name(name) or ((at == 0 or quoted) and "=" in given):
        check_name(name)
        return
    raise _not_shown(
        pairs,
        at,
        "is not a valid variable name",
        "start with a letter or '_', then letters, digits, '_', '.' or '-'",
    )


def _emptied(given: str) -> str | None:
    """The name of an empty assignment ``NAME=`` (its only '=' at its end); None for any
    other argument (``A=x=`` is no empty value, and names no value cut off)."""
    name, _sep, value = given.partition("=")
    return name if name and given.endswith("=") and not value else None


def _not_shown(pairs: list[str], at: int, problem: str, hint: str) -> UsageError:
    """``pairs[at]``'s ``problem``, the argument named by its position, never shown: the value
    of the empty ``NAME=`` before it when a space cut them apart (the hint says to join them,
    or to give an empty NAME= last: after one, any argument may be its value). Only that name
    is said of the argument before: one with a value (``A=s3cr3t=``) is not repeated."""
    name = _emptied(pairs[at - 1]) if at > 0 else None
    if name is not None:
        return UsageError(
            f"argument {at + 1} {problem} (not shown: it may be the value of {name})",
            hint=f"write {name}='VALUE' as one argument, with no space after the '='; to set"
            f" {name} empty, give {name}= last (envkeep set OTHER=value {name}=), or alone",
        )
    return UsageError(f"argument {at + 1} {problem} (not shown: it may be a value)", hint=hint)


def check_storable(name: str, value: str) -> None:
    """Refuse a value no environment variable can hold: a NUL character, or bytes that are not
    UTF-8 text (the shell passes them on, and Python reads them as lone surrogates)."""
    if "\0" in value:
        raise UsageError(
            f"the value of {name} contains a NUL character, which no environment variable can hold",
            hint="base64 a binary value (base64 -w0 FILE), and decode it where it is used",
        )
    try:
        value.encode()
    except UnicodeEncodeError:
        raise UsageError(
            f"the value of {name} is not UTF-8 text",
            hint="convert it (iconv -f latin1 -t utf-8), or base64 a binary value",
        ) from None


def check_references(name: str, value: str, service: str | None = None) -> None:
    """Refuse a value whose ``${...}`` cannot be a reference as written, or that refers to its
    own name (``${NAME}``, or ``${svc.NAME}`` written to ``service`` svc's scope), before it is
    stored (resolving it would fail for every service that reads it): ReferenceProblem, exit 3,
    as for a broken reference anywhere (a cycle through other values: `refuse_cycles`)."""
    from envkeep.core.references import NESTED_FALLBACK, find_references, syntax_problem

    check_storable(name, value)
    problem = syntax_problem(value)
    if problem == NESTED_FALLBACK:  # `${A:-${B}}`, as a shell takes it: not envkeep's
        raise ReferenceProblem(
            f"the value of {name} has {problem} (${{A:-${{B}}}}): a fallback is text only"
            " and cannot hold another reference",
            hint="write B's value itself as the fallback (${A:-text}), or set A=${B} in the"
            " shared scope, which a service's own A overrides",
        )
    if problem is not None:
        from envkeep.core.shell_references import refuse_shell_form

        refuse_shell_form(name, value)
        raise ReferenceProblem(
            f"the value of {name} has {problem}",
            hint="refer with ${NAME} or ${service.NAME} (with a fallback: ${NAME:-text}); write"
            " '$${' for a literal '${'",
        )
    itself = {name} if service is None else {name, f"{service}.{name}"}
    found = [str(r) for r in find_references(value) if str(r) in itself]
    if found:  # a cycle whatever the other values
        raise ReferenceProblem(
            f"the value of {name} refers to itself (${{{found[0]}}}), so it could never resolve",
            hint="a value cannot extend another layer's value of the same name: write the whole"
            " value, or refer to another name",
        )


def check_name(name: str) -> None:
    """Variable names follow the dotenv rules; a reference is refused as such (``${PORT}``)."""
    from envkeep.client.pasted_references import refuse_pasted_names
    from envkeep.core.dotenv import is_valid_name

    refuse_pasted_names("set", [name], form="{}=VALUE")
    if not is_valid_name(name):
        raise UsageError(
            f"'{name}' is not a valid variable name",
            hint="start with a letter or '_', then letters, digits, '_', '.' or '-'",
        )
