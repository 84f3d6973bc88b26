"""Would richer utterance statistics make a better prosodic member for the fused recognizers?
(An exploration; the package's ``ProsodicRecognizer`` keeps its 60 statistics.)

    python bench/prosodic_features.py [--json out/bench/prosodic_features.json]

Three variants of the prosodic classifier (balanced logistic regression on standardised
utterance statistics):

- ``v1_c0.5``: the package's 60 statistics at its C = 0.5 (the shipped fused models' member);
- ``v1_inner_c``: the same statistics, C picked by a 5-fold speaker-grouped CV inside the
  training speakers (grid ``C_GRID``, balanced accuracy);
- ``extended_inner_c``: 147 more statistics (:func:`extra_features`: pitch percentiles, range and
  movement, voiced-run timing, loudness dynamics, spectral contrast, the gain-free mel envelope,
  MFCC percentiles and delta-delta spread), C picked the same way.

``cv``: each alone, in the 6-fold leave-3-actors-out CV of the ``ravdess8`` recipe on RAVDESS
01-18 (the folds of ``bench/recognizer_accuracy.py --parts cv``). ``held_out``: for each recipe
(``ravdess8``, ``core4``), each fitted on the recipe's training speakers, alone and fused with the
shipped CRNN (mean of log-probabilities, as ``FusionRecognizer``) on its held-out speakers.
Speaker-disjoint throughout.
"""

from __future__ import annotations

import argparse

import _common
import numpy as np
from recipes import EMODB, RAVDESS, RECIPES

C_GRID = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def extra_features(y: np.ndarray, sample_rate: int) -> np.ndarray:
    """147 utterance statistics beyond ``utterance_features`` of one trimmed waveform ``[samples]``
    (hop 10 ms, window 64 ms, the same frames and loud/voiced rule)."""
    import librosa

    from ser_synth.recognition.prosodic import analysis_frames

    y, hop, _, S, rms_db, loud, _, f0, voiced = analysis_frames(y, sample_rate)
    lf0 = np.log2(f0)
    mel = librosa.power_to_db(librosa.feature.melspectrogram(S=S, sr=sample_rate, n_mels=40))
    envelope = mel[:, loud] if loud.sum() > 2 else mel
    envelope = envelope - envelope.mean(0, keepdims=True)  # each frame's shape, not its level
    pitch = [0.0] * 6
    if voiced.sum() >= 5:
        v = np.percentile(lf0[voiced], [5, 50, 95])
        step = np.diff(lf0)[voiced[1:] & voiced[:-1]]
        step = step[np.abs(step) < 0.5]  # octave jumps are tracking errors, not movement
        step = step if len(step) > 2 else np.zeros(3)
        pitch = [*v, v[2] - v[0], np.abs(step).mean(), step.std()]
    edges = np.diff(np.concatenate([[0], voiced.astype(int), [0]]))
    runs = (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)) * hop / sample_rate
    runs = runs if len(runs) else np.zeros(1)
    seconds = len(y) / sample_rate
    timing = [len(runs) / seconds, runs.mean(), runs.std(), seconds]
    step_db = np.diff(rms_db)
    loudness = [np.median(rms_db[loud]) if loud.any() else 0.0, np.abs(step_db).mean(), step_db.std(),
                np.percentile(rms_db, 95) - np.percentile(rms_db, 5)]
    contrast = librosa.feature.spectral_contrast(S=np.sqrt(S), sr=sample_rate, n_bands=6)
    contrast = contrast[:, loud[:contrast.shape[1]]] if loud.sum() > 2 else contrast
    mfcc = librosa.feature.mfcc(S=mel, n_mfcc=13)
    accel = librosa.feature.delta(mfcc, order=2, width=9) if mfcc.shape[1] >= 9 else np.zeros_like(mfcc)
    out = np.concatenate([pitch, loudness, timing, envelope.mean(1), envelope.std(1), contrast.mean(1), contrast.std(1),
                          np.percentile(mfcc, 10, axis=1), np.percentile(mfcc, 90, axis=1), accel.std(1)])
    return np.nan_to_num(out.astype(np.float32))


