"""Parse ``kb/assistant.yaml`` into a typed ``Settings``, naming ``file:line`` for every problem.

Unknown keys and wrong types point at the line to fix (``kbcore._yamlnodes``). Every
problem is collected; nothing stops at the first. A missing file means all defaults.

Attribute values are sent as strings exactly as written: ``{year: 2024}`` is
``"2024"``, ``{draft: yes}`` is ``"yes"`` (not YAML 1.1's ``true``), ``{v: 1.10}``
is ``"1.10"``. Any scalar except null is accepted; lists and mappings are not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kbcore._business_read import BUSINESS_KEYS, BusinessReader
from kbcore._ignore import compile_pattern
from kbcore._yamlnodes import NULL, STR, compose_file, is_null, shown
from kbcore.business import Handoff, Leads, Localized, TelegramSettings, Variant
from kbcore.models import MIN_OUTPUT_TOKENS, Request, refusals
from kbcore.output import display_path
from kbcore.wire import RESERVED_PREFIX

DEFAULT_MODEL = "gpt-5.4-mini"
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
    *BUSINESS_KEYS,
)
# every effort the API knows; which of them a model takes is kbcore.models' business
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
PATH_PLACEHOLDER = "{path}"
ATTRIBUTE_KEY_MAX = 64
ATTRIBUTE_VALUE_MAX = 512


@dataclass(frozen=True)
class Chunking:
    """A static chunking strategy; ``None`` in its place means OpenAI's "auto"."""

    max_chunk_size_tokens: int
    chunk_overlap_tokens: int

    def static(self) -> dict[str, int]:
        """The ``static`` object of the API's ``chunking_strategy``."""
        return {
            "max_chunk_size_tokens": self.max_chunk_size_tokens,
            "chunk_overlap_tokens": self.chunk_overlap_tokens,
        }


@dataclass(frozen=True)
class Settings:
    """The parsed ``kb/assistant.yaml`` (defaults filled in)."""

    name: str
    model: str = DEFAULT_MODEL
    temperature: float | None = None
    max_output_tokens: int | None = None
    max_num_results: int | None = None
    chunking: Chunking | None = None  # None: OpenAI's "auto"
    exclude: tuple[str, ...] = ()
    attributes: tuple[tuple[str, dict[str, str]], ...] = ()  # (glob, attrs) in file order
    reasoning_effort: str | None = None  # one of REASONING_EFFORTS
    source_url: str | None = None  # an http(s) address containing PATH_PLACEHOLDER
    # The business keys (kbcore.business): absent = the feature is off.
    starters: Localized[tuple[str, ...]] | None = None
    leads: Leads | None = None
    handoff: Handoff | None = None
    telegram: TelegramSettings | None = None
    variants: tuple[Variant, ...] = ()


@dataclass(frozen=True)
class ParsedSettings:
    settings: Settings
    problems: list[str] = field(default_factory=list)
    exclude_ok: bool = True  # False when files.exclude is unusable: the walk would mislead


def parse_settings(path: Path, default_name: str) -> ParsedSettings:
    """Read ``path`` (absent: every default; ``name`` defaults to ``default_name``)."""
    problems: list[str] = []
    root, readable = compose_file(path, problems)
    reader = _Reader(display_path(path), default_name)
    if root is not None:
        reader.read(root)
        problems.extend(reader.problems())
    return ParsedSettings(reader.settings(), problems, readable and reader.exclude_ok)


