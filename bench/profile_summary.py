"""Sum py-spy's collapsed stacks (``--format raw``) per function: self and total share.

.venv/bin/python bench/profile_summary.py PROFILE [--top 30]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in args.profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        samples += n
        frames = [re.sub(r" \(/.*/(site-packages|main|rcwt)/", " (", f) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    print(f"{samples} samples\n\nself %  function")
    for frame, n in own.most_common(args.top):
        print(f"{100 * n / samples:5.1f}  {frame}")
    print("\ntotal %  function")
    for frame, n in total.most_common(args.top):
        print(f"{100 * n / samples:5.1f}  {frame}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
