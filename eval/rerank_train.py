"""Train the learned reranker (XGBoost rank:ndcg over knowledge.rerank_features).

    python -m eval.rerank_train [--out knowledge/data/reranker.json] [--with-beir DIR ...]

The shipped model learns from text this repository owns or may use, never from the
evaluation manuals (emanual S10 / TV, the FAA powerplant handbook):

- the demo manuals (channels/demo/manuals, parsed and chunked by the product's ingestion):
  their question cases (eval/cases/manuals.jsonl and manuals_abbrev.jsonl), and synthetic
  queries made deterministically from their headings (numbering dropped, a word dropped,
  phrases abbreviated with the shipped glossary) and sentences (a few content words kept);
- the same manuals with their headings removed (page-like text, as handbooks without
  headings are), queried by their sentences;
- the haul-truck FMEA table (fmea_rag_qa, 330 rows as table-row chunks), queried with
  templates over sub-component and failure mode.

``--with-beir DIR`` adds a BEIR set's real questions (used for the leave-one-corpus-out
models of the README's emanual figures). Candidates and features come from the real
KnowledgeBase with reranking off (KnowledgeBase.candidate_features), as at search time.
Collected features are cached under BOSUN_HOME/cache/rerank.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from rich.console import Console
from rich.progress import track

from eval.retrieval_metrics import BeirSet, load_beir
from eval.retrieval_pipeline import BosunPipeline, PipelineOptions
from ingestion import Block, DocumentScope, ParsedDocument, Section, chunk_document, parse_document
from knowledge import (
    Embedder,
    KnowledgeBase,
    KnowledgeSettings,
    Passage,
    SearchScope,
    build_embedder,
)
from knowledge.base import SearchTuning
from knowledge.glossary import Glossary
from knowledge.index_edge import EdgeVectorIndex
from knowledge.rerank import MODEL_FORMAT, SHIPPED_MODEL
from knowledge.rerank_features import FEATURES

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "channels" / "demo" / "manuals"
CASES = ROOT / "eval" / "cases"
FMEA = Path("/work/shared/datasets/fmea_rag_qa/fmea_dataset_filled.csv")
SEED = 17
err = Console(stderr=True)

PARAMS: dict[str, object] = {
    "objective": "rank:ndcg",
    "eval_metric": "ndcg@10",
    "eta": 0.08,
    "max_depth": 4,
    "min_child_weight": 2.0,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "lambda": 2.0,
    "tree_method": "hist",
    "nthread": 1,
    "seed": SEED,
}
ROUNDS = 150
PRIOR_WEIGHT = 1.5
"""Weight of the fused order against the model's order in the final order (reciprocal-rank
fusion, k = 5; knowledge.rerank.LearnedReranker.blend). Chosen on emanual-tv-dev, the set
the fusion itself was tuned on: the smallest weight that does not lower it (0: 0.882,
1: 0.909, 1.5: 0.911 against 0.911 for the fused order, document nDCG@10 over the
candidates)."""
_STOPWORDS = (
    "a an the of to in on for and or is are be by with at as from that this it its into "
    "when what how which do does can should must not no if then than each any all"
)
STOP = frozenset(_STOPWORDS.split(" "))


@dataclass(frozen=True)
class Query:
    """A training query: its text, which candidates are relevant, and its group weight."""

    text: str
    relevant: Callable[[Passage], int]
    weight: float = 1.0
    key: str = ""
    """What identifies the relevance rule in the cache key."""


@dataclass(frozen=True)
class Collection:
    """Documents to index and the queries asked of them."""

    name: str
    documents: list[list[Passage]]
    queries: list[Query]


@dataclass
class Group:
    """One query's candidates: features, graded labels, the group's weight."""

    source: str
    features: np.ndarray
    labels: np.ndarray
    weight: float
    docs: np.ndarray | None = None
    """Each candidate's document (BEIR sets: to score rankings by document)."""


# ----------------------------------------------------------------- sources
def _strip_number(heading: str) -> str:
    return re.sub(r"^\s*[\d.]+\s+", "", heading).strip()


def _abbreviate(text: str, glossary: Glossary) -> str:
    """Replace glossary expansions found in text by their term ("lube oil" -> "LO")."""
    out = text
    pairs = sorted(
        ((e, t.term) for t in glossary.terms.values() for e in t.expansions if len(e) > 4),
        key=lambda p: (-len(p[0]), p[0]),
    )
    for expansion, term in pairs:
        pattern = re.compile(rf"\b{re.escape(expansion)}\b", re.IGNORECASE)
        if pattern.search(out):
            out = pattern.sub(term, out, count=1)
    return out


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[\w/.-]+", text) if w.lower() not in STOP and len(w) > 1]


