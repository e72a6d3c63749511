"""Parse ``kb/assistant.yaml`` into checked values, naming ``file:line`` for every problem.

The YAML is composed into nodes (which carry their line) and read by hand, so an
unknown key or a wrong type points at the line to fix. Every problem is collected;
nothing stops at the first. A missing file means all defaults.

Attribute values are sent as strings exactly as written: ``{year: 2024}`` is
``"2024"``, ``{draft: yes}`` is ``"yes"`` (not YAML 1.1's ``true``), ``{v: 1.10}``
is ``"1.10"``. Any scalar except null is accepted; lists and mappings are not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kbcore._ignore import compile_pattern
from kbcore.output import display_path
from kbcore.wire import RESERVED_PREFIX

TOP_KEYS = (
    "name",
    "model",
    "temperature",
    "max_output_tokens",
    "file_search",
    "chunking",
    "files",
    "attributes",
    "reasoning",
    "sources",
)
REASONING_EFFORTS = ("minimal", "low", "medium", "high")
PATH_PLACEHOLDER = "{path}"
ATTRIBUTE_KEY_MAX = 64
ATTRIBUTE_VALUE_MAX = 512

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"


@dataclass
class ParsedSettings:
    """Checked values keyed by ``Settings`` field name (only those set), and the problems."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    exclude_ok: bool = True  # False when files.exclude is unusable: the walk would mislead


def parse_settings(path: Path) -> ParsedSettings:
    parsed = ParsedSettings()
    shown = display_path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return parsed
    except UnicodeDecodeError as exc:
        parsed.problems.append(
            f"{shown}: is not UTF-8 text (invalid byte at offset {exc.start}); re-save it as UTF-8."
        )
        parsed.exclude_ok = False
        return parsed
    except OSError as exc:
        parsed.problems.append(f"{shown}: cannot be read ({exc.strerror}); check its permissions.")
        parsed.exclude_ok = False
        return parsed
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{shown}:{mark.line + 1}" if mark is not None else shown
        problem = exc.problem or exc.context or "unreadable"
        parsed.problems.append(f"{where}: invalid YAML: {problem}; fix the syntax.")
        parsed.exclude_ok = False
        return parsed
    except yaml.YAMLError as exc:
        parsed.problems.append(f"{shown}: invalid YAML: {exc}; fix the syntax.")
        parsed.exclude_ok = False
        return parsed
    if root is not None:
        _Reader(shown, parsed).read(root)
    return parsed