def fit(F: np.ndarray, y: np.ndarray, speakers: np.ndarray, C: float | None):
    """Standardise + balanced logistic regression; ``C=None`` picks it from ``C_GRID`` by
    speaker-grouped 5-fold CV on ``F`` alone. Returns (model, C)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    make = lambda c: make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=5000))  # noqa: E731
    if C is None:
        scores = [np.mean([balanced_accuracy_score(y[b], make(c).fit(F[a], y[a]).predict(F[b]))
                           for a, b in GroupKFold(5).split(F, y, speakers)]) for c in C_GRID]
        C = C_GRID[int(np.argmax(scores))]
    return make(C).fit(F, y), C


VARIANTS = {"v1_c0.5": ("v1", 0.5), "v1_inner_c": ("v1", None), "extended_inner_c": ("extended", None)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    args = ap.parse_args()
    _common.require_corpora("bench/prosodic_features.py")

    from ser_synth.data import grouped_kfold, holdout_split, read_corpora
    from ser_synth.recognition import EmotionRecognizer, ProsodicRecognizer
    from ser_synth.recognition.fusion import geometric_mean, in_class_order
    from ser_synth.recognition.metrics import evaluation_report
    from ser_synth.recognition.prosodic import utterance_features

    extractor = ProsodicRecognizer(normalize_level=False, verbose=1)  # the shipped member of the time
    rate = extractor.audio_config.sample_rate
    records = read_corpora([RAVDESS]) + read_corpora([EMODB], emotions=RECIPES["core4"]["emotions"])
    v1, extra = {}, {}
    for r, w in zip(records, extractor.waveforms(records)):
        v1[r.path], extra[r.path] = utterance_features(w, rate), extra_features(w, rate)
    table = {"v1": lambda rs: np.stack([v1[r.path] for r in rs]),
             "extended": lambda rs: np.stack([np.concatenate([v1[r.path], extra[r.path]]) for r in rs])}
    result = {"speaker_disjoint": True, "c_grid": list(C_GRID),
              "dims": {name: table[name](records[:1]).shape[1] for name in table}}

    def score(name, train, test, classes, crnn_p=None):
        features, C = VARIANTS[name]
        model, C = fit(table[features](train), np.array([r.emotion for r in train]), np.array([r.speaker for r in train]), C)
        p = in_class_order(model.predict_proba(table[features](test)), model.classes_.astype(str), classes)
        labels, speakers = [r.emotion for r in test], [r.speaker for r in test]
        out = {"C": C, "uar": evaluation_report(labels, p, classes, speakers)["uar"]}
        if crnn_p is not None:
            out["fused_uar"] = evaluation_report(labels, geometric_mean([crnn_p, p]), classes, speakers)["uar"]
        return out

    recipe = RECIPES["ravdess8"]
    ravdess = read_corpora(recipe["data"], emotions=recipe["emotions"])
    classes = sorted({r.emotion for r in ravdess})
    cv = {name: [] for name in VARIANTS}
    for i, split in enumerate(grouped_kfold(ravdess, 6, seed=0)):
        for name in VARIANTS:
            cv[name].append({"test_speakers": split.test_speakers, **score(name, list(split.train), list(split.test), classes)})
            print(f"cv fold {i + 1}/6 {name}: UAR {cv[name][-1]['uar']:.3f} (C {cv[name][-1]['C']})", flush=True)
    result["cv"] = {name: {"uar_mean": float(np.mean([f["uar"] for f in folds])), "uar_sd": float(np.std([f["uar"] for f in folds], ddof=1)),
                           "folds": folds} for name, folds in cv.items()}
    result["held_out"] = {}
    for recipe_name in ("ravdess8", "core4"):
        recipe = RECIPES[recipe_name]
        split = holdout_split(read_corpora(recipe["data"], emotions=recipe["emotions"]), recipe["holdout"])
        crnn = EmotionRecognizer.pretrained(recipe_name)
        classes = crnn.classes_.tolist()
        test = list(split.test)
        p_crnn = crnn.predict_proba(test)
        entry = {"test_speakers": split.test_speakers, "n": len(test),
                 "crnn_uar": evaluation_report([r.emotion for r in test], p_crnn, classes)["uar"]}
        for name in VARIANTS:
            entry[name] = score(name, list(split.train), test, classes, p_crnn)
            print(f"{recipe_name} held out {name}: prosodic {entry[name]['uar']:.3f}, fused {entry[name]['fused_uar']:.3f} "
                  f"(CRNN {entry['crnn_uar']:.3f})", flush=True)
        result["held_out"][recipe_name] = entry
    result["environment"] = _common.environment()
    _common.write(result, args.json, quiet=True)
    for name, c in result["cv"].items():
        print(f"cv {name}: UAR {c['uar_mean']:.3f} ± {c['uar_sd']:.3f}")


if __name__ == "__main__":
    main()