def _sentences(text: str) -> list[str]:
    body = text.split("\n", 1)[-1]
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", body) if len(s.split()) >= 7]


def demo_documents(headless: bool = False) -> list[list[Passage]]:
    """Parse and chunk the demo manuals as ingestion does (headless: headings removed)."""
    paths = sorted(DEMO.glob("0*.md"))
    if not paths:
        raise FileNotFoundError(f"no demo manuals (0*.md) in {DEMO}")
    docs = []
    for n, path in enumerate(paths, start=1):
        parsed = parse_document(path)
        if headless:
            blocks = tuple(
                Block(b.text) for s in parsed.sections for b in s.blocks if not b.table_row
            )
            parsed = ParsedDocument(path.stem, parsed.kind, None, (Section((), blocks),))
        docs.append(chunk_document(parsed, DocumentScope(org_id=1, document_id=n, version=1)))
    return docs


def _by_section(section: str) -> Callable[[Passage], int]:
    return lambda p: int(p.section == section)


def _by_text(snippet: str) -> Callable[[Passage], int]:
    return lambda p: int(snippet in p.text)


def demo_collection(rng: random.Random, glossary: Glossary) -> Collection:
    """Demo manuals with headings: question cases, heading, sentence and table-row queries."""
    docs = demo_documents()
    queries: list[Query] = []
    for name in ("manuals.jsonl", "manuals_abbrev.jsonl"):
        for line in (CASES / name).read_text().splitlines():
            if line.strip():
                case = json.loads(line)
                queries.append(
                    Query(case["question"], _by_section(case["section"]), 3.0, case["section"])
                )
    sections = sorted({p.section for d in docs for p in d if p.section})
    for section in sections:
        leaf = _strip_number(section.split(" > ")[-1])
        words = leaf.split()
        if len(words) < 2:
            continue
        variants = [leaf.lower()]
        if len(words) > 3:
            drop = rng.randrange(1, len(words))
            variants.append(" ".join(w for i, w in enumerate(words) if i != drop))
        short = _abbreviate(leaf, glossary)
        if short != leaf:
            variants.append(short)
        prefix = rng.choice(["", "how to ", "what is the ", "where is ", ""])
        variants[0] = prefix + variants[0]
        queries += [Query(v, _by_section(section), 1.0, section) for v in variants]
    for doc in docs:
        for p in doc:
            if p.table_row:
                if rng.random() < 0.25:
                    line = p.text.split("\n")[0]
                    cells = line.split(": ", 1)[-1].split(" | ")
                    label = cells[0].split(": ")[-1]
                    leaf = _strip_number((p.section or "").split(" > ")[-1])
                    text = f"{leaf} {label}".lower()
                    queries.append(Query(text, _by_text(line), 1.0, line))
                continue
            sentences = _sentences(p.text)
            if sentences:
                queries.append(_sentence_query(rng.choice(sentences), rng, glossary))
    return Collection("demo", docs, queries)


def _sentence_query(sentence: str, rng: random.Random, glossary: Glossary) -> Query:
    words = _content_words(sentence)
    keep = min(len(words), rng.randint(3, 6))
    start = rng.randrange(0, max(1, len(words) - keep + 1))
    text = " ".join(words[start : start + keep]).lower()
    if rng.random() < 0.3:
        text = _abbreviate(text, glossary)
    return Query(text, _by_text(sentence), 1.0, sentence)


def headless_collection(rng: random.Random, glossary: Glossary) -> Collection:
    """Demo manuals as page-like text without headings, queried by their sentences."""
    docs = demo_documents(headless=True)
    queries = []
    for doc in docs:
        for p in doc:
            sentences = _sentences(p.text)
            if sentences:
                queries.append(_sentence_query(rng.choice(sentences), rng, glossary))
    return Collection("demo-headless", docs, queries)


