"""Rendering speed of the embedded synthetic corpus (espeak-ng + prosody rules), from scratch.

    python bench/synthetic_corpus.py --json out/bench/synthetic_corpus.json [--sentences 60]

Renders the default corpus config (every sentence in every emotion and intensity) into an
empty temporary cache and reports utterances, seconds of audio, wall time and throughput.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import _common


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--sentences", type=int, default=60)
    args = ap.parse_args()

    import soundfile as sf

    from ser_synth.data.synthetic import SyntheticCorpusConfig, synthetic_corpus

    cfg = SyntheticCorpusConfig(n_sentences=args.sentences)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        recs = synthetic_corpus(cfg, cache_dir=tmp, verbose=1)
        wall = time.perf_counter() - t
        audio = sum(sf.info(r.path).duration for r in recs)
    res = {"config": cfg.to_dict(), "utterances": len(recs), "audio_seconds": audio, "wall_seconds": wall,
           "utterances_per_second": len(recs) / wall, "realtime_factor": wall / audio,
           "speakers": len({r.speaker for r in recs}), "environment": _common.environment()}
    _common.write(res, args.json)


if __name__ == "__main__":
    main()
