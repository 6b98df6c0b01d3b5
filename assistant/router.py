"""The learned router: which kind of message a crew member sent, from its meaning and its letters.

    python -m assistant.router train        # retrain from assistant/data/utterances.jsonl
    python -m assistant.router route TEXT   # show how one message is routed

A multinomial logistic regression (fixed seed) over the packaged MiniLM sentence embedding
plus hashed character and word n-grams (which carry typos, abbreviations and upper-case
work-order shorthand) and four interrogative cues: where in the message a question starts
(its head, a clause after a statement, a question word inside a clause) and a final "?".
The cues are features with learned weights, not rules: "DG2 jacket water temp high, what
should I check" asks in its second clause what the first one reports. The weights sit beside
the data with the data's sha256 and the embedder's name; loading refuses weights that do not
match the data. A write that the question routes together outweigh, in a message with a cue,
is answered instead (``Router.decide``).

Training reads the set's embeddings from ``utterances.vectors.npz`` (committed beside the data,
keyed by its sha256) rather than embedding afresh: torch's float arithmetic differs in the last
bits between CPUs, enough to flip a message that sits on a decision boundary, so retraining
from committed vectors is what gives the same weights on every machine. ``train --re-embed``
recomputes them (and is needed after the data changes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from assistant.intents import Intent
from knowledge import Embedder, embedding_thread_budget
from records import BosunError, ErrorCode

LABELS: tuple[str, ...] = (
    "document_question",
    "state_question",
    "history_question",
    "report",
    "record_change",
    "followup",
    "clarification_answer",
    "small_talk",
    "refuse",
)
QUESTION_LABELS = frozenset({"document_question", "state_question", "history_question"})
WRITE_LABELS = frozenset({"report", "record_change"})

DATA_DIR = Path(__file__).resolve().parent / "data"
DATA_FILE = DATA_DIR / "utterances.jsonl"
WEIGHTS_FILE = DATA_DIR / "router.npz"
META_FILE = DATA_DIR / "router.json"
DEV_FILE = DATA_DIR / "router_dev.jsonl"
VECTORS_FILE = DATA_DIR / "utterances.vectors.npz"

SEED = 13
C = 4.0
HELD_OUT_EVERY = 10  # one utterance in ten (by a hash of its text) is kept out of training
HASH_FEATURES = 2**13
EMBED_WEIGHT = 1.0
CHAR_WEIGHT = 0.7
WORD_WEIGHT = 0.7
CUE_WEIGHT = 1.0
WRITE_UNSURE = 0.4
"""Below this probability a write that the question routes together outweigh is answered."""
ASKED_MARGIN = 0.1
"""A message that asks ("after a CO2 dump when can we go back in") is filed only when its
write outweighs the question routes together by this much."""
TRAIN_HINT = "run `python -m assistant.router train`"

FloatArray = npt.NDArray[np.float64]


class RouterError(BosunError):
    """The router's weights are missing or do not belong to its data."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.unavailable, message)


@dataclass(frozen=True, slots=True)
class Route:
    """Where a message goes: the label, the classifier's confidence, every label's score."""

    label: str
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def is_question(self) -> bool:
        """Whether the message asks something (documents, state or history)."""
        return self.label in QUESTION_LABELS

    @property
    def is_write(self) -> bool:
        """Whether the message asks for a new record or a change to one."""
        return self.label in WRITE_LABELS


@dataclass(frozen=True, slots=True)
class Utterance:
    """One labelled message of the training data."""

    text: str
    label: str

    @property
    def held_out(self) -> bool:
        """Whether this utterance belongs to the held-out slice (never trained on)."""
        digest = hashlib.sha256(self.text.encode("utf-8")).digest()
        return digest[0] % HELD_OUT_EVERY == 0


