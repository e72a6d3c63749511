"""The ``kbsync`` command line: wires ``sync``, ``relay`` and ``sandbox`` together."""
