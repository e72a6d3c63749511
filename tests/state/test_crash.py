"""A write the caller was told succeeded survives SIGKILL of the writing process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from state import open_state

WRITER = """
import sys
from state import open_state
st = open_state(path=sys.argv[1])
n = 0
while True:
    n += 1
    st.put("leads", str(n), {"n": n})
    st.advance("turns", "conv", seen=n)
    print(n, flush=True)  # only after the write returned
"""


def test_sigkill_after_committed_writes_loses_none(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    told = 0
    for line in proc.stdout:
        told = int(line)
        if told >= 200:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    st = open_state(path=db)
    assert all(st.get("leads", str(n)) == {"n": n} for n in range(1, told + 1))
    assert st.advance("turns", "conv", seen=told) is False  # stored told + 1 (or more)
    st.close()
