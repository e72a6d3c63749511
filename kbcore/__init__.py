"""The knowledge-base contract every part of kbsync shares.

Loading and validating ``kb/`` (``kbcore.kb``), its golden questions
(``kbcore.evals``), the names on the wire (``kbcore.wire``), the supported formats
(``kbcore.formats``), the choice of the KB's vector store (``kbcore.store``), the
exception tree (``kbcore.errors``) and terminal output (``kbcore.output``). It
imports none of ``sync``, ``relay``, ``kbsync`` or ``sandbox``.
"""

__version__ = "0.1.0"
