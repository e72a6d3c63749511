"""The knowledge base model: what ``kb/`` holds, loaded and validated.

Shared by the CLI (plan/apply/validate/watch) and the relay (which only needs
``load_spec``). Values are frozen; loading never touches the network.

Digests (stamped on the vector store, compared by the plan):

- ``AssistantSpec.digest`` (``kb_spec_sha256``) is the hex sha256 of the UTF-8 bytes
  of ``json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
  where ``doc`` has exactly the keys ``instructions`` (stripped text), ``model``,
  ``temperature`` (float or null), ``max_output_tokens``, ``max_num_results``,
  ``chunking`` (``{"max_chunk_size_tokens", "chunk_overlap_tokens"}`` or null) and
  ``attributes`` (``[[glob, {key: value}], ...]`` in file order), plus
  ``reasoning_effort`` and ``source_url`` only when they are set (so that a KB
  written before those settings existed keeps its digest), and ``variants``
  (``[[name, weight, stripped instructions], ...]`` in file order) only when there are
  some: a variant's instructions change the plan like ``instructions.md`` does. The
  other business keys (starters, leads, hand-off, Telegram) are not in it: they
  change nothing at OpenAI. ``name`` and
  ``files.exclude`` are not in it: the name is the store's identity, and what
  ``exclude`` changes shows in the files digest.
- ``KnowledgeBase.files_digest`` (``kb_files_sha256``) is the hex sha256 of the
  UTF-8 lines ``f"{path}:{sha256}\\n"`` of every document, sorted by path.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import quote

from kbcore import _documents
from kbcore._documents import Document
from kbcore._links import (
    LinkRefused,
    NotRegular,
    is_link,
    link_problem,
    links_below,
    open_below,
    open_nofollow,
    read_regular,
)
from kbcore._settings import DEFAULT_MODEL, PATH_PLACEHOLDER, Chunking, Settings, parse_settings
from kbcore.business import (
    MAIN_VARIANT,
    Handoff,
    Leads,
    Localized,
    TelegramSettings,
    Variant,
    VariantSpec,
)
from kbcore.errors import KbError, RemoteError
from kbcore.output import display_path

# The parts of kb/, by name.
INSTRUCTIONS = "instructions.md"
SETTINGS = "assistant.yaml"
EVALS = "evals.yaml"
FILES = "files"

__all__ = [
    "DEFAULT_MODEL",
    "AssistantSpec",
    "Chunking",
    "Document",
    "Inspection",
    "KnowledgeBase",
    "Settings",
    "files_digest",
    "inspect_kb",
    "load_kb",
    "load_spec",
    "source_url",
    "spec_digest",
]


@dataclass(frozen=True)
class AssistantSpec:
    """What the relay needs to answer: instructions and model settings."""

    name: str
    model: str
    instructions: str
    temperature: float | None
    max_output_tokens: int | None
    max_num_results: int | None
    digest: str  # kb_spec_sha256: hex sha256 over instructions + settings
    reasoning_effort: str | None = None  # "minimal" | "low" | "medium" | "high"
    source_url: str | None = None  # "https://…{path}…": where a visitor reads a document
    # The business keys (kbcore.business): absent = the feature is off.
    starters: Localized[tuple[str, ...]] | None = None
    leads: Leads | None = None
    handoff: Handoff | None = None
    telegram: TelegramSettings | None = None
    variants: tuple[VariantSpec, ...] = ()

    def instructions_for(self, variant: str | None) -> str:
        """The instructions of ``variant``; ``"main"``, ``None`` or a variant removed since
        the conversation began (its token still names it) get ``instructions.md``."""
        for spec in self.variants:
            if spec.name == variant:
                return spec.instructions
        return self.instructions

    def variant_names(self) -> tuple[str, ...]:
        """``"main"`` and every variant's name, in file order."""
        return (MAIN_VARIANT, *(v.name for v in self.variants))


@dataclass(frozen=True)
class KnowledgeBase:
    root: Path
    settings: Settings
    spec: AssistantSpec
    documents: tuple[Document, ...]  # sorted by path
    files_digest: str  # kb_files_sha256: sha256 of the sorted "path:sha" lines

    def by_path(self) -> dict[str, Document]:
        return {d.path: d for d in self.documents}

    @property
    def total_bytes(self) -> int:
        return sum(d.size for d in self.documents)


def load_spec(kb_dir: Path) -> AssistantSpec:
    """Read ``instructions.md`` and ``assistant.yaml`` only (fast; the relay reloads with it).

    Raises ``KbError`` whose messages name ``file:line``."""
    _, spec, problems, _ = _load_settings_and_spec(kb_dir)
    if problems or spec is None:
        raise KbError(problems)
    return spec


@dataclass(frozen=True)
class Inspection:
    """Everything loading found, problems included: ``kbsync validate`` lists them all."""

    root: Path
    settings: Settings
    spec: AssistantSpec | None  # None when instructions or settings have problems
    documents: tuple[Document, ...]  # sorted by path; the ones without problems
    problems: tuple[str, ...]
    documents_checked: bool  # False: kb/files/ was not walked (files.exclude unreadable)


