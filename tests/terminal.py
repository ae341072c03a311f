"""Running `envkeep` on a pseudo-terminal, as a person at a keyboard would: what a command asks
only where a terminal is (passphrases, confirmations) is answered as it is shown."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import termios
import time
from typing import TYPE_CHECKING

from tests.server import ENVKEEP, _environ

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path


def _take_terminal() -> None:  # in the child: a session of its own, the pty its terminal
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def on_terminal(
    home: Path, cwd: Path, args: Sequence[str], answers: Mapping[str, str]
) -> tuple[int, str]:
    """Run `envkeep ARGS` on a pseudo-terminal, typing ``answers[prompt]`` each time the text so
    far ends with ``prompt``; its exit code and everything it wrote."""
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        [*ENVKEEP, *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=cwd,
        env=_environ(home, CI="", COLUMNS="400"),
        preexec_fn=_take_terminal,  # noqa: PLW1509 - no threads run in the test process here
    )
    os.close(terminal)
    written, answered = "", dict.fromkeys(answers, 0)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not select.select([controller], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the command ended
                break
            if not chunk:
                break
            written += chunk.decode(errors="replace")
            for prompt, answer in answers.items():
                if written.count(prompt) > answered[prompt] and written.rstrip().endswith(prompt):
                    os.write(controller, answer.encode() + b"\n")
                    answered[prompt] += 1
        code = process.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        process.kill()
        process.wait()
        os.close(controller)
    return code, written