class _Reader:
    def __init__(self, shown: str, parsed: ParsedSettings) -> None:
        self.shown = shown
        self.parsed = parsed
        self.constructor = yaml.constructor.SafeConstructor()
        self.found: list[tuple[int, str]] = []
        self.key_lines: dict[str, int] = {}  # "chunking" → the line its key is on

    def problem(self, node: Node, message: str, *, line: int | None = None) -> None:
        line = node.start_mark.line + 1 if line is None else line
        self.found.append((line, f"{self.shown}:{line}: {message}"))

    def read(self, root: Node) -> None:
        self._read(root)
        self.found.sort(key=lambda item: item[0])  # in file order, whatever found them
        self.parsed.problems.extend(message for _, message in self.found)

    def _read(self, root: Node) -> None:
        if isinstance(root, ScalarNode) and root.tag == _NULL:
            return
        items = self.mapping(root, "the settings file", TOP_KEYS, "")
        if items is None:
            self.parsed.exclude_ok = False
            return
        readers: dict[str, Callable[[Node], None]] = {
            "name": lambda n: self.store("name", self.string(n, "name", limit=64)),
            "model": lambda n: self.store("model", self.string(n, "model", limit=256)),
            "temperature": self.temperature,
            "max_output_tokens": lambda n: self.store(
                "max_output_tokens", self.integer(n, "max_output_tokens", 1, None)
            ),
            "file_search": self.file_search,
            "chunking": self.chunking,
            "files": self.files,
            "attributes": self.attributes,
            "reasoning": self.reasoning,
            "sources": self.sources,
        }
        for key, node in items.items():
            if not _is_null(node):  # "key:" with no value keeps the default
                readers[key](node)

    def store(self, key: str, value: object) -> None:
        if value is not None:
            self.parsed.values[key] = value

    # -- shapes ------------------------------------------------------------

    def mapping(
        self, node: Node, what: str, allowed: tuple[str, ...] | None, prefix: str
    ) -> dict[str, Node] | None:
        """The mapping's string keys → value nodes; ``allowed=None`` accepts any key."""
        if not isinstance(node, MappingNode):
            self.problem(node, f"{what} must be a mapping (key: value), not {_shown(node)}.")
            return None
        items: dict[str, Node] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or _is_null(key_node):
                self.problem(key_node, f"a key in {what} must be text, not {_shown(key_node)}.")
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
                where = f" under {prefix.rstrip('.')}" if prefix else ""
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
        if isinstance(node, ScalarNode) and node.tag == _STR and 0 < len(node.value) <= limit:
            return str(node.value)
        self.problem(node, f"{name} must be text of 1 to {limit} characters, not {_shown(node)}.")
        return None

    def number(self, node: Node) -> int | float | None:
        if isinstance(node, ScalarNode) and node.tag in (_INT, _FLOAT):
            value = self.constructor.construct_object(node)
            if isinstance(value, int | float) and value == value:  # NaN is not a number here
                return value
        return None

    def integer(self, node: Node, name: str, low: int, high: int | None) -> int | None:
        value = self.number(node)
        if isinstance(value, int) and value >= low and (high is None or value <= high):
            return value
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        self.problem(node, f"{name} must be a whole number {bounds}, not {_shown(node)}.")
        return None

    # -- keys --------------------------------------------------------------

    def temperature(self, node: Node) -> None:
        value = self.number(node)
        if value is not None and 0 <= value <= 2:
            self.store("temperature", float(value))
        else:
            self.problem(node, f"temperature must be a number from 0 to 2, not {_shown(node)}.")

    def file_search(self, node: Node) -> None:
        items = self.mapping(node, "file_search", ("max_num_results",), "file_search.")
        value_node = (items or {}).get("max_num_results")
        if value_node is not None and not _is_null(value_node):
            value = self.integer(value_node, "file_search.max_num_results", 1, 50)
            self.store("max_num_results", value)

    def chunking(self, node: Node) -> None:
        keys = ("max_chunk_size_tokens", "chunk_overlap_tokens")
        items = self.mapping(node, "chunking", keys, "chunking.")
        if items is None:
            return
        size_node, overlap_node = items.get(keys[0]), items.get(keys[1])
        if size_node is None or overlap_node is None:
            self.problem(
                node,
                line=self.key_lines.get("chunking"),
                message="chunking needs both max_chunk_size_tokens and chunk_overlap_tokens"
                ' (remove chunking to use OpenAI\'s "auto").',
            )
            return
        size = self.integer(size_node, "chunking.max_chunk_size_tokens", 100, 4096)
        overlap = self.integer(overlap_node, "chunking.chunk_overlap_tokens", 0, None)
        if size is None or overlap is None:
            return
        if overlap > size // 2:
            self.problem(
                overlap_node,
                f"chunking.chunk_overlap_tokens must be at most half of max_chunk_size_tokens"
                f" ({size // 2}), not {overlap}.",
            )
            return
        self.parsed.values["chunking"] = {
            "max_chunk_size_tokens": size,
            "chunk_overlap_tokens": overlap,
        }

    def reasoning(self, node: Node) -> None:
        items = self.mapping(node, "reasoning", ("effort",), "reasoning.")
        value_node = (items or {}).get("effort")
        if value_node is None or _is_null(value_node):
            return
        if isinstance(value_node, ScalarNode) and value_node.value in REASONING_EFFORTS:
            self.store("reasoning_effort", str(value_node.value))
            return
        self.problem(
            value_node,
            f"reasoning.effort must be one of: {', '.join(REASONING_EFFORTS)},"
            f" not {_shown(value_node)}.",
        )

    def sources(self, node: Node) -> None:
        items = self.mapping(node, "sources", ("url",), "sources.")
        value_node = (items or {}).get("url")
        if value_node is None or _is_null(value_node):
            return
        if not isinstance(value_node, ScalarNode) or value_node.tag != _STR:
            self.problem(
                value_node, f"sources.url must be a web address (text), not {_shown(value_node)}."
            )
            return
        url = str(value_node.value)
        if not _WEB_ADDRESS.match(url):
            # A widget turns this into a link: javascript:, data: or a relative address
            # would run or load whatever the template says on the embedding site.
            self.problem(
                value_node,
                f'sources.url "{url}" must be an http:// or https:// address with a host and'
                " no spaces; write the public address where a visitor reads the documents.",
            )
        elif PATH_PLACEHOLDER not in url:
            self.problem(
                value_node,
                f'sources.url "{url}" must contain {PATH_PLACEHOLDER} where the document\'s'
                ' path goes, e.g. "https://example.com/docs/{path}".',
            )
        else:
            self.store("source_url", url)

    def files(self, node: Node) -> None:
        items = self.mapping(node, "files", ("exclude",), "files.")
        if items is None:
            self.parsed.exclude_ok = False
            return
        exclude = items.get("exclude")
        if exclude is None or _is_null(exclude):
            return
        if not isinstance(exclude, SequenceNode):
            self.problem(exclude, f"files.exclude must be a list of globs, not {_shown(exclude)}.")
            self.parsed.exclude_ok = False
            return
        globs: list[str] = []
        for item in exclude.value:
            glob = self.glob(item, "files.exclude")
            if glob is None:
                self.parsed.exclude_ok = False
            else:
                globs.append(glob)
        self.parsed.values["exclude"] = tuple(globs)

    def glob(self, node: Node, where: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag != _STR:
            self.problem(node, f"{where} entries must be globs (text), not {_shown(node)}.")
            return None
        try:
            compile_pattern(node.value)
        except ValueError as exc:
            self.problem(node, f'{where} glob "{node.value}" {exc}; write a pattern or remove it.')
            return None
        return str(node.value)

    def attributes(self, node: Node) -> None:
        if not isinstance(node, MappingNode):
            self.mapping(node, "attributes", None, "attributes.")
            return
        rules: list[tuple[str, dict[str, str]]] = []
        first_lines: dict[str, int] = {}
        for glob_node, attrs_node in node.value:
            glob = self.glob(glob_node, "attributes")
            if glob is not None and glob.lstrip().startswith("!"):
                self.problem(
                    glob_node, f'attributes glob "{glob}" cannot be negated; drop the "!".'
                )
                glob = None
            elif glob is not None and glob in first_lines:
                self.problem(
                    glob_node,
                    f'attributes glob "{glob}" appears twice (first on line {first_lines[glob]});'
                    " merge them into one.",
                )
                glob = None
            elif glob is not None:
                first_lines[glob] = glob_node.start_mark.line + 1
            what = f"attributes[{_shown(glob_node)}]"
            items = self.mapping(attrs_node, what, None, "")
            if glob is None or items is None:
                continue
            attrs: dict[str, str] = {}
            for key, value_node in items.items():
                value = self.attribute(key, value_node, what)
                if value is not None:
                    attrs[key] = value
            rules.append((glob, attrs))
        self.parsed.values["attributes"] = tuple(rules)

    def attribute(self, key: str, node: Node, what: str) -> str | None:
        if key.startswith(RESERVED_PREFIX):
            self.problem(
                node,
                f'attribute "{key}" in {what}: the {RESERVED_PREFIX} prefix is reserved for'
                " kbsync; rename it.",
            )
            return None
        if not key:
            self.problem(node, f"an attribute in {what} has an empty name; name it.")
            return None
        if len(key) > ATTRIBUTE_KEY_MAX:
            self.problem(
                node,
                f'attribute "{key}" in {what}: the name is {len(key)} characters, over the'
                f" {ATTRIBUTE_KEY_MAX} allowed; shorten it.",
            )
            return None
        if not isinstance(node, ScalarNode) or _is_null(node):
            self.problem(
                node,
                f'attribute "{key}" in {what} must be text, a number or a boolean,'
                f" not {_shown(node)}.",
            )
            return None
        value = str(node.value)
        if len(value) > ATTRIBUTE_VALUE_MAX:
            self.problem(
                node,
                f'attribute "{key}" in {what}: the value is {len(value)} characters, over the'
                f" {ATTRIBUTE_VALUE_MAX} allowed; shorten it.",
            )
            return None
        return value


_WEB_ADDRESS = re.compile(r"^https?://[^/?#\s\x00-\x1f\x7f]+[^\s\x00-\x1f\x7f]*$", re.IGNORECASE)


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _shown(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "empty"
    if node.tag == _STR:
        return f'"{node.value}"'
    return str(node.value)