def inspect_kb(
    kb_dir: Path,
    *,
    workers: int | None = None,
    on_hashed: Callable[[int, int], None] | None = None,
) -> Inspection:
    """Load, validate and hash everything, collecting every problem (never raises
    ``KbError``); ``load_kb`` is this, raising when there is a problem."""
    settings, spec, problems, exclude_ok = _load_settings_and_spec(kb_dir)
    root = Path(os.path.abspath(kb_dir))
    if is_link(kb_dir):  # the one problem is said; nothing is read through the link
        return Inspection(root, settings, None, (), tuple(problems), documents_checked=False)
    documents: list[Document] = []
    # With a broken files.exclude every excluded file would be a false problem.
    checked = exclude_ok and not is_link(root / FILES)
    if checked:
        found = _documents.collect(
            root / FILES,
            exclude=settings.exclude,
            attributes=settings.attributes,
            workers=workers,
            on_hashed=on_hashed,
        )
        problems.extend(found.problems)
        documents = found.documents
    problems.extend(_links_outside_files(root))
    documents.sort(key=lambda d: d.path)
    return Inspection(root, settings, spec, tuple(documents), tuple(problems), checked)


def load_kb(
    kb_dir: Path,
    *,
    workers: int | None = None,
    on_hashed: Callable[[int, int], None] | None = None,
) -> KnowledgeBase:
    """Load, validate and hash everything; raises ``KbError`` listing every problem at once.

    ``workers`` threads hash the documents (default: the CPU count).
    ``on_hashed(bytes_done, bytes_total)`` reports hashing progress on the calling thread."""
    found = inspect_kb(kb_dir, workers=workers, on_hashed=on_hashed)
    if found.problems or found.spec is None:
        raise KbError(list(found.problems))
    return KnowledgeBase(
        root=found.root,
        settings=found.settings,
        spec=found.spec,
        documents=found.documents,
        files_digest=files_digest((d.path, d.sha256) for d in found.documents),
    )


def open_document(source: Path | Document) -> BinaryIO:
    """A document's bytes for an upload, opened through no link: a link swapped in after
    loading is refused with a ``KbError`` naming it, never read.

    For a ``Document``, every folder from ``kb/files/`` down to it is opened relative to
    the one above with ``O_NOFOLLOW | O_DIRECTORY`` (``kbcore._links.open_below``), so a
    parent folder swapped for a link is refused too; a bare path guards its last part."""
    path = source if isinstance(source, Path) else source.abs_path
    try:
        if isinstance(source, Path):
            return open_nofollow(source)
        return open_below(source.abs_path.parents[source.path.count("/")], source.path)
    except OSError as exc:
        shown = display_path(path)
        if isinstance(exc, LinkRefused) and exc.path != path:
            reason = f"{display_path(exc.path)} is now a symbolic link"
        else:
            reason = "is now a symbolic link" if is_link(path) else str(exc.strerror)
        raise KbError(
            [f"{shown}: cannot be read for upload ({reason}); run kbsync again."]
        ) from exc


IN_MEMORY_UPLOAD = 8 * 1024 * 1024  # bytes; a larger document is copied to a temporary file
_CHUNK = 1024 * 1024


class DocumentChanged(RemoteError):
    """A document's bytes are no longer the ones loaded (it is still being written): it
    fails for this run like a refused upload, and the next run sends it."""


def open_for_upload(document: Document) -> BinaryIO:
    """The bytes of ``document`` exactly as they were hashed, as a seekable stream at 0.

    Read once through ``open_document`` (no link anywhere below ``kb/files/``: else a
    ``KbError``), hashing as it copies into a snapshot (in memory up to
    ``IN_MEMORY_UPLOAD``): the bytes that are sent are the bytes that were checked. A
    file that changed since loading (or grew) raises ``DocumentChanged``."""
    copy = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_UPLOAD)  # noqa: SIM115
    try:
        with open_document(document) as source:
            digest = hashlib.sha256()
            copied = 0
            while copied <= document.size:  # one byte past the size is enough to see growth
                chunk = source.read(min(_CHUNK, document.size + 1 - copied))
                if not chunk:
                    break
                digest.update(chunk)
                copy.write(chunk)
                copied += len(chunk)
        if copied != document.size or digest.hexdigest() != document.sha256:
            raise DocumentChanged(
                f"{display_path(document.abs_path)} changed after it was read for this run "
                "(still being written?); it is sent once it stops changing."
            )
    except BaseException:
        copy.close()
        raise
    copy.seek(0)
    return cast("BinaryIO", copy)


