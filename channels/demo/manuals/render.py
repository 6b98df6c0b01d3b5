"""Render a demo manual (Markdown with YAML front matter) to PDF with reportlab Platypus."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    PageTemplate,
    Paragraph,
    Preformatted,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import NextPageTemplate

RENDERER_VERSION = "1"
"""Bump when the layout changes so rendered PDFs are made again."""

_MARGIN = 20 * mm
_NAVY = colors.HexColor("#1f3a5f")
_GRID = colors.HexColor("#8a9bb0")
_HEAD_FILL = colors.HexColor("#dde5ef")
_NOTE_FILL = colors.HexColor("#fff4d6")


@dataclass(frozen=True, slots=True)
class Manual:
    """One demo manual: its source and what its front matter says about it."""

    source: Path
    title: str
    doc_no: str
    revision: str
    kind: str
    equipment_codes: tuple[str, ...]
    tags: tuple[str, ...]
    body: str
    subtitle: str = ""

    @property
    def sha256(self) -> str:
        """Return the hash of the source text and the renderer version (the render key)."""
        digest = hashlib.sha256(RENDERER_VERSION.encode())
        digest.update(self.source.read_bytes())
        return digest.hexdigest()


def load_manual(path: Path) -> Manual:
    """Read a manual's front matter (between '---' lines) and body."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError(f"{path.name}: no front matter")
    head, _, body = text[4:].partition("\n---\n")
    meta: dict[str, Any] = yaml.safe_load(head) or {}
    missing = [k for k in ("title", "doc_no", "revision", "kind") if k not in meta]
    if missing:
        raise ValueError(f"{path.name}: front matter lacks {', '.join(missing)}")
    return Manual(
        source=path,
        title=str(meta["title"]),
        subtitle=str(meta.get("subtitle", "")),
        doc_no=str(meta["doc_no"]),
        revision=str(meta["revision"]),
        kind=str(meta["kind"]),
        equipment_codes=tuple(str(c) for c in meta.get("equipment", [])),
        tags=tuple(str(t) for t in meta.get("tags", [])),
        body=body,
    )


