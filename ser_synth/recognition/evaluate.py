"""Evaluation helpers beyond one report: per-corpus breakdowns."""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from ser_synth.data.records import Utterance


def per_corpus_reports(recognizer, records: Sequence[Utterance]) -> dict:
    """One :meth:`EmotionRecognizer.evaluate` report per corpus present in ``records`` (if > 1 corpus)."""
    by = defaultdict(list)
    for r in records:
        by[r.corpus].append(r)
    if len(by) < 2:
        return {}
    return {c: recognizer.evaluate(rs) for c, rs in sorted(by.items())}
