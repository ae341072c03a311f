"""The ``Envkeep-Command`` request header: the envkeep command a client says a request is
part of (``get``, ``service add``, ``member remove``), recorded with the reads it makes
(``via`` in a read event's details).

An admin's `service add`, `member grant` or revocation reads environments' values (to find
reference cycles, to seal keys, to re-encrypt them), and each read is audited as a read, which
it is: the ciphertext went to that machine. Without the command, an auditor asking who read
prod finds the admin there for reads they never typed. The header is the client's word, not
the server's knowledge (a client can send any command it likes, as it can send any request):
it labels reads, and decides nothing. Only the name of one of envkeep's own commands is
taken (`COMMANDS`, which a test holds to the CLI's), so an event's details can hold no value,
path or text of the client's choosing; a newer client's new command is recorded as none.
"""

from __future__ import annotations

HEADER = "Envkeep-Command"
# Every envkeep command, and each group's subcommands, as `cli/app.command_words_of` names them.
COMMANDS = frozenset(
    {
        "account",
        "account passphrase",
        "activate-all",
        "audit",
        "audit export",
        "audit verify",
        "completion",
        "completion install",
        "completion show",
        "decrypt",
        "edit",
        "encrypt",
        "env",
        "env clone",
        "env create",
        "env delete",
        "env diff",
        "env edit",
        "env list",
        "env rotate-key",
        "env trust",
        "explain",
        "export",
        "get",
        "git-setup",
        "history",
        "identity",
        "identity protect",
        "identity show",
        "import",
        "init",
        "init-service",
        "join",
        "lift",
        "list",
        "login",
        "logout",
        "member",
        "member grant",
        "member invite",
        "member list",
        "member logout",
        "member remove",
        "member reset",
        "member revoke",
        "member seal",
        "member sessions",
        "member verify",
        "merge-file",
        "project",
        "project list",
        "project move-to",
        "promote",
        "reencrypt",
        "rollback",
        "run",
        "schema",
        "schema init",
        "schema show",
        "server",
        "server backup",
        "server bootstrap",
        "server copy",
        "server migrate",
        "service",
        "service add",
        "service list",
        "service remove",
        "service set",
        "service trust",
        "session",
        "session list",
        "session revoke",
        "set",
        "template",
        "template apply",
        "template create",
        "template detach",
        "template list",
        "template show",
        "textconv",
        "token",
        "token create",
        "token list",
        "token revoke",
        "token rotate",
        "unset",
        "validate",
        "validate-service",
        "whoami",
        "workspace",
        "workspace create",
        "workspace list",
        "workspace use",
    }
)


def client_command(value: str | None) -> str | None:
    """The command a request's ``Envkeep-Command`` header names, or None for none or anything
    but the name of one of envkeep's commands."""
    return value if value in COMMANDS else None
