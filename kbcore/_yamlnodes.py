"""Read a YAML file of ``kb/`` as nodes that remember their line, for ``file:line`` problems.

``kb/assistant.yaml`` and ``kb/evals.yaml`` both go through here: the file is composed
into nodes (not constructed into Python values), so an unknown key or a wrong type can
point at the line to fix, and every problem is collected before any is reported.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kbcore._links import LinkRefused, NotRegular, link_problem, read_regular
from kbcore.output import display_path

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
NULL = "tag:yaml.org,2002:null"


def compose_file(path: Path, problems: list[str]) -> tuple[Node | None, bool]:
    """The file's root node (``None`` when absent or empty) and whether it could be read.

    A problem reading or parsing it is appended to ``problems`` as one sentence."""
    shown = display_path(path)
    try:
        text = read_regular(path).decode("utf-8-sig")
    except FileNotFoundError:
        return None, True
    except LinkRefused as exc:
        problems.append(link_problem(exc.path))
        return None, False
    except NotRegular:
        problems.append(f"{shown}: is not a regular file; replace it with one.")
        return None, False
    except UnicodeDecodeError as exc:
        problems.append(
            f"{shown}: is not UTF-8 text (invalid byte at offset {exc.start}); re-save it as UTF-8."
        )
        return None, False
    except OSError as exc:
        problems.append(f"{shown}: cannot be read ({exc.strerror}); check its permissions.")
        return None, False
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), True
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{shown}:{mark.line + 1}" if mark is not None else shown
        problem = exc.problem or exc.context or "unreadable"
        problems.append(f"{where}: invalid YAML: {problem}; fix the syntax.")
    except yaml.YAMLError as exc:
        problems.append(f"{shown}: invalid YAML: {exc}; fix the syntax.")
    return None, False


class NodeReader:
    """Checks the shape of nodes, collecting ``file:line: sentence`` problems in file order."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.constructor = yaml.constructor.SafeConstructor()
        self.found: list[tuple[int, str]] = []
        self.key_lines: dict[str, int] = {}  # "chunking" → the line its key is on

    def problem(self, node: Node, message: str, *, line: int | None = None) -> None:
        line = node.start_mark.line + 1 if line is None else line
        self.found.append((line, f"{self.shown}:{line}: {message}"))

    def problems(self) -> list[str]:
        """Every problem found, in file order whatever found them."""
        return [message for _, message in sorted(self.found, key=lambda item: item[0])]

    def mapping(
        self,
        node: Node,
        what: str,
        allowed: tuple[str, ...] | None,
        prefix: str,
        *,
        under: str | None = None,
    ) -> dict[str, Node] | None:
        """The mapping's string keys → value nodes; ``allowed=None`` accepts any key.

        An unknown key is said to be "under" ``under``, else under the ``prefix``."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} must be a mapping (key: value), not {shown(node)}.")
            return None
        items: dict[str, Node] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or is_null(key_node):
                self.problem(key_node, f"a key in {what} must be text, not {shown(key_node)}.")
                continue
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in items:
                self.problem(
                    key_node,
                    f'key "{prefix}{key}" appears twice (first on line {lines[key]}); keep one.',
                )
                continue
            if allowed is not None and key not in allowed:
                parent = under if under is not None else prefix.rstrip(".")
                where = f" under {parent}" if parent else ""
                self.problem(
                    key_node,
                    f'unknown key "{key}"{where}; expected one of: {", ".join(allowed)}.',
                )
                continue
            items[key] = value_node
            lines[key] = line
            self.key_lines[prefix + key] = line
        return items

    def string(self, node: Node, name: str, *, limit: int) -> str | None:
        if isinstance(node, ScalarNode) and node.tag == STR and 0 < len(node.value) <= limit:
            return str(node.value)
        self.problem(node, f"{name} must be text of 1 to {limit} characters, not {shown(node)}.")
        return None

    def number(self, node: Node) -> int | float | None:
        if isinstance(node, ScalarNode) and node.tag in (INT, FLOAT):
            value = self.constructor.construct_object(node)
            if isinstance(value, int | float) and value == value:  # NaN is not a number here
                return value
        return None

    def integer(self, node: Node, name: str, low: int, high: int | None) -> int | None:
        value = self.number(node)
        if isinstance(value, int) and value >= low and (high is None or value <= high):
            return value
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        self.problem(node, f"{name} must be a whole number {bounds}, not {shown(node)}.")
        return None


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL


def shown(node: Node) -> str:
    """How a value is named in a problem: ``"text"``, ``12``, ``a list``, ``empty``."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == NULL:
        return "empty"
    if node.tag == STR:
        return f'"{node.value}"'
    return str(node.value)