def files_digest(entries: Iterable[tuple[str, str]]) -> str:
    """``kb_files_sha256`` of ``(path, sha256)`` pairs (sorted here)."""
    lines = sorted(f"{path}:{sha}\n" for path, sha in entries)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def spec_digest(
    settings: Settings, instructions: str, variants: tuple[VariantSpec, ...] = ()
) -> str:
    """``kb_spec_sha256``: see the module docstring for exactly what it covers."""
    doc: dict[str, object] = {
        "instructions": instructions,
        "model": settings.model,
        "temperature": settings.temperature,
        "max_output_tokens": settings.max_output_tokens,
        "max_num_results": settings.max_num_results,
        "chunking": settings.chunking.static() if settings.chunking is not None else None,
        "attributes": [[glob, attrs] for glob, attrs in settings.attributes],
    }
    if settings.reasoning_effort is not None:
        doc["reasoning_effort"] = settings.reasoning_effort
    if settings.source_url is not None:
        doc["source_url"] = settings.source_url
    if variants:
        doc["variants"] = [[v.name, v.weight, v.instructions] for v in variants]
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def source_url(template: str, kb_path: str) -> str:
    """The address of document ``kb_path`` from a ``sources.url`` template.

    Each path segment is percent-encoded as UTF-8 and the ``/`` between them kept:
    ``source_url("https://x.org/docs/{path}", "ru/цены 2024.md")`` is
    ``"https://x.org/docs/ru/%D1%86%D0%B5%D0%BD%D1%8B%202024.md"``."""
    encoded = "/".join(quote(segment, safe="") for segment in kb_path.split("/"))
    return template.replace(PATH_PLACEHOLDER, encoded)


def _links_outside_files(root: Path) -> list[str]:
    """A problem for each link in ``kb/`` but not below ``files/`` (the walk reports those),
    except the settings and instructions, whose readers report them."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return []  # reported by whatever needed to read it
    links: list[Path] = []
    for entry in entries:
        if entry.is_symlink():
            if entry.name not in (INSTRUCTIONS, SETTINGS):
                links.append(Path(entry.path))
        elif entry.is_dir(follow_symlinks=False) and entry.name != FILES:
            links.extend(links_below(Path(entry.path)))
    return [link_problem(link) for link in links]


def _load_settings_and_spec(
    kb_dir: Path,
) -> tuple[Settings, AssistantSpec | None, list[str], bool]:
    default_name = kb_dir.resolve().parent.name
    if is_link(kb_dir):
        return Settings(name=default_name), None, [link_problem(kb_dir)], False
    if not kb_dir.is_dir():
        state = (
            "is a file, not the knowledge base folder"
            if kb_dir.exists()
            else "the knowledge base folder does not exist"
        )
        problem = f"{display_path(kb_dir)}: {state}; pass --kb DIR or set KB_DIR."
        return Settings(name=default_name), None, [problem], False
    parsed = parse_settings(kb_dir / SETTINGS, default_name)
    settings = parsed.settings
    problems = list(parsed.problems)
    instructions = _read_instructions(kb_dir / INSTRUCTIONS, problems)
    variants = _read_variants(kb_dir, settings.variants, problems)
    if problems or instructions is None:
        return settings, None, problems, parsed.exclude_ok
    spec = AssistantSpec(
        name=settings.name,
        model=settings.model,
        instructions=instructions,
        temperature=settings.temperature,
        max_output_tokens=settings.max_output_tokens,
        max_num_results=settings.max_num_results,
        digest=spec_digest(settings, instructions, variants),
        reasoning_effort=settings.reasoning_effort,
        source_url=settings.source_url,
        starters=settings.starters,
        leads=settings.leads,
        handoff=settings.handoff,
        telegram=settings.telegram,
        variants=variants,
    )
    return settings, spec, problems, parsed.exclude_ok


def _read_variants(
    kb_dir: Path, variants: tuple[Variant, ...], problems: list[str]
) -> tuple[VariantSpec, ...]:
    loaded = []
    for variant in variants:
        text = _read_instructions(kb_dir / variant.instructions, problems, variant=variant.name)
        if text is not None:
            loaded.append(VariantSpec(variant.name, variant.weight, text))
    return tuple(loaded)


def _read_instructions(path: Path, problems: list[str], *, variant: str = "") -> str | None:
    shown = display_path(path)
    whose = f'variant "{variant}"\'s' if variant else "the assistant's"
    try:
        text = read_regular(path).decode("utf-8-sig").strip()
    except LinkRefused as exc:
        problems.append(link_problem(exc.path))
        return None
    except NotRegular:
        problems.append(f"{shown}: is not a regular file; replace it with one.")
        return None
    except FileNotFoundError:
        problems.append(f"{shown}: is missing; create it with {whose} instructions.")
        return None
    except UnicodeDecodeError as exc:
        problems.append(
            f"{shown}: is not UTF-8 text (invalid byte at offset {exc.start}); re-save it as UTF-8."
        )
        return None
    except OSError as exc:
        problems.append(f"{shown}: cannot be read ({exc.strerror}); check its permissions.")
        return None
    if not text:
        problems.append(f"{shown}: is empty; write {whose} instructions in it.")
        return None
    return text