def file_sha256(path: Path) -> str:
    """Return the sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_utterances(path: Path = DATA_FILE) -> list[Utterance]:
    """Read the labelled utterances; an unknown label is an error naming its line."""
    rows: list[Utterance] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if obj.get("label") not in LABELS:
            raise ValueError(f"{path.name} line {n}: unknown label {obj.get('label')!r}")
        rows.append(Utterance(str(obj["text"]), str(obj["label"])))
    return rows


def default_embedder() -> Embedder:
    """Return the packaged all-MiniLM-L6-v2 on torch (the reference backend)."""
    from knowledge import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(batch_size=64)


def _shape(text: str) -> str:
    """Lower-case and fold digits so 'WO 123' and 'wo 7' share n-grams."""
    return re.sub(r"\d+", "0", " ".join(text.lower().split()))


_ASKS = re.compile(
    r"^(?:what|whats|what's|wat|wats|why|how|hows|how's|where|wheres|where's|when|whens|"
    r"which|who|is|isnt|isn't|are|should|shall|do|does|did|any ?ideas?)\b"
)
"""The words a question opens with (English's closed class of interrogatives and auxiliaries;
not 'can', 'could', 'will', 'would', which open requests as often: "can you log a fault")."""
_ASKS_INSIDE = re.compile(
    r"\b(?:what|whats|what's|why|how|where|which|is (?:that|it|this)|should (?:i|we)|"
    r"when (?:can|could|do|does|did|should|shall|will|is|are|was) (?:i|we|you|it|they|the))\b"
)
_CLAUSES = re.compile(r"[,;:!?]|\s[-/]\s|\.(?:\s|$)|\.{2,}")


def interrogative_cues(text: str) -> tuple[float, float, float, float]:
    """Return four 0/1 cues: a question at the head, in a later clause, inside a clause, '?'."""
    low = " ".join(text.lower().split())
    clauses = [c.strip() for c in _CLAUSES.split(low) if c.strip()]
    head = bool(clauses) and bool(_ASKS.match(clauses[0]))
    later = any(_ASKS.match(c) for c in clauses[1:])
    inside = any(
        _ASKS_INSIDE.search(" ".join(c.split()[2:])) for c in clauses if len(c.split()) > 2
    )
    return float(head), float(later), float(inside), float(low.rstrip().endswith("?"))


class _Hashing:
    """Hashed character and word n-grams and the interrogative cues (stateless)."""

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.char = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 4),
            n_features=HASH_FEATURES,
            alternate_sign=False,
            norm="l2",
        )
        self.word = HashingVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            n_features=HASH_FEATURES,
            alternate_sign=False,
            norm="l2",
            token_pattern=r"(?u)\b\w[\w/']*\b",
        )

    def transform(self, texts: Sequence[str]) -> Any:
        shaped = [_shape(t) for t in texts]
        cues = np.array([interrogative_cues(t) for t in texts], dtype=np.float64).reshape(-1, 4)
        return sparse.hstack(
            [
                self.char.transform(shaped) * CHAR_WEIGHT,
                self.word.transform(shaped) * WORD_WEIGHT,
                sparse.csr_matrix(cues * CUE_WEIGHT),
            ],
            format="csr",
        )


def _features(embedded: npt.NDArray[np.float32], hashed: Any) -> Any:
    return sparse.hstack(
        [sparse.csr_matrix(embedded.astype(np.float64) * EMBED_WEIGHT), hashed], format="csr"
    )


def embed_texts(
    embedder: Embedder, texts: Sequence[str], *, progress: bool, cache: Path | None = None
) -> npt.NDArray[np.float32]:
    """Embed texts; with a cache file, only texts it does not hold (and update it)."""
    if cache is None:
        return _embed_all(embedder, texts, progress=progress)
    known: dict[str, npt.NDArray[np.float32]] = {}
    if cache.exists():
        with np.load(cache, allow_pickle=False) as z:
            if str(z["embedder"]) == embedder.name:
                known = dict(zip([str(t) for t in z["texts"]], z["vectors"], strict=True))
    missing = sorted({t for t in texts if t not in known})
    if missing:
        new = _embed_all(embedder, missing, progress=progress)
        known.update(zip(missing, new, strict=True))
        keys = sorted(known)
        np.savez(
            cache,
            embedder=np.array(embedder.name),
            texts=np.array(keys),
            vectors=np.stack([known[k] for k in keys]),
        )
    return np.stack([known[t] for t in texts]).astype(np.float32)


def read_vectors(path: Path, data_sha256: str, embedder: str) -> npt.NDArray[np.float32] | None:
    """Return the committed embeddings of a data set, or None when absent or of other data."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as z:
        if str(z["data_sha256"]) != data_sha256 or str(z["embedder"]) != embedder:
            return None
        stored: npt.NDArray[np.float32] = z["vectors"].astype(np.float32)
        return stored


