"""The knowledge-base contract every part of kbsync shares.

Loading and validating ``kb/`` (``kbcore.kb``), its golden questions
(``kbcore.evals``), the names on the wire (``kbcore.wire``), the supported formats
(``kbcore.formats``), the choice of the KB's vector store (``kbcore.store``), the
exception tree (``kbcore.errors``) and terminal output (``kbcore.output``); the
business settings and the choice of a variant (``kbcore.business``), the names of the log
lines (``kbcore.logfields``), the relay's error codes and what the widget does for each
(``kbcore.errorcodes``), the exhausted-quota rule (``kbcore.quota``). It imports none of
``sync``, ``relay``, ``kbsync`` or ``sandbox``.
"""

__version__ = "0.1.0"