class _Reader(BusinessReader):
    def __init__(self, shown: str, default_name: str) -> None:
        super().__init__(shown)
        self.exclude_ok = True
        self.name = default_name
        self.model = DEFAULT_MODEL
        self.temperature_value: float | None = None
        self.max_output_tokens: int | None = None
        self.max_num_results: int | None = None
        self.chunking_value: Chunking | None = None
        self.exclude: tuple[str, ...] = ()
        self.attribute_rules: tuple[tuple[str, dict[str, str]], ...] = ()
        self.reasoning_effort: str | None = None
        self.source_url: str | None = None

    def settings(self) -> Settings:
        return Settings(
            name=self.name,
            model=self.model,
            temperature=self.temperature_value,
            max_output_tokens=self.max_output_tokens,
            max_num_results=self.max_num_results,
            chunking=self.chunking_value,
            exclude=self.exclude,
            attributes=self.attribute_rules,
            reasoning_effort=self.reasoning_effort,
            source_url=self.source_url,
            starters=self.starters,
            leads=self.leads,
            handoff=self.handoff,
            telegram=self.telegram,
            variants=self.variants,
        )

    def read(self, root: Node) -> None:
        if isinstance(root, ScalarNode) and root.tag == NULL:
            return
        items = self.mapping(root, "the settings file", TOP_KEYS, "")
        if items is None:
            self.exclude_ok = False
            return
        readers: dict[str, Callable[[Node], None]] = {
            "name": self.read_name,
            "model": self.read_model,
            "temperature": self.read_temperature,
            "max_output_tokens": self.read_max_output_tokens,
            "file_search": self.file_search,
            "chunking": self.read_chunking,
            "files": self.files,
            "attributes": self.attributes,
            "reasoning": self.reasoning,
            "sources": self.sources,
            **self.business_readers(),
        }
        for key, node in items.items():
            if not is_null(node):  # "key:" with no value keeps the default
                readers[key](node)
        self.model_refusals(root)

    def model_refusals(self, root: Node) -> None:
        """What the model table says the model would refuse, at the line of the key."""
        asked = Request(
            self.model, self.reasoning_effort, self.temperature_value, None, self.max_output_tokens
        )
        for refusal in refusals(asked):
            line = self.key_lines.get(refusal.key) or self.key_lines.get("model") or 1
            self.problem(root, refusal.message, line=line)

    def read_name(self, node: Node) -> None:
        self.name = self.string(node, "name", limit=64) or self.name

    def read_model(self, node: Node) -> None:
        self.model = self.string(node, "model", limit=256) or self.model

    def read_max_output_tokens(self, node: Node) -> None:
        self.max_output_tokens = self.integer(node, "max_output_tokens", MIN_OUTPUT_TOKENS, None)

    # -- keys --------------------------------------------------------------

    def read_temperature(self, node: Node) -> None:
        value = self.number(node)
        if value is not None and 0 <= value <= 2:
            self.temperature_value = float(value)
        else:
            self.problem(node, f"temperature must be a number from 0 to 2, not {shown(node)}.")

    def file_search(self, node: Node) -> None:
        items = self.mapping(node, "file_search", ("max_num_results",), "file_search.")
        value_node = (items or {}).get("max_num_results")
        if value_node is not None and not is_null(value_node):
            self.max_num_results = self.integer(value_node, "file_search.max_num_results", 1, 50)

    def read_chunking(self, node: Node) -> None:
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
        self.chunking_value = Chunking(size, overlap)

    def reasoning(self, node: Node) -> None:
        items = self.mapping(node, "reasoning", ("effort",), "reasoning.")
        value_node = (items or {}).get("effort")
        if value_node is None or is_null(value_node):
            return
        if isinstance(value_node, ScalarNode) and value_node.value in REASONING_EFFORTS:
            self.reasoning_effort = str(value_node.value)
            return
        self.problem(
            value_node,
            f"reasoning.effort must be one of: {', '.join(REASONING_EFFORTS)},"
            f" not {shown(value_node)}.",
        )

    def sources(self, node: Node) -> None:
        items = self.mapping(node, "sources", ("url",), "sources.")
        value_node = (items or {}).get("url")
        if value_node is None or is_null(value_node):
            return
        if not isinstance(value_node, ScalarNode) or value_node.tag != STR:
            self.problem(
                value_node, f"sources.url must be a web address (text), not {shown(value_node)}."
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
            self.source_url = url

    def files(self, node: Node) -> None:
        items = self.mapping(node, "files", ("exclude",), "files.")
        if items is None:
            self.exclude_ok = False
            return
        exclude = items.get("exclude")
        if exclude is None or is_null(exclude):
            return
        if not isinstance(exclude, SequenceNode):
            self.problem(exclude, f"files.exclude must be a list of globs, not {shown(exclude)}.")
            self.exclude_ok = False
            return
        globs: list[str] = []
        for item in exclude.value:
            glob = self.glob(item, "files.exclude")
            if glob is None:
                self.exclude_ok = False
            else:
                globs.append(glob)
        self.exclude = tuple(globs)

    def glob(self, node: Node, where: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag != STR:
            self.problem(node, f"{where} entries must be globs (text), not {shown(node)}.")
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
            what = f"attributes[{shown(glob_node)}]"
            items = self.mapping(attrs_node, what, None, "")
            if glob is None or items is None:
                continue
            attrs: dict[str, str] = {}
            for key, value_node in items.items():
                value = self.attribute(key, value_node, what)
                if value is not None:
                    attrs[key] = value
            rules.append((glob, attrs))
        self.attribute_rules = tuple(rules)

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
        if not isinstance(node, ScalarNode) or is_null(node):
            self.problem(
                node,
                f'attribute "{key}" in {what} must be text, a number or a boolean,'
                f" not {shown(node)}.",
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
