"""The golden questions of ``kb/evals.yaml``, loaded and checked against the KB.

Each item is a question a visitor asks and the documents that answer it::

    - q: How much is a monthly membership?
      expect: [en/prices.md]          # kb paths; any of them in the top k passes
      k: 3                            # optional, 1 to 50, default 5
      says: ["7 500"]                 # optional, checked only by ``kbsync eval --answers``

Problems name ``file:line`` as ``kb/assistant.yaml``'s do (the same node reader):
unknown keys, wrong types, an ``expect`` path that is not a document of the KB or that
``files.exclude`` leaves out. ``kbsync eval`` runs the cases; ``kbsync validate`` checks
the file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from yaml.nodes import Node, ScalarNode, SequenceNode

from kbcore._ignore import Excluder
from kbcore._yamlnodes import NULL, NodeReader, compose_file, is_null, shown
from kbcore.errors import KbError
from kbcore.kb import EVALS, FILES, SETTINGS, Document, KnowledgeBase, Settings
from kbcore.output import display_path

DEFAULT_K = 5
MAX_K = 50  # file_search's max_num_results
QUESTION_MAX = 2000
KEYS = ("q", "expect", "k", "says")


@dataclass(frozen=True)
class EvalCase:
    """One golden question: passes when a document of ``expect`` is in the top ``k``."""

    q: str
    expect: tuple[str, ...]  # kb paths (POSIX, under kb/files/)
    k: int = DEFAULT_K
    says: tuple[str, ...] = ()  # phrases the answer must contain (``--answers`` only)


def load_evals(
    kb: KnowledgeBase, *, renames: Mapping[str, str] | None = None
) -> tuple[EvalCase, ...]:
    """The cases of ``kb/evals.yaml`` in file order; none when the file is absent or empty.

    Raises ``KbError`` listing every problem, each ``kb/evals.yaml:LINE: sentence``.
    ``renames`` (old kb path → new, e.g. from git) names the new path of a document
    that moved."""
    return read_evals(kb.root, kb.settings, kb.documents, renames=renames)


def read_evals(
    root: Path,
    settings: Settings,
    documents: Iterable[Document],
    *,
    renames: Mapping[str, str] | None = None,
) -> tuple[EvalCase, ...]:
    """``load_evals`` from the parts of a KB, for a KB that has problems elsewhere
    (``kbsync validate`` lists the problems of every part at once)."""
    path = root / EVALS
    problems: list[str] = []
    node, _ = compose_file(path, problems)
    if problems:
        raise KbError(problems)
    if node is None or (isinstance(node, ScalarNode) and node.tag == NULL):
        return ()
    reader = _Reader(display_path(path), root, settings, documents, renames or {})
    cases = reader.read(node)
    if reader.found:
        raise KbError(reader.problems())
    return cases


class _Reader(NodeReader):
    def __init__(
        self,
        shown_path: str,
        root: Path,
        settings: Settings,
        documents: Iterable[Document],
        renames: Mapping[str, str],
    ) -> None:
        super().__init__(shown_path)
        self.renames = renames
        self.documents = frozenset(d.path for d in documents)
        self.excluder = Excluder(settings.exclude)
        self.files = root / FILES
        self.settings_name = display_path(root / SETTINGS)

    def read(self, root: Node) -> tuple[EvalCase, ...]:
        if not isinstance(root, SequenceNode):
            self.problem(
                root,
                "the golden questions must be a list, one item per question"
                f' ("- q: …" with its "expect: [path]"), not {shown(root)}.',
            )
            return ()
        cases: list[EvalCase] = []
        first_lines: dict[str, int] = {}
        for number, item in enumerate(root.value, start=1):
            case = self.case(item, number)
            if case is None:
                continue
            line = item.start_mark.line + 1
            if case.q in first_lines:
                self.problem(
                    item,
                    f"question {number} repeats the question on line {first_lines[case.q]}"
                    f' ("{case.q}"); keep one.',
                )
                continue
            first_lines[case.q] = line
            cases.append(case)
        return tuple(cases)

    def case(self, node: Node, number: int) -> EvalCase | None:
        what = f"question {number}"
        items = self.mapping(node, what, KEYS, "", under=what)
        if items is None:
            return None
        q = self.question(items.get("q"), node, what)
        expect = self.expect(items.get("expect"), node, what)
        k_node = items.get("k")
        k = DEFAULT_K
        if k_node is not None and not is_null(k_node):
            k = self.integer(k_node, "k", 1, MAX_K) or 0
        says = self.says(items.get("says"))
        if q is None or expect is None or not k or says is None:
            return None
        return EvalCase(q=q, expect=expect, k=k, says=says)

    def question(self, node: Node | None, item: Node, what: str) -> str | None:
        if node is None or is_null(node):
            where = item if node is None else node
            self.problem(where, f"{what} has no q; write the question as a visitor would ask it.")
            return None
        text = _written(node)
        if text is None:
            self.problem(node, f"q must be the question as text, not {shown(node)}.")
            return None
        if not text.strip():
            self.problem(node, "q is blank; write the question as a visitor would ask it.")
            return None
        if len(text) > QUESTION_MAX:
            self.problem(
                node, f"q is {len(text)} characters, over the {QUESTION_MAX} allowed; shorten it."
            )
            return None
        return " ".join(text.split())

    def expect(self, node: Node | None, item: Node, what: str) -> tuple[str, ...] | None:
        if node is None or is_null(node):
            self.problem(
                item if node is None else node,
                f"{what} has no expect; list the documents that answer it"
                " (kb paths under kb/files/, e.g. [en/prices.md]).",
            )
            return None
        if not isinstance(node, SequenceNode):
            self.problem(
                node,
                "expect must be a list of document paths (e.g. [en/prices.md]),"
                f" not {shown(node)}.",
            )
            return None
        if not node.value:
            self.problem(node, "expect is an empty list; name at least one document.")
            return None
        paths: list[str] = []
        ok = True
        for entry in node.value:
            path = self.document(entry)
            if path is None:
                ok = False
            else:
                paths.append(path)
        return tuple(paths) if ok else None

    def document(self, node: Node) -> str | None:
        path = _written(node)
        if not path:
            self.problem(node, f"expect entries must be document paths (text), not {shown(node)}.")
            return None
        if path in self.documents:
            return path
        if self._excluded(path):
            self.problem(
                node,
                f'expect "{path}" is excluded by files.exclude in {self.settings_name};'
                " expect a document that is sent, or stop excluding this one.",
            )
            return None
        renamed = self.renames.get(path)
        if renamed in self.documents:
            self.problem(
                node, f'expect "{path}" was renamed to "{renamed}"; write the new path here.'
            )
            return None
        close = closest(path, self.documents)
        hint = f'did you mean "{close}"?' if close else "write its path under kb/files/."
        self.problem(node, f'expect "{path}" is not a document of the knowledge base; {hint}')
        return None

    def _excluded(self, path: str) -> bool:
        """Whether ``path`` is a file of ``kb/files/`` that ``files.exclude`` leaves out
        (itself, or a folder above it: the walk never enters an excluded folder)."""
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not (self.files / pure).is_file():
            return False
        folders = ["/".join(pure.parts[:n]) for n in range(1, len(pure.parts))]
        return any(self.excluder.excluded(f, is_dir=True) for f in folders) or (
            self.excluder.excluded(path)
        )

    def says(self, node: Node | None) -> tuple[str, ...] | None:
        if node is None or is_null(node):
            return ()
        if not isinstance(node, SequenceNode):
            self.problem(
                node, f'says must be a list of phrases (e.g. ["7 500"]), not {shown(node)}.'
            )
            return None
        phrases: list[str] = []
        for entry in node.value:
            phrase = _written(entry)
            if phrase is not None and phrase.strip():
                phrases.append(phrase)
            else:
                self.problem(entry, f"says entries must be phrases (text), not {shown(entry)}.")
                return None
        return tuple(phrases)


def closest(path: str, documents: Iterable[str]) -> str | None:
    """The document whose path is closest to ``path``, looked for in ``path``'s own folder
    first (its language, in a KB with a folder per language); in another folder only
    when its own folder holds no document."""
    folder = PurePosixPath(path).parent
    mine = sorted(d for d in documents if PurePosixPath(d).parent == folder)
    pool = mine or sorted(documents)
    close = difflib.get_close_matches(path, pool, n=1, cutoff=0.6)
    return close[0] if close else None


def _written(node: Node) -> str | None:
    """A scalar's text exactly as written (``17:00`` stays "17:00", not YAML 1.1's 1020)."""
    if isinstance(node, ScalarNode) and not is_null(node):
        return str(node.value)
    return None
