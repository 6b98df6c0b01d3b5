"""Router evaluation on text nobody here wrote (issue 13, item 7).

    python -m eval.router [--maintnorm ../shared/datasets/maintnorm]
                          [--fmea ../shared/datasets/fmea_rag_qa]

Routes the raw side of the MaintNorm test texts (real work-order texts: each should go to a
write, ``report`` or ``record_change``) and the 40 FMEA competency questions (each should go
to a question label, none refused). The router is never trained or tuned on these texts.
It also routes labelled probe sets (``--probe FILE ...``; default ``router_probe.jsonl``, crew
phone messages written for this check, and ``router_probe_fresh.jsonl``, written after the
first fix and never tuned on; one ``{"text", "label"}`` a line in ``eval/cases``), prints each
miss, and scores the share given its label and the number of questions whose decided intent
(rules and router combined, as the offline engine does) is a write.
Prints the label counts of each set and, as the last line, one JSON object:
``{"maintnorm_write_rate", "fmea_question_rate", "fmea_refused"}`` plus, for each probe set
named ``router_NAME.jsonl``, ``"NAME_route_rate", "NAME_questions_written"``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

from assistant.intents import recognise
from assistant.router import (
    QUESTION_LABELS,
    WRITE_LABELS,
    Router,
    intent_for_route,
    load_utterances,
    question_fallback,
)

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
PROBES = [ROOT / "eval" / "cases" / f"router_{n}.jsonl" for n in ("probe", "probe_fresh")]
WRITE_INTENTS = frozenset({"report_fault", "create_work_order", "update_work_order"})


def maintnorm_texts(folder: Path) -> list[str]:
    """Return the raw texts of the combined test split (first column, blank line between texts)."""
    path = folder / "combined" / "test.norm.txt"
    if not path.exists():
        raise SystemExit(f"no MaintNorm test split at {path}: pass --maintnorm DIR")
    texts: list[str] = []
    tokens: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if tokens:
                texts.append(" ".join(tokens))
                tokens = []
            continue
        tokens.append(line.split("\t", 1)[0])
    if tokens:
        texts.append(" ".join(tokens))
    return texts


def fmea_questions(folder: Path) -> list[str]:
    """Return the competency questions of the FMEA set."""
    path = folder / "fmea_qa_model.csv"
    if not path.exists():
        raise SystemExit(f"no FMEA questions at {path}: pass --fmea DIR")
    with path.open(encoding="utf-8", newline="") as f:
        return [row["Question"].strip() for row in csv.DictReader(f) if row.get("Question")]


def probe(router: Router, path: Path) -> dict[str, float | int]:
    """Route a labelled probe set, print its misses, return its two figures by its name."""
    name = path.stem.removeprefix("router_")
    rows = load_utterances(path)
    right = 0
    written = 0
    for row in rows:
        res = router.route(row.text)
        decided = intent_for_route(
            recognise(row.text),
            res.label,
            question_fallback(res),
            res.confidence,
            res.scores.get("report", 0.0),
        ).kind
        right += res.label == row.label
        wrote = row.label in QUESTION_LABELS and decided in WRITE_INTENTS
        written += wrote
        if res.label != row.label or wrote:
            flag = "  WRITES A QUESTION" if wrote else ""
            print(
                f"{name} miss: {row.label:>20s} -> {res.label:20s} {res.confidence:.2f} "
                f"({decided}) {row.text!r}{flag}"
            )
    print(f"{name}: {right}/{len(rows)} routed as labelled, {written} questions decided as writes")
    return {
        f"{name}_route_rate": round(right / max(1, len(rows)), 4),
        f"{name}_questions_written": written,
    }


def main(argv: list[str] | None = None) -> int:
    """Route both sets and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m eval.router", description=__doc__)
    parser.add_argument("--maintnorm", type=Path, default=DATASETS / "maintnorm")
    parser.add_argument("--fmea", type=Path, default=DATASETS / "fmea_rag_qa")
    parser.add_argument("--probe", type=Path, nargs="*", default=PROBES, help="labelled probe sets")
    args = parser.parse_args(argv)
    works = maintnorm_texts(args.maintnorm)
    questions = fmea_questions(args.fmea)
    router = Router.load()
    started = time.perf_counter()
    work_labels = router.labels_for(works)
    question_labels = router.labels_for(questions)
    ms = (time.perf_counter() - started) * 1000 / max(1, len(works) + len(questions))
    print(f"MaintNorm test: {len(works)} texts: {dict(Counter(work_labels).most_common())}")
    print(f"FMEA questions: {len(questions)}: {dict(Counter(question_labels).most_common())}")
    print(f"{ms:.1f} ms a text (batched)", file=sys.stderr)
    figures: dict[str, float | int] = {
        "maintnorm_write_rate": round(
            sum(lab in WRITE_LABELS for lab in work_labels) / max(1, len(works)), 4
        ),
        "fmea_question_rate": round(
            sum(lab in QUESTION_LABELS for lab in question_labels) / max(1, len(questions)), 4
        ),
        "fmea_refused": sum(lab == "refuse" for lab in question_labels),
    }
    for path in args.probe:
        figures.update(probe(router, path))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
