"""What GitLab refuses in a dotenv report at upload, by default: a file over 5 KiB
(``dotenv_size``, 5,120 bytes on every plan) or over its plan's number of variables
(``dotenv_variables``: 50 on GitLab.com Free, 100 on Premium, 150 on Ultimate and by default
on a self-managed instance). Its job then fails with "400 Bad Request (Dotenv files cannot
have more than N variables)" after the export succeeded. An instance's admin may raise both,
so envkeep warns rather than refuses."""

from __future__ import annotations

DOTENV_SIZE = 5 * 1024
FEWEST_VARIABLES = 50  # GitLab.com Free: the lowest limit a plan has now


def over_gitlab_limits(text: str, count: int) -> str | None:
    """The warning for a report ``text`` of ``count`` variables over GitLab's defaults."""
    size = len(text.encode())
    if size <= DOTENV_SIZE and count <= FEWEST_VARIABLES:
        return None
    return (
        f"warning: this GitLab dotenv report is {size:,} bytes with {count} variables; GitLab"
        f" refuses at upload one over {DOTENV_SIZE:,} bytes, or over its plan's number of"
        f" variables ({FEWEST_VARIABLES} on GitLab.com Free), unless an admin raised them:"
        " export only what later jobs need (--service), and give secrets as CI/CD variables"
    )