def fmea_collection(rng: random.Random) -> Collection:
    """The FMEA table's rows, queried with templates over sub-component and failure mode."""
    parsed = parse_document(FMEA, title="Haul truck FMEA")
    docs = [chunk_document(parsed, DocumentScope(org_id=1, document_id=1, version=1))]
    pairs: dict[tuple[str, str], None] = {}
    for p in docs[0]:
        cells = dict(c.split(": ", 1) for c in p.text.split(" | ") if ": " in c)
        sub = cells.get("Sub-Component", "").strip()
        mode = cells.get("Potential Failure Mode", "").strip()
        if sub and mode:
            pairs[(sub, mode)] = None
    templates = [
        "What is the recommended action for {mode} on the {sub}?",
        "effect of {mode} {sub}",
        "{sub} {mode} cause",
        "what is the RPN for {sub} {mode}",
        "how is {mode} of the {sub} detected",
    ]
    chosen = rng.sample(sorted(pairs), min(90, len(pairs)))
    queries = []
    for sub, mode in chosen:
        text = rng.choice(templates).format(sub=sub.lower(), mode=mode.lower())
        rule = f"Sub-Component: {sub} | Potential Failure Mode: {mode} |"
        queries.append(Query(text, _by_text(rule), 1.0, rule))
    return Collection("fmea", docs, queries)


def shipped_collections() -> list[Collection]:
    """The shipped model's training collections (deterministic)."""
    rng = random.Random(SEED)
    glossary = Glossary.shipped()
    return [
        demo_collection(rng, glossary),
        headless_collection(rng, glossary),
        fmea_collection(rng),
    ]


# ----------------------------------------------------------------- collecting
def _cache_key(name: str, parts: Sequence[object]) -> str:
    raw = json.dumps([name, list(FEATURES), repr(SearchTuning()), *map(str, parts)])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _load_cached(path: Path, source: str) -> list[Group] | None:
    if not path.exists():
        return None
    data = np.load(path)
    bounds = data["bounds"]
    docs = data["d"] if "d" in data.files else None
    return [
        Group(source, data["x"][a:b], data["y"][a:b], float(w), None if docs is None else docs[a:b])
        for (a, b), w in zip(bounds, data["w"], strict=True)
    ]


