"""The ``${…}`` forms of docker compose and a shell that envkeep's references do not have:
``${NAME:?message}`` and ``${NAME?message}`` (stop when NAME is unset), ``${NAME:+text}`` and
``${NAME+text}`` (text when NAME is set), ``${NAME:=text}`` and ``${NAME=text}`` (a shell's
fallback that also assigns). A `.env` written for compose holds them; envkeep read them as a
"malformed reference", which said nothing of what to write instead. ``${NAME-text}`` is not
among them: a name may hold ``-``, and a reference to ``NAME-text`` that does not resolve is
said so with its fallback form (`broken_references`).

What is said names the form only, never the value's text (it may be a secret).
"""

from __future__ import annotations

import re

from envkeep.core._refsyntax import Ref, parse_value
from envkeep.core.errors import ReferenceProblem

__all__ = ["refuse_shell_form"]

# A name (as references name one, service-qualified or not), then the operator.
_FORM_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*(:?[?+=])")

# Each form's meaning ({empty}: its colon's "or empty") and what to write instead.
_REQUIRED = (
    "docker compose stops where NAME is unset{empty}",
    (
        "write ${NAME}: run, export and activate-all refuse a reference that does not resolve;"
        " to refuse an empty value too, mark NAME @required in the service's .env.example"
    ),
)
_ALTERNATIVE = (
    "the text where NAME is set{empty}, else nothing",
    "write the value each environment needs (envkeep set NAME=VALUE --env ENV)",
)
_ASSIGNED = (
    "a shell's fallback that also sets NAME",
    "write ${NAME:-text}, the fallback envkeep reads",
)
_FORMS = {
    ":?": ("${NAME:?message}", _REQUIRED, " or empty"),
    "?": ("${NAME?message}", _REQUIRED, ""),
    ":+": ("${NAME:+text}", _ALTERNATIVE, " and not empty"),
    "+": ("${NAME+text}", _ALTERNATIVE, ""),
    ":=": ("${NAME:=text}", _ASSIGNED, ""),
    "=": ("${NAME=text}", _ASSIGNED, ""),
}


def refuse_shell_form(name: str, value: str, *, where: str = "") -> None:
    """Refuse ``value`` when one of its references is written in one of those forms, saying
    what it means there and what to write instead (`ReferenceProblem`, exit 3); ``where``
    (``FILE:LINE: ``) leads the message. A ``${`` left unterminated is not one."""
    for segment in parse_value(value) or ():
        if isinstance(segment, Ref) and (match := _FORM_RE.match(segment.inner)) is not None:
            written, (meaning, instead), empty = _FORMS[match.group(1)]
            raise ReferenceProblem(
                f"{where}the value of {name} uses {written} ({meaning.format(empty=empty)}),"
                " which envkeep does not read",
                hint=instead,
            )