def write_vectors(
    path: Path, vectors: npt.NDArray[np.float32], data_sha256: str, embedder: str
) -> None:
    """Store a data set's embeddings (float16, row order of the data) with its sha256."""
    np.savez_compressed(
        path,
        data_sha256=np.array(data_sha256),
        embedder=np.array(embedder),
        vectors=vectors.astype(np.float16),
    )


def _embed_all(
    embedder: Embedder, texts: Sequence[str], *, progress: bool
) -> npt.NDArray[np.float32]:
    if not progress:
        return embedder.embed_documents(list(texts))
    from tqdm import tqdm

    parts = []
    step = 256
    for start in tqdm(range(0, len(texts), step), desc="embedding", unit="batch", file=sys.stderr):
        parts.append(embedder.embed_documents(list(texts[start : start + step])))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dimension), np.float32)


class Router:
    """Route crew messages to one of ``LABELS`` (load once, then < 20 ms a message)."""

    def __init__(
        self,
        coef: FloatArray,
        intercept: FloatArray,
        labels: Sequence[str],
        embedder: Embedder,
    ) -> None:
        self.coef = coef
        self.intercept = intercept
        self.labels = tuple(labels)
        self.embedder = embedder
        self._hashing = _Hashing()

    @classmethod
    def load(
        cls,
        *,
        embedder: Embedder | None = None,
        weights: Path = WEIGHTS_FILE,
        meta: Path = META_FILE,
        data: Path = DATA_FILE,
    ) -> Router:
        """Load the committed weights, checking they were trained on this data and embedder."""
        if not weights.exists() or not meta.exists():
            raise RouterError(
                f"The router has no weights ({weights.name} is missing): {TRAIN_HINT}"
            )
        info = json.loads(meta.read_text())
        sha = file_sha256(data)
        if info.get("data_sha256") != sha:
            raise RouterError(
                f"The router's weights were trained on other data than {data.name} "
                f"(sha256 {str(info.get('data_sha256'))[:12]} vs {sha[:12]}): {TRAIN_HINT}"
            )
        emb = embedder or default_embedder()
        if info.get("embedder") != emb.name:
            raise RouterError(
                f"The router's weights were trained with the embedder {info.get('embedder')}, "
                f"not {emb.name}: {TRAIN_HINT}"
            )
        with np.load(weights) as arrays:
            coef = arrays["coef"].astype(np.float64)
            intercept = arrays["intercept"].astype(np.float64)
        return cls(coef, intercept, info["labels"], emb)

    def scores(
        self, texts: Sequence[str], embedded: npt.NDArray[np.float32] | None = None
    ) -> FloatArray:
        """Return the label probabilities of each text, shape (len(texts), len(labels)).

        ``embedded`` passes the texts' embeddings when they are already at hand.
        """
        if not texts:
            return np.zeros((0, len(self.labels)))
        if embedded is None and len(texts) == 1:
            # one thread: steadier and as fast for one short text on a busy CPU
            with embedding_thread_budget(lambda: 1):
                embedded = self.embedder.embed_documents([texts[0]])
        elif embedded is None:
            embedded = self.embedder.embed_documents(list(texts))
        x = _features(embedded, self._hashing.transform(texts))
        logits = np.asarray(x @ self.coef.T) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        probs: FloatArray = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return probs

    def decide(self, text: str, probs: FloatArray) -> int:
        """Return the index of a text's label: the most probable, unless it asks.

        A write (a report or a change) stands when it outweighs the three question routes
        together (by ``ASKED_MARGIN`` when the message carries an interrogative cue), or when
        it is at least ``WRITE_UNSURE`` likely and the message carries no cue. "ME1 smoking at
        start is that normal" split between a report and a question, or "stbd main eng rpm"
        barely a third likely a report, is answered, not proposed: a question filed as a fault
        costs the crew more than a report answered, which they can still file.
        """
        best = int(np.argmax(probs))
        if self.labels[best] not in WRITE_LABELS:
            return best
        cued = any(interrogative_cues(text))
        if float(probs[best]) >= WRITE_UNSURE and not cued:
            return best
        asks = [i for i, lab in enumerate(self.labels) if lab in QUESTION_LABELS]
        if float(probs[asks].sum()) + (ASKED_MARGIN if cued else 0.0) < float(probs[best]):
            return best
        return max(asks, key=lambda i: float(probs[i]))

    def route(self, text: str) -> Route:
        """Route one message."""
        probs = self.scores([text or " "])[0]
        best = self.decide(text, probs)
        return Route(
            self.labels[best],
            float(probs[best]),
            {lab: round(float(p), 4) for lab, p in zip(self.labels, probs, strict=True)},
        )

    def labels_for(
        self, texts: Sequence[str], embedded: npt.NDArray[np.float32] | None = None
    ) -> list[str]:
        """Return the label of each text (as ``decide`` settles it)."""
        probs = self.scores(texts, embedded)
        return [self.labels[self.decide(t, p)] for t, p in zip(texts, probs, strict=True)]


