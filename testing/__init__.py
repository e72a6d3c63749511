"""What tests/, bench/ and scripts/ share, and what is not shipped in the wheel.

``servers`` starts real servers (sandbox, relay, nginx, Redis) on free loopback ports;
``sandbox`` is the one client of a running sandbox (control surface, faults, API, the
store); ``kb`` writes ``kb/`` folders and ``club`` is the Club Santé KB the relay's
tests and benchmarks answer from; ``sse`` reads the relay's server-sent events;
``clock`` is a clock a test moves by hand; ``waiting`` waits on a condition instead of
sleeping. ``runs``, ``crash`` and ``faults`` drive ``kbsync`` subprocesses under kills
and injected faults and check what the store holds: ``tests/reliability`` runs them
small, ``bench/crash_harness.py`` and ``bench/fault_runs.py`` in full. ``leads`` drives
leads end to end on real processes; ``reportlog`` writes relay logs with known counts.

Only tests/, bench/ and scripts/ import this package (import-linter keeps it so); it
may import any of the product's packages.
"""