def _save_cached(path: Path, groups: Sequence[Group]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sizes = np.cumsum([0, *(len(g.labels) for g in groups)])
    arrays: dict[str, np.ndarray] = {
        "x": np.concatenate([g.features for g in groups])
        if groups
        else np.zeros((0, len(FEATURES))),
        "y": np.concatenate([g.labels for g in groups]) if groups else np.zeros(0),
        "w": np.asarray([g.weight for g in groups]),
        "bounds": np.stack([sizes[:-1], sizes[1:]], axis=1) if groups else np.zeros((0, 2), int),
    }
    docs = [g.docs for g in groups]
    if groups and all(d is not None for d in docs):
        arrays["d"] = np.concatenate([d for d in docs if d is not None])
    np.savez(path, **arrays)  # type: ignore[arg-type]


def _keep(
    groups: list[Group],
    features: np.ndarray,
    labels: list[int],
    weight: float,
    source: str,
    docs: list[int] | None = None,
) -> None:
    y = np.asarray(labels, dtype=np.float32)
    if y.size and y.max() > 0 and y.min() == 0:
        d = None if docs is None else np.asarray(docs, dtype=np.int64)
        groups.append(Group(source, features, y, weight, d))


def collect(collection: Collection, embedder: Embedder, cache: Path) -> list[Group]:
    """Index a collection in a temporary KnowledgeBase and collect each query's candidates."""
    parts = [embedder.name, *(p.text + str(p.section) for d in collection.documents for p in d)]
    parts += [q.text + "\x00" + q.key + str(q.weight) for q in collection.queries]
    path = cache / f"{collection.name}-{_cache_key(collection.name, parts)}.npz"
    cached = _load_cached(path, collection.name)
    if cached is not None:
        err.print(f"{collection.name}: {len(cached)} groups from the cache {path}")
        return cached
    groups: list[Group] = []
    with tempfile.TemporaryDirectory(prefix="bosun-rerank-") as tmp:
        kb = KnowledgeBase(
            EdgeVectorIndex(Path(tmp) / "store", dimension=embedder.dimension),
            embedder,
            journal_dir=Path(tmp),
        )
        try:
            n = sum(len(d) for d in collection.documents)
            err.print(f"{collection.name}: indexing {n} chunks")
            kb.index_documents(collection.documents)
            kb.optimize()
            for q in track(collection.queries, description=collection.name, console=err):
                head, features = kb.candidate_features(q.text, SearchScope(org_id=1))
                labels = [q.relevant(_passage(f.point.payload)) for f in head]
                _keep(groups, features, labels, q.weight, collection.name)
        finally:
            kb.close()
    _save_cached(path, groups)
    err.print(f"{collection.name}: {len(groups)} of {len(collection.queries)} queries usable")
    return groups


def _passage(payload: dict[str, object]) -> Passage:
    from knowledge.base import passage_from_payload

    return passage_from_payload(payload)


def collect_beir(
    data: BeirSet, embedder: Embedder, cache: Path, weight: float = 3.0
) -> list[Group]:
    """Collect a BEIR set's real questions (chunked and indexed as eval.retrieval does)."""
    parts = [embedder.name, data.name, len(data.corpus), json.dumps(data.qrels, sort_keys=True)]
    parts.append("docs")
    path = cache / f"beir-{data.name}-{_cache_key(data.name, parts)}.npz"
    cached = _load_cached(path, data.name)
    if cached is not None:
        err.print(f"{data.name}: {len(cached)} groups from the cache {path}")
        return cached
    groups: list[Group] = []
    with tempfile.TemporaryDirectory(prefix="bosun-rerank-") as tmp:
        pipeline = BosunPipeline(Path(tmp), embedder, PipelineOptions())
        try:
            pipeline.index(data, console=err)
            for qid, text in track(list(data.queries.items()), description=data.name, console=err):
                head, features = pipeline.kb.candidate_features(text, SearchScope(org_id=1))
                rels = data.qrels[qid]
                docs = [int(f.point.payload["document_id"]) for f in head]
                labels = [rels.get(pipeline.doc_ids[d - 1], 0) for d in docs]
                _keep(groups, features, labels, weight, data.name, docs)
        finally:
            pipeline.close()
    _save_cached(path, groups)
    return groups


# ----------------------------------------------------------------- training
def train(
    groups: Sequence[Group], rounds: int = ROUNDS, prior_weight: float = PRIOR_WEIGHT
) -> dict[str, object]:
    """Fit the ranker on groups; return the model document (see knowledge.rerank)."""
    import xgboost as xgb

    if not groups:
        raise ValueError("no training group has both a relevant and an irrelevant candidate")
    x = np.concatenate([g.features for g in groups])
    y = np.concatenate([g.labels for g in groups])
    matrix = xgb.DMatrix(x, label=y, feature_names=list(FEATURES), missing=np.nan)
    matrix.set_group([len(g.labels) for g in groups])
    matrix.set_weight(np.asarray([g.weight for g in groups], dtype=np.float32))
    booster = xgb.train(PARAMS, matrix, num_boost_round=rounds)
    document = json.loads(bytes(booster.save_raw("json")))
    raw = json.dumps(document, sort_keys=True).encode()
    sha = hashlib.sha256(raw).hexdigest()
    sources: dict[str, int] = {}
    for g in groups:
        sources[g.source] = sources.get(g.source, 0) + 1
    return {
        "format": MODEL_FORMAT,
        "version": f"1-{sha[:8]}-w{prior_weight:g}",
        "features": list(FEATURES),
        "trained_on": [f"{k}: {v} queries" for k, v in sorted(sources.items())],
        "depth": SearchTuning().rerank_candidates,
        "prior_weight": prior_weight,
        "prior_k": 5.0,
        "params": PARAMS,
        "rounds": rounds,
        "sha256": sha,
        "booster": document,
    }


def training_groups(
    embedder: Embedder, cache: Path, beir: Sequence[Path] = (), shipped: bool = True
) -> list[Group]:
    """Collect the shipped collections' groups (and any BEIR sets')."""
    groups: list[Group] = []
    if shipped:
        for c in shipped_collections():
            groups += collect(c, embedder, cache)
    for folder in beir:
        groups += collect_beir(load_beir(folder), embedder, cache)
    return groups


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL)
    parser.add_argument("--with-beir", type=Path, nargs="*", default=[])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args(argv)
    settings = KnowledgeSettings()
    embedder = build_embedder(settings)
    cache = settings.home / "cache" / "rerank"
    groups = training_groups(embedder, cache, args.with_beir)
    err.print(f"training on {len(groups)} queries, {sum(len(g.labels) for g in groups)} candidates")
    model = train(groups, args.rounds)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, sort_keys=True, separators=(",", ":")) + "\n")
    print(
        json.dumps(
            {"out": str(args.out), "version": model["version"], "trained_on": model["trained_on"]}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
