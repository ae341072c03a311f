"""What `decrypt` says of an encrypted file (``client/filecrypt.py``) whose mac verifies only
with its line endings converted back: git converted them, and the way it converted them says
where the fix is. A file encrypted with LF and now CRLF was converted on checkout
(``core.autocrlf``): checked out again once it is ``-text``, it verifies. One encrypted with
CRLF and now LF was converted when it was committed (``core.autocrlf``, ``text=auto``): the
commit holds it so, and checking it out again changes nothing; the clone that encrypted it
still has it as it was, to commit again."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from envkeep.core.errors import IntegrityError

if TYPE_CHECKING:
    from collections.abc import Callable

_MARK = "mark encrypted files -text (envkeep git-setup does; commit .gitattributes)"


def converted_line_endings(
    text: str, verifies: Callable[[str], bool], where: str
) -> IntegrityError | None:
    """The refusal of ``text`` when it ``verifies`` with its line endings converted back (the
    mac binds the bytes: it is never accepted so); None when it does not."""
    lf = text.replace("\r\n", "\n")
    crlf = lf.replace("\n", "\r\n")
    path = shlex.quote(where.removesuffix(": ")) if where else "FILE"
    if crlf != text and verifies(crlf):
        return IntegrityError(
            f"{where}the file's line endings were changed since it was encrypted (CRLF made LF,"
            " as git does when it commits the file with core.autocrlf or text=auto): the"
            " commit holds it so",
            hint=f"in the clone that encrypted it (where it still decrypts), {_MARK}, then"
            f" git add --renormalize {path} and commit it; or encrypt the plain file again"
            f" (envkeep encrypt … -o {path} --force)",
        )
    if lf != text and verifies(lf):
        return IntegrityError(
            f"{where}the file's line endings were changed since it was encrypted"
            " (git does so with core.autocrlf)",
            hint=f"{_MARK}, then check the file out again: rm {path} && git checkout {path}",
        )
    return None