def train(
    *,
    data: Path = DATA_FILE,
    weights: Path = WEIGHTS_FILE,
    meta: Path = META_FILE,
    embedder: Embedder | None = None,
    progress: bool = True,
    cache: Path | None = None,
    vectors: Path | None = None,
    re_embed: bool = False,
) -> dict[str, Any]:
    """Train on the data (held-out slice excluded), write weights and metadata, return figures.

    The set's embeddings come from ``vectors`` (default: ``utterances.vectors.npz`` for the
    repository's data) when it matches the data and embedder; otherwise, or with
    ``re_embed``, they are computed and written there. ``cache`` keeps embeddings between
    runs while the data is being written (a file of its own).
    """
    from sklearn.linear_model import LogisticRegression

    def say(msg: str) -> None:
        if progress:
            print(msg, file=sys.stderr, flush=True)

    rows = load_utterances(data)
    train_rows = [r for r in rows if not r.held_out]
    held = [r for r in rows if r.held_out]
    say(f"{len(rows)} utterances: {len(train_rows)} to train on, {len(held)} held out")
    say("loading the embedder")
    emb = embedder or default_embedder()
    started = time.perf_counter()
    texts = [r.text for r in rows]
    sha = file_sha256(data)
    vectors = vectors or (VECTORS_FILE if data == DATA_FILE else None)
    embedded = None if re_embed or vectors is None else read_vectors(vectors, sha, emb.name)
    if embedded is not None and vectors is not None:
        say(f"embeddings from {vectors.name} (`--re-embed` recomputes them)")
    else:
        # stored as float16: train on exactly what a later run will read back
        embedded = embed_texts(emb, texts, progress=progress, cache=cache)
        embedded = embedded.astype(np.float16).astype(np.float32)
        if vectors is not None:
            write_vectors(vectors, embedded, sha, emb.name)
            say(f"wrote the set's embeddings to {vectors.name}")
    hashed = _Hashing().transform(texts)
    x = _features(embedded, hashed)
    y = np.array([LABELS.index(r.label) for r in rows])
    mask = np.array([not r.held_out for r in rows])
    say("fitting the classifier")
    clf = LogisticRegression(C=C, max_iter=3000, random_state=SEED, class_weight="balanced")
    clf.fit(x[mask], y[mask])
    coef = np.zeros((len(LABELS), x.shape[1]))
    intercept = np.zeros(len(LABELS))
    coef[clf.classes_] = clf.coef_
    intercept[clf.classes_] = clf.intercept_
    intercept[[i for i in range(len(LABELS)) if i not in set(clf.classes_)]] = -1e9
    router = Router(coef.astype(np.float32).astype(np.float64), intercept, LABELS, emb)
    predicted = np.argmax(np.asarray(x @ router.coef.T) + router.intercept, axis=1)
    held_acc = float((predicted[~mask] == y[~mask]).mean()) if (~mask).any() else float("nan")
    train_acc = float((predicted[mask] == y[mask]).mean())
    figures: dict[str, Any] = {
        "labels": list(LABELS),
        "data_sha256": sha,
        "embedder": emb.name,
        "seed": SEED,
        "C": C,
        "hash_features": HASH_FEATURES,
        "n": len(rows),
        "n_train": len(train_rows),
        "n_held_out": len(held),
        "counts": dict(sorted(Counter(r.label for r in rows).items())),
        "train_accuracy": round(train_acc, 4),
        "held_out_accuracy": round(held_acc, 4),
    }
    if DEV_FILE.exists() and data == DATA_FILE:
        dev = load_utterances(DEV_FILE)
        got = router.labels_for([d.text for d in dev])
        figures["dev_accuracy"] = round(
            sum(g == d.label for g, d in zip(got, dev, strict=True)) / len(dev), 4
        )
        figures["n_dev"] = len(dev)
    np.savez_compressed(
        weights, coef=coef.astype(np.float32), intercept=intercept.astype(np.float32)
    )
    meta.write_text(json.dumps(figures, indent=2) + "\n")
    say(f"trained in {time.perf_counter() - started:.1f} s; wrote {weights.name}, {meta.name}")
    return figures


