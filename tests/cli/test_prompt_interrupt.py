"""Ctrl-C at a question (`env delete`'s "are you sure") interrupts the command as it does
anywhere else: exit 130, nothing changed; not click's "Aborted!", exit 1."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from typing import TYPE_CHECKING

from .conftest import ENVKEEP

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _interrupt_at_prompt(envkeep: Envkeep, *args: str, prompt: bytes) -> tuple[int, str]:
    """Run `envkeep` on a terminal (CI unset), send SIGINT once ``prompt`` shows; its exit
    code and everything it wrote."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*ENVKEEP, *args],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=envkeep.cwd,
        env=envkeep.environ({"CI": None, "COLUMNS": "200", "NO_COLOR": "1"}),
    )
    os.close(terminal)
    written = bytearray()
    deadline = time.monotonic() + 60
    sent = False
    try:
        while time.monotonic() < deadline:
            if not sent and prompt in written:
                process.send_signal(signal.SIGINT)
                sent = True
            if not select.select([controller], [], [], 0.2)[0]:
                if process.poll() is not None and not select.select([controller], [], [], 0.5)[0]:
                    break  # exited, and nothing more to read
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            written += chunk
        code = process.wait(timeout=10)
    finally:
        process.kill()
        process.wait()
        os.close(controller)
    assert sent, written.decode(errors="replace")
    return code, written.decode(errors="replace")


def test_ctrl_c_at_a_confirmation_interrupts_and_changes_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    code, written = _interrupt_at_prompt(envkeep, "env", "delete", "staging", prompt=b"[y/N]")

    assert code == 130, written
    assert "Aborted!" not in written
    listed = json.loads(envkeep.ok("env", "list", "--json").stdout)
    assert "staging" in [e["name"] for e in listed]
