"""What every git command envkeep runs is given, so that asking git a question (`encrypt`'s
is-it-routed check, `git-setup`, whether git would commit a .env) never runs a program that the
repository's own ``.git/config`` names. ``core.fsmonitor`` is one: `check-attr`, `check-ignore`,
`ls-files` and `status` each run it as they read the index, and `encrypt` asked them in any
repository it wrote a file into (one unpacked from someone else's archive, say). Without it git
reads the work tree itself: slower on a huge one, the answers the same."""

from __future__ import annotations

__all__ = ["NO_REPOSITORY_PROGRAMS"]

# Before the repository's -C: a -c option outranks every config file git reads.
NO_REPOSITORY_PROGRAMS = ("-c", "core.fsmonitor=false")