# Intent kinds the rules produce that decide a message's kind themselves; any other kind
# (readings, lists, stock, plans, running hours, statistics...) refines a state or history
# question and is kept when the router says so.
_COARSE_KINDS = frozenset(
    {
        "refuse",
        "smalltalk",
        "update_work_order",
        "create_work_order",
        "history",
        "answer",
        "report_fault",
        "unknown",
    }
)
_WRITE_KINDS = frozenset({"report_fault", "create_work_order"})
UNSURE = 0.5
TIE_REPORT = 0.3
QUESTION_OVER_REPORT = 0.7
"""Below this confidence in a report, a question the rules read (a question word or mark, a
spec asked for, stock, a plan) is answered: a question filed as a fault costs the crew more
than a report answered, which they can still file."""


def intent_for_route(
    intent: Intent,
    label: str,
    fallback: str | None = None,
    confidence: float = 1.0,
    report_score: float = 0.0,
) -> Intent:
    """Combine the rules' intent (exact things: ids, slots) with the router's label.

    The router decides question versus report versus refusal; the rules keep manipulation,
    record numbers and the fine kind of a state or history question. ``fallback`` is the
    best question label of a follow-up ("and its running hours?"), used when nothing is
    waiting for an answer. When the router
    is unsure (``confidence`` under one half), the rules break the tie: an explicit
    work-order request, or a report where it guessed a follow-up with nothing waiting, is
    filed; a question the rules read where it guessed a report with a confidence under
    ``QUESTION_OVER_REPORT`` is answered, not filed. A
    report the rules read, where the router guessed a bare answer ("port prop pitch
    hunting") but gives ``report_score`` at least 0.15, is filed too.
    """
    kind = intent.kind
    if (kind == "refuse" and intent.reason == "manipulation") or kind == "update_work_order":
        return intent
    # a new work order asked in so many words ("create a work order to megger BT2") is no
    # change to an existing record, whatever the router weighs between the two writes
    if kind == "create_work_order" and label == "record_change":
        return intent
    if confidence < UNSURE and (
        (kind == "create_work_order" and label in QUESTION_LABELS)
        or (kind in _WRITE_KINDS and label in ("followup", "clarification_answer"))
    ):
        return intent
    # unsure between a question and a report that the rules read ('stbd CPP pitch indication
    # off 4% vs command'): a report that scores at least TIE_REPORT is filed
    if (
        label == "document_question"
        and confidence < UNSURE
        and kind in _WRITE_KINDS
        and report_score >= TIE_REPORT
    ):
        return intent
    # "port prop pitch hunting" read as a bare answer, with no question waiting for one
    if label == "clarification_answer" and kind in _WRITE_KINDS and report_score >= 0.15:
        return intent
    if label in ("followup", "clarification_answer"):
        if kind not in _COARSE_KINDS:
            return intent
        if fallback is None or label == "clarification_answer":  # a bare name asks nothing
            return intent if kind not in _WRITE_KINDS and kind != "refuse" else Intent("unknown")
        label = fallback
    if label == "report":
        if kind in _WRITE_KINDS:
            return intent
        # not sure, and the rules read a question: answer it rather than file it
        if confidence < QUESTION_OVER_REPORT and kind not in ("unknown", "smalltalk", "refuse"):
            return intent
        return Intent("report_fault")
    if label == "state_question":
        if kind == "answer" and confidence < UNSURE:  # unsure: a setting, not a reading
            return intent
        return intent if kind not in _COARSE_KINDS else Intent("equipment_health")
    if label == "history_question":
        return intent if kind not in _COARSE_KINDS else Intent("history")
    if label == "record_change":  # a record named by description, not number: show the open ones
        return Intent("list_open")
    if label == "small_talk":
        return Intent("smalltalk")
    # document_question, or refuse overruled by a relevant passage in the knowledge base
    return intent if kind == "answer" else Intent("answer")


