"""Cut parsed sections into size-bounded passages with citations, scope and stable ids."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ingestion.documents import Block, ParsedDocument, Section
from ingestion.settings import IngestionSettings
from knowledge import DocumentKind, Passage

TokenCounter = Callable[[str], int]
"""Counts tokens of a text as the embedder's tokenizer would."""

PASSAGE_NAMESPACE = uuid.UUID("6f1c7d0e-2b9a-5d43-9a51-0b05e1c0a7d3")
_SENTENCE_RE = re.compile(r"(?<=[.!?;:])\s+(?=[\"'(\[]?[A-Z0-9])")
SHORT_ROWS_TOKENS = 120
"""Consecutive table rows are joined into one chunk while they stay under this many tokens."""
_TOKENISH_RE = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True, slots=True)
class DocumentScope:
    """Identity and visibility of a document's passages (from its records Document row)."""

    org_id: int
    document_id: int
    version: int
    kind: DocumentKind = "manual"
    vessel_id: int | None = None
    equipment_codes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    title: str | None = None
    """Overrides the title found in the file."""


def approx_token_count(text: str) -> int:
    """Estimate WordPiece tokens from words and punctuation (close to MiniLM's tokenizer)."""
    pieces = _TOKENISH_RE.findall(text)
    long_words = sum(1 for p in pieces if len(p) > 8)
    return len(pieces) + long_words // 2


