"""Drivers that prove kbsync under crashes and faults, shared by tests and benchmarks.

``runs`` drives ``kbsync`` subprocesses against a live sandbox and checks the store;
``crash`` kills applies at every write; ``faults`` runs applies under injected faults.
``tests/reliability`` runs them small, ``bench/crash_harness.py`` and
``bench/fault_runs.py`` run them in full. Nothing here asserts: checks return lists of
problems (empty = fine) so that a benchmark can count them and a test can assert them.
"""
