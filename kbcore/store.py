"""Which vector store is the KB's: the one rule both OpenAI seams (sync and relay) use.

``VECTOR_STORE_ID``, when set, names it, and that store must carry this KB's
``kb_name``. Otherwise it is the single store whose ``metadata.kb_name`` is the KB's
name and that has no ``kb_preview`` key (previews and ``kbsync check`` stores carry
one). Two such stores is an error naming both ids, never a silent pick: a restored
backup or a hand-made copy must not quietly become what visitors are answered from.

The seams fetch (sync or async, paginated their own way); the choice is made here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kbcore.errors import StoreChoiceError
from kbcore.wire import KB_NAME, KB_PREVIEW


@dataclass(frozen=True)
class StoreRef:
    """What the rule needs of a listed vector store."""

    id: str
    metadata: Mapping[str, str]


def claims(store: StoreRef, kb_name: str) -> bool:
    """Whether ``store`` is a main store of ``kb_name`` (not a preview or check store)."""
    return store.metadata.get(KB_NAME) == kb_name and KB_PREVIEW not in store.metadata


def choose_store(kb_name: str, stores: Iterable[StoreRef]) -> StoreRef | None:
    """The one store that claims ``kb_name``; ``None`` when none does.

    Raises ``StoreChoiceError`` naming every claimant when there are several."""
    found = [store for store in stores if claims(store, kb_name)]
    if len(found) > 1:
        ids = ", ".join(sorted(store.id for store in found))
        raise StoreChoiceError(
            f"{len(found)} vector stores claim knowledge base {kb_name!r} ({ids}); "
            "set VECTOR_STORE_ID to the one to use, and delete the other."
        )
    return found[0] if found else None


def choose_preview(kb_name: str, preview: str, stores: Iterable[StoreRef]) -> StoreRef | None:
    """The one store of ``kb_name`` whose ``kb_preview`` is ``preview`` (``pr-12``, …).

    Raises ``StoreChoiceError`` naming every claimant when there are several."""
    found = [
        store
        for store in stores
        if store.metadata.get(KB_NAME) == kb_name and store.metadata.get(KB_PREVIEW) == preview
    ]
    if len(found) > 1:
        ids = ", ".join(sorted(store.id for store in found))
        raise StoreChoiceError(
            f"{len(found)} vector stores are preview {preview!r} of knowledge base "
            f"{kb_name!r} ({ids}); delete all but one."
        )
    return found[0] if found else None


def check_chosen(kb_name: str, store: StoreRef) -> StoreRef:
    """``store`` (named by ``VECTOR_STORE_ID``) if it carries this KB's ``kb_name``."""
    owner = store.metadata.get(KB_NAME)
    if owner != kb_name:
        whose = f"knowledge base {owner!r}" if owner else "no knowledge base (no kb_name)"
        raise StoreChoiceError(
            f"Vector store {store.id} (VECTOR_STORE_ID) belongs to {whose}, not {kb_name!r}; "
            "fix VECTOR_STORE_ID or `name:` in kb/assistant.yaml."
        )
    return store


def missing_chosen(store_id: str) -> StoreChoiceError:
    """The error for a ``VECTOR_STORE_ID`` that names no store."""
    return StoreChoiceError(
        f"VECTOR_STORE_ID={store_id} names no vector store for this API key; "
        "unset it to find the store by the KB's name."
    )