def question_fallback(res: Route) -> str | None:
    """Return the best question label of a short follow-up when it clearly asks something."""
    ranked = sorted(QUESTION_LABELS, key=lambda lab: res.scores.get(lab, 0.0), reverse=True)
    best = ranked[0]
    return best if res.scores.get(best, 0.0) >= 0.15 else None


_LOCK = threading.Lock()
_ROUTER: Router | None = None


def get_router() -> Router:
    """Return the shared router, loading it on first use."""
    global _ROUTER
    with _LOCK:
        if _ROUTER is None:
            _ROUTER = Router.load()
        return _ROUTER


def route(text: str) -> Route:
    """Route one message with the shared router (loaded lazily)."""
    return get_router().route(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: train, or route texts."""
    parser = argparse.ArgumentParser(prog="python -m assistant.router", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train from assistant/data/utterances.jsonl and save weights")
    t.add_argument("--cache", type=Path, help="a file keeping embeddings between runs")
    t.add_argument(
        "--re-embed",
        action="store_true",
        help=f"recompute the set's embeddings instead of reading {VECTORS_FILE.name}",
    )
    r = sub.add_parser("route", help="print the route of each text")
    r.add_argument("texts", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "train":
        figures = train(cache=args.cache, re_embed=args.re_embed)
        print(json.dumps({k: v for k, v in figures.items() if k != "labels"}))
        return 0
    router = get_router()
    for text in args.texts:
        started = time.perf_counter()
        res = router.route(text)
        ms = (time.perf_counter() - started) * 1000
        print(f"{res.label:22s} {res.confidence:.2f} {ms:5.1f} ms  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