class TokenizerCounter:
    """Count tokens with a Hugging Face tokenizer (SentenceTransformer.tokenizer); picklable."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> int:
        """Return the number of tokens of `text`, special tokens excluded."""
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])


def passage_id(document_id: int, version: int, ordinal: int) -> str:
    """Return the deterministic id of a passage: uuid5 of document id, version and ordinal."""
    return str(uuid.uuid5(PASSAGE_NAMESPACE, f"{document_id}:{version}:{ordinal}"))


@dataclass(frozen=True, slots=True)
class _Unit:
    text: str
    page: int | None
    block: int
    tokens: int


def _split_long(text: str, budget: int, count: TokenCounter) -> Iterator[str]:
    """Yield pieces of `text` under `budget` tokens: by sentence, then by line, then by words."""
    pieces = [s for s in _SENTENCE_RE.split(text) if s.strip()]
    if len(pieces) == 1:
        pieces = [s for s in text.splitlines() if s.strip()] or pieces
    for piece in pieces:
        if count(piece) <= budget:
            yield piece
            continue
        words = piece.split()
        step = max(budget * 3 // 4, 1)
        start = 0
        while start < len(words):
            end = min(start + step, len(words))
            while end - start > 1 and count(" ".join(words[start:end])) > budget:
                end = start + max((end - start) * 3 // 4, 1)
            yield " ".join(words[start:end])
            start = end


def _units(section: Section, budget: int, count: TokenCounter) -> list[_Unit]:
    units: list[_Unit] = []
    for index, block in enumerate(section.blocks):
        tokens = count(block.text)
        if tokens <= budget:
            units.append(_Unit(block.text, block.page, index, tokens))
            continue
        for piece in _split_long(block.text, budget, count):
            units.append(_Unit(piece, block.page, index, count(piece)))
    return units


def _join(units: list[_Unit]) -> str:
    parts: list[str] = []
    previous: int | None = None
    for unit in units:
        if parts:
            parts.append("\n\n" if unit.block != previous else " ")
        parts.append(unit.text)
        previous = unit.block
    return "".join(parts)


def _overlap(units: list[_Unit], budget: int, count: TokenCounter) -> list[_Unit]:
    """Trailing units (or the tail of the last one) worth at most `budget` tokens."""
    if budget <= 0 or not units:
        return []
    taken: list[_Unit] = []
    total = 0
    for unit in reversed(units):
        if total + unit.tokens > budget:
            break
        taken.insert(0, unit)
        total += unit.tokens
    if taken:
        return taken
    last = units[-1]
    words = last.text.split()
    tail = " ".join(words[-max(budget * 3 // 4, 1) :])
    return [_Unit(tail, last.page, last.block, count(tail))]


@dataclass(frozen=True, slots=True)
class _Chunk:
    body: str
    page: int | None
    table_row: bool = False
    ocr_confidence: float | None = None


def _section_pieces(
    section: Section, max_tokens: int, overlap_tokens: int, count: TokenCounter
) -> Iterator[_Chunk]:
    """Yield the chunks of a section: prose runs cut by size, table rows apart from prose.

    Consecutive short rows of a page are joined (one row a line) up to SHORT_ROWS_TOKENS;
    a longer row is a chunk of its own. The OCR'd text of a page is a run of its own, so
    its chunks carry its page and confidence.
    """
    run: list[Block] = []
    rows: list[Block] = []
    row_tokens = 0

    def table() -> Iterator[_Chunk]:
        nonlocal row_tokens
        if rows:
            yield _Chunk("\n".join(b.text for b in rows), rows[0].page, table_row=True)
        rows.clear()
        row_tokens = 0

    def prose() -> Iterator[_Chunk]:
        if not run:
            return
        confidence = run[0].ocr_confidence
        part = Section(path=section.path, blocks=tuple(run))
        for body, page in _section_chunks(part, max_tokens, overlap_tokens, count):
            yield _Chunk(body, page, ocr_confidence=confidence)
        run.clear()

    def ocr_page(block: Block) -> int | None:
        return block.page if block.ocr_confidence is not None else None

    for block in section.blocks:
        if block.table_row:
            yield from prose()
            tokens = count(block.text)
            if rows and (row_tokens + tokens > SHORT_ROWS_TOKENS or rows[-1].page != block.page):
                yield from table()
            rows.append(block)
            row_tokens += tokens
            continue
        yield from table()
        if run and ocr_page(run[-1]) != ocr_page(block):
            yield from prose()
        run.append(block)
    yield from table()
    yield from prose()


def _section_chunks(
    section: Section, max_tokens: int, overlap_tokens: int, count: TokenCounter
) -> Iterator[tuple[str, int | None]]:
    """Yield (body text, page where it starts) for one section.

    A chunk ends where its budget ends or where a new page begins, so the page a passage
    cites holds all of its new text (the overlap carried into the next chunk may come from
    the page before): a handbook's page of running text is not cited by the page before it.
    """
    prefix = " > ".join(section.path)
    budget = max(max_tokens - (count(prefix) + 1 if prefix else 0), max_tokens // 3)
    units = _units(section, budget, count)
    current: list[_Unit] = []
    fresh_start = 0
    total = 0
    for unit in units:
        full = total + unit.tokens > budget
        new_page = bool(current) and unit.page != current[-1].page
        if current and (full or new_page) and len(current) > fresh_start:
            yield _join(current), current[fresh_start].page
            carried = _overlap(current, min(overlap_tokens, budget - unit.tokens), count)
            current = list(carried)
            fresh_start = len(current)
            total = sum(u.tokens for u in current)
        current.append(unit)
        total += unit.tokens
    if len(current) > fresh_start:
        yield _join(current), current[fresh_start].page


def chunk_document(
    parsed: ParsedDocument,
    scope: DocumentScope,
    *,
    settings: IngestionSettings | None = None,
    count_tokens: TokenCounter | None = None,
) -> list[Passage]:
    """Chunk a parsed document by section into Passages carrying page, section and scope."""
    settings = settings or IngestionSettings()
    count = count_tokens or approx_token_count
    title = scope.title or parsed.title
    passages: list[Passage] = []
    for section in parsed.sections:
        section_name = " > ".join(section.path) or None
        for piece in _section_pieces(
            section, settings.chunk_max_tokens, settings.chunk_overlap_tokens, count
        ):
            body, page = piece.body, piece.page
            # A table row already names its caption or section.
            text = f"{section_name}\n{body}" if section_name and not piece.table_row else body
            ordinal = len(passages)
            passages.append(
                Passage(
                    id=passage_id(scope.document_id, scope.version, ordinal),
                    org_id=scope.org_id,
                    document_id=scope.document_id,
                    document_version=scope.version,
                    text=text,
                    title=title,
                    kind=scope.kind,
                    section=section_name,
                    page=page,
                    vessel_id=scope.vessel_id,
                    equipment_codes=scope.equipment_codes,
                    tags=scope.tags,
                    ordinal=ordinal,
                    table_row=piece.table_row,
                    ocr_confidence=piece.ocr_confidence,
                )
            )
    return passages