def _styles() -> StyleSheet1:
    sheet = getSampleStyleSheet()
    body = ParagraphStyle("Body", parent=sheet["BodyText"], fontSize=10, leading=13.5)
    sheet.add(body, alias="body")
    sheet.add(ParagraphStyle("Cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0))
    sheet.add(ParagraphStyle("HeadCell", parent=sheet["Cell"], fontName="Helvetica-Bold"))
    sheet.add(
        ParagraphStyle("H1x", parent=sheet["Heading1"], fontSize=16, leading=20, textColor=_NAVY)
    )
    sheet.add(
        ParagraphStyle("H2x", parent=sheet["Heading2"], fontSize=12.5, leading=16, textColor=_NAVY)
    )
    sheet.add(ParagraphStyle("H3x", parent=sheet["Heading3"], fontSize=10.5, leading=13))
    sheet.add(
        ParagraphStyle(
            "CoverTitle", parent=sheet["Title"], fontSize=24, leading=30, textColor=_NAVY
        )
    )
    sheet.add(ParagraphStyle("CoverSub", parent=body, fontSize=13, leading=17, alignment=TA_CENTER))
    sheet.add(ParagraphStyle("Note", parent=body, fontSize=9.5, leading=12.5))
    sheet.add(ParagraphStyle("Mono", parent=body, fontName="Courier", fontSize=8.5, leading=10.5))
    return sheet


class _Heading(Paragraph):  # type: ignore[misc]  # reportlab is untyped
    """A heading paragraph that becomes a PDF bookmark (outline entry) where it lands."""

    def __init__(self, text: str, style: ParagraphStyle, level: int, key: str) -> None:
        super().__init__(escape(text), style)
        self.outline_text, self.outline_level, self.outline_key = text, level, key


class _ManualDoc(BaseDocTemplate):  # type: ignore[misc]  # reportlab is untyped
    """Page frame, header and footer; headings register themselves in the outline."""

    def __init__(self, path: Path, manual: Manual) -> None:
        super().__init__(
            str(path),
            pagesize=A4,
            leftMargin=_MARGIN,
            rightMargin=_MARGIN,
            topMargin=_MARGIN + 4 * mm,
            bottomMargin=_MARGIN,
            title=manual.title,
            author="Northern Offshore AS",
            subject=f"{manual.doc_no} rev. {manual.revision}",
            creator="Bosun demo manuals",
            invariant=1,
        )
        self.manual = manual
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates(
            [
                PageTemplate(id="cover", frames=[frame], onPage=self._cover_page),
                PageTemplate(id="body", frames=[frame], onPage=self._body_page),
            ]
        )

    def _cover_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        del doc
        canvas.saveState()
        canvas.setStrokeColor(_NAVY)
        canvas.setLineWidth(3)
        canvas.line(_MARGIN, A4[1] - _MARGIN, A4[0] - _MARGIN, A4[1] - _MARGIN)
        canvas.line(_MARGIN, _MARGIN, A4[0] - _MARGIN, _MARGIN)
        canvas.restoreState()

    def _body_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.grey)
        top = A4[1] - _MARGIN + 2 * mm
        canvas.drawString(_MARGIN, top, f"MV Northern Bosun - {self.manual.title}")
        canvas.drawRightString(A4[0] - _MARGIN, top, self.manual.doc_no)
        canvas.setStrokeColor(_GRID)
        canvas.line(_MARGIN, top - 1.5 * mm, A4[0] - _MARGIN, top - 1.5 * mm)
        canvas.drawString(_MARGIN, _MARGIN - 8 * mm, f"Rev. {self.manual.revision}")
        canvas.drawRightString(A4[0] - _MARGIN, _MARGIN - 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    def afterFlowable(self, flowable: Flowable) -> None:
        """Bookmark headings where they are drawn."""
        if isinstance(flowable, _Heading):
            self.canv.bookmarkPage(flowable.outline_key)
            self.canv.addOutlineEntry(
                flowable.outline_text, flowable.outline_key, level=flowable.outline_level
            )


def _inline(token: Token) -> str:
    """Turn an inline token's children into reportlab paragraph markup."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type == "text":
            parts.append(escape(child.content, quote=False))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" " if child.type == "softbreak" else "<br/>")
        elif child.type == "strong_open":
            parts.append("<b>")
        elif child.type == "strong_close":
            parts.append("</b>")
        elif child.type == "em_open":
            parts.append("<i>")
        elif child.type == "em_close":
            parts.append("</i>")
        elif child.type == "code_inline":
            parts.append(f'<font face="Courier">{escape(child.content, quote=False)}</font>')
        elif child.content:
            parts.append(escape(child.content, quote=False))
    return "".join(parts)


class _Builder:
    """Walk markdown-it tokens and produce Platypus flowables."""

    def __init__(self, tokens: Sequence[Token], styles: StyleSheet1) -> None:
        self.tokens, self.styles, self.pos, self.headings = tokens, styles, 0, 0

    def _next(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _until(self, closing: str) -> Iterator[Token]:
        """Yield the tokens up to (not including) the matching closing token at this level."""
        depth = 0
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if token.type == closing and depth == 0:
                self.pos += 1
                return
            depth += token.nesting if token.type != closing else 0
            yield token

    def blocks(self, closing: str | None = None) -> list[Flowable]:
        """Build flowables until `closing` (or the end)."""
        out: list[Flowable] = []
        while self.pos < len(self.tokens):
            token = self._next()
            if closing is not None and token.type == closing:
                return out
            out.extend(self._block(token))
        return out

    def _block(self, token: Token) -> list[Flowable]:
        if token.type == "heading_open":
            return self._heading(token)
        if token.type == "paragraph_open":
            text = _inline(self._next())
            self._next()  # paragraph_close
            return [Paragraph(text, self.styles["body"])]
        if token.type in ("bullet_list_open", "ordered_list_open"):
            return [self._list(token)]
        if token.type == "table_open":
            return [self._table()]
        if token.type == "blockquote_open":
            return [self._note()]
        if token.type in ("fence", "code_block"):
            return [Preformatted(token.content.rstrip("\n"), self.styles["Mono"])]
        if token.type == "hr":
            return [PageBreak()]
        return []

    def _heading(self, token: Token) -> list[Flowable]:
        level = int(token.tag[1]) - 1
        text = _inline(self._next())
        self._next()  # heading_close
        plain = " ".join(Paragraph(text, self.styles["body"]).getPlainText().split())
        self.headings += 1
        style = self.styles[("H1x", "H2x", "H3x")[min(level, 2)]]
        heading = _Heading(plain, style, min(level, 2), f"h{self.headings}")
        if level == 0:
            return [PageBreak(), heading]
        return [CondPageBreak(40 * mm), heading]

    def _list(self, opening: Token) -> ListFlowable:
        ordered = opening.type == "ordered_list_open"
        closing = "ordered_list_close" if ordered else "bullet_list_close"
        items: list[ListItem] = []
        while self.pos < len(self.tokens):
            token = self._next()
            if token.type == closing:
                break
            if token.type == "list_item_open":
                content = self._list_item()
                items.append(ListItem(content, leftIndent=16))
        start = int(opening.attrs.get("start", 1) or 1) if ordered else 1
        return ListFlowable(
            items,
            bulletType="1" if ordered else "bullet",
            start=start if ordered else None,
            bulletFontSize=9 if not ordered else 10,
            leftIndent=16,
            bulletFormat="%s." if ordered else None,
            spaceBefore=2,
            spaceAfter=4,
        )

    def _list_item(self) -> list[Flowable]:
        content: list[Flowable] = []
        while self.pos < len(self.tokens):
            token = self._next()
            if token.type == "list_item_close":
                break
            if token.type == "paragraph_open":
                text = _inline(self._next())
                self._next()
                content.append(Paragraph(text, self.styles["body"]))
            else:
                content.extend(self._block(token))
        return content

    def _table(self) -> Table:
        rows: list[list[Paragraph]] = []
        header_rows = 0
        in_head = False
        while self.pos < len(self.tokens):
            token = self._next()
            if token.type == "table_close":
                break
            if token.type == "thead_open":
                in_head = True
            elif token.type == "thead_close":
                in_head = False
            elif token.type == "tr_open":
                rows.append([])
                header_rows += 1 if in_head else 0
            elif token.type == "inline":
                style = self.styles["HeadCell" if in_head else "Cell"]
                rows[-1].append(Paragraph(_inline(token), style))
        width = A4[0] - 2 * _MARGIN
        table = Table(rows, colWidths=_column_widths(rows, width), repeatRows=header_rows)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
                    ("BACKGROUND", (0, 0), (-1, header_rows - 1), _HEAD_FILL),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ]
                if header_rows
                else [("GRID", (0, 0), (-1, -1), 0.5, _GRID), ("VALIGN", (0, 0), (-1, -1), "TOP")]
            )
        )
        table.spaceBefore, table.spaceAfter = 4, 8
        return table

    def _note(self) -> Table:
        content = self.blocks("blockquote_close")
        box = Table([[content]], colWidths=[A4[0] - 2 * _MARGIN - 4 * mm])
        box.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 1, colors.HexColor("#c98a00")),
                    ("BACKGROUND", (0, 0), (-1, -1), _NOTE_FILL),
                    ("LEFTPADDING", (0, 0), (-1, -1), 6),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        box.spaceBefore, box.spaceAfter = 4, 8
        return box


def _column_widths(rows: list[list[Paragraph]], width: float) -> list[float]:
    """Share the width by the longest text in each column, with a floor per column."""
    columns = max((len(r) for r in rows), default=1)
    longest = [1.0] * columns
    for row in rows:
        for i, cell in enumerate(row):
            longest[i] = max(longest[i], min(len(cell.getPlainText()), 60) + 6.0)
    total = sum(longest)
    floor = width / columns * 0.4
    raw = [max(width * n / total, floor) for n in longest]
    scale = width / sum(raw)
    return [w * scale for w in raw]


def _cover(manual: Manual, styles: StyleSheet1) -> list[Flowable]:
    control = Table(
        [
            [Paragraph("Document", styles["HeadCell"]), Paragraph(manual.doc_no, styles["Cell"])],
            [Paragraph("Revision", styles["HeadCell"]), Paragraph(manual.revision, styles["Cell"])],
            [
                Paragraph("Vessel", styles["HeadCell"]),
                Paragraph(
                    "MV Northern Bosun (IMO 9700001), platform supply vessel", styles["Cell"]
                ),
            ],
            [
                Paragraph("Issued by", styles["HeadCell"]),
                Paragraph("Northern Offshore AS, technical department", styles["Cell"]),
            ],
            [
                Paragraph("Applies to", styles["HeadCell"]),
                Paragraph(", ".join(manual.equipment_codes) or "whole vessel", styles["Cell"]),
            ],
        ],
        colWidths=[35 * mm, 95 * mm],
    )
    control.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
                ("BACKGROUND", (0, 0), (0, -1), _HEAD_FILL),
            ]
        )
    )
    return [
        Spacer(1, 55 * mm),
        Paragraph(escape(manual.title), styles["CoverTitle"]),
        Spacer(1, 6 * mm),
        Paragraph(escape(manual.subtitle), styles["CoverSub"]),
        Spacer(1, 25 * mm),
        KeepTogether([control]),
        Spacer(1, 20 * mm),
        Paragraph(
            "Vessel-specific operating and maintenance instructions written for the crew of "
            "MV Northern Bosun. Where this document and the maker's original documentation "
            "differ, the maker's documentation and the vessel's safety management system take "
            "precedence; report the difference to the chief engineer.",
            styles["Note"],
        ),
    ]


def render_pdf(manual: Manual, target: Path) -> int:
    """Render one manual to `target` (written atomically); return its page count."""
    styles = _styles()
    parser = MarkdownIt("commonmark").enable("table")
    builder = _Builder(parser.parse(manual.body), styles)
    story: list[Flowable] = [NextPageTemplate("body"), *_cover(manual, styles), *builder.blocks()]
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_suffix(".pdf.part")
    doc = _ManualDoc(part, manual)
    doc.build(story)
    part.replace(target)
    return int(doc.page)
