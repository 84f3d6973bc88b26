"""Does a ProsodicRecognizer decide the same for a file and for the same audio as an array?

    python bench/prosodic_trim.py [--json out/bench/prosodic_trim.json]

A file is decoded and trimmed by the tf.data pipeline (``trim_silence_tf``: 1024-sample frames,
hop 256); an array is now trimmed by the same function (up to commit 35c3e63 it went through
``librosa.effects.trim``, 2048 / 512, and only 84-93% of the decisions agreed). The prosodic
statistics (pause share, loudness percentiles, onset rate per second) read the edges, so the
trim is where the two could differ. Scored on RAVDESS actors 17 and 18 (every utterance; a
consistency check, not an accuracy figure: ``judge4`` trained on these actors).
"""

from __future__ import annotations

import argparse

import _common
import numpy as np
from recipes import RAVDESS


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    args = ap.parse_args()
    _common.require_corpora("prosodic_trim")

    from ser_synth.data import read_corpora
    from ser_synth.data.loading import load_waveforms
    from ser_synth.recognition import load_recognizer

    records = [r for r in read_corpora([RAVDESS]) if r.speaker in ("ravdess/17", "ravdess/18")]
    result = {"environment": _common.environment(), "utterances": "RAVDESS actors 17, 18", "n": len(records)}
    for name in ("judge4", "judge4v", "ravdess8_fused"):
        rec = load_recognizer(name)
        prosodic = rec.members[1] if name.endswith("_fused") else rec
        classes = set(prosodic.classes_.tolist())
        recs = [r for r in records if r.emotion in classes]
        p_file = prosodic.predict_proba(recs)
        p_array = prosodic.predict_proba(load_waveforms([r.path for r in recs], prosodic.audio_config, trim_db=None, verbose=0))
        result[name] = {"n": len(recs), "same_decisions": float(np.mean(p_file.argmax(1) == p_array.argmax(1))),
                        "max_abs_probability_difference": float(np.abs(p_file - p_array).max())}
        print(f"{name}: {result[name]['same_decisions']:.1%} same decisions for a file and its array (n = {len(recs)})", flush=True)
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
