"""Router evaluation on text nobody here wrote (issue 13, item 7).

    python -m eval.router [--maintnorm ../shared/datasets/maintnorm]
                          [--fmea ../shared/datasets/fmea_rag_qa]

Routes the raw side of the MaintNorm test texts (real work-order texts: each should go to a
write, ``report`` or ``record_change``) and the 40 FMEA competency questions (each should go
to a question label, none refused). The router is never trained or tuned on these texts.
Prints the label counts of each set and, as the last line, one JSON object:
``{"maintnorm_write_rate", "fmea_question_rate", "fmea_refused"}``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

from assistant.router import QUESTION_LABELS, WRITE_LABELS, Router

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


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


def main(argv: list[str] | None = None) -> int:
    """Route both sets and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m eval.router", description=__doc__)
    parser.add_argument("--maintnorm", type=Path, default=DATASETS / "maintnorm")
    parser.add_argument("--fmea", type=Path, default=DATASETS / "fmea_rag_qa")
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
    figures = {
        "maintnorm_write_rate": round(
            sum(lab in WRITE_LABELS for lab in work_labels) / max(1, len(works)), 4
        ),
        "fmea_question_rate": round(
            sum(lab in QUESTION_LABELS for lab in question_labels) / max(1, len(questions)), 4
        ),
        "fmea_refused": sum(lab == "refuse" for lab in question_labels),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
