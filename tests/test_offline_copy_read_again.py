"""A write's save takes again the copy `whole_copy` read only while its file is the one read:
a copy another process kept in between (a newer one) is read anew, and stays when the write's
answer is the older, as it would without the read kept from before."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

from envkeep.client.offline import SnapshotCache
from tests.test_offline_copy_order import DOWN, ENV, _snapshot

if TYPE_CHECKING:
    from pathlib import Path

# Another process keeps the server's answer at revision argv[2] in the cache argv[1].
OTHER = """\
import sys
from pathlib import Path
from envkeep.client.offline import SnapshotCache
from tests.test_offline_copy_order import ENV, _snapshot
SnapshotCache(Path(sys.argv[1])).save(ENV, None, _snapshot(int(sys.argv[2]), []))
"""


def test_a_copy_kept_by_another_process_after_whole_copy_read_is_read_again(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "snapshots"
    cache = SnapshotCache(directory)
    cache.save(ENV, None, _snapshot(5, []))
    sent_at = time.time()  # the write's request, sent while the copy at 5 is kept
    assert cache.whole_copy(ENV)["environment"]["revision"] == 5
    time.sleep(0.01)  # the other process keeps its copy after that request was sent
    subprocess.run([sys.executable, "-c", OTHER, str(directory), "7"], check=True, timeout=60)

    cache.save(ENV, None, _snapshot(6, []), sent_at=sent_at)

    assert cache.load(ENV, None, DOWN)["environment"]["revision"] == 7
