from __future__ import annotations

from envkeep.cli.entry import main

main()
