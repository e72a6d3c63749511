"""The root of kbsync's one exception tree, and the errors every part shares.

``KbsyncError`` is the root; the engines add their own branches under it
(``sync._safety.UnsafePlanError``, ``relay._errors.RelayError``,
``answer.AnswerError``). The command line maps
the whole tree to exit codes in one place (``kbcore.output.exit_with``).
"""

from __future__ import annotations


class KbsyncError(Exception):
    """An expected failure: the CLI prints ``str(error)`` as one line and exits 1."""


class KbError(KbsyncError):
    """The knowledge base on disk is invalid; every problem is listed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        if len(problems) == 1:
            message = problems[0]
        else:
            message = f"{len(problems)} problems in the knowledge base:\n" + "\n".join(
                f"  {p}" for p in problems
            )
        super().__init__(message)


class RemoteError(KbsyncError):
    """OpenAI (or the sandbox) refused or failed a request; raised only by the API seam."""


class StoreChoiceError(KbsyncError):
    """The KB's vector store cannot be chosen (``kbcore.store``): the message says why."""
