"""Recognizer accuracy, speaker-disjoint throughout.

    python bench/recognizer_accuracy.py --json out/bench/recognizer_accuracy.json [--parts cv,shipped,cross] [--folds 6] [--members M]
        [--model '{"utterance_stats": 32}'] [--train '{"mixup": 0.2}'] [--extra-train emodb] [--fusion [--prosodic '{"hidden_units": 0}']] [--save-proba F.npz] [--first-seed S]

Parts:
- ``cv``: the ``ravdess8`` recipe, K-fold over RAVDESS actors 01-18 (each actor tested once) -> UAR mean ± sd.
  With ``--fusion``, each fold also fits a ``ProsodicRecognizer`` (the shipped fused models'
  member, ``recipes.PROSODIC_MEMBER``; its noisy copies are drawn once for all actors) on the
  same training actors and scores it alone and fused with the CRNN (``fusion``: mean of log-probabilities, equal weights,
  the rule fixed before the first run; ``fusion_mean``: mean of probabilities); ``--prosodic``
  overrides some of its options (the JSON records the member's). ``--save-proba``
  keeps every test utterance's CRNN probabilities, so ``bench/fusion_cv.py`` can fuse other
  prosodic members with the same CRNNs.
- ``shipped``: the shipped ``ravdess8`` and ``core4`` models on their own held-out speakers.
- ``cross``: the ``core4`` recipe trained on RAVDESS only (actors 01-18), tested on all of EMO-DB
  (other corpus, language and speakers); ``--fusion`` as in ``cv``. With ``--reuse-cross-model``
  the CRNN that an earlier run saved at ``out/bench/ravdess_only_core4`` is loaded instead of
  trained (the JSON names it), so a new prosodic member can be fused with the same CRNN.
  ``--model`` / ``--train`` make it a variant of the recipe, saved at ``..._variant``.

Every part also reports ``uar_speaker_adapted``: the same predictions after
``speaker_prior_correction`` (transductive: each test speaker's other, unlabeled utterances are
used to remove that speaker's bias; the plain ``uar`` is the standard figure).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import _common
import numpy as np
from recipes import EMODB, PROSODIC_MEMBER, RAVDESS, RECIPES, make_recognizer

CROSS_MODEL = _common.ROOT / "out" / "bench" / "ravdess_only_core4"


def _summary(rep):
    return {k: rep[k] for k in ("uar", "wa", "macro_f1", "n")}


def _adapted_uar(y, proba, classes, speakers) -> float:
    from ser_synth.recognition.metrics import evaluation_report, speaker_prior_correction

    return evaluation_report(y, speaker_prior_correction(proba, speakers), classes, speakers)["uar"]


def _speed(w: np.ndarray, factor: float) -> np.ndarray:
    """``w`` resampled by ``factor`` with linear interpolation (``ser_synth.data.augment.change_speed``)."""
    pos = np.arange(max(1, int(len(w) / factor)), dtype=np.float64) * factor
    return np.interp(pos, np.arange(len(w)), w).astype(np.float32)


def _tta_proba(rec, test, proba: np.ndarray, speeds: list[float]) -> np.ndarray:
    """Mean of ``rec``'s probabilities over speed-perturbed copies of ``test`` (``proba``: at speed 1)."""
    waves = rec._waveforms(test)
    return np.mean([proba if f == 1.0 else rec.predict_proba([_speed(w, f) for w in waves]) for f in speeds], axis=0)


def part_cv(folds: int, members: int | None = None, progress=None, only: list[int] | None = None,
            model_overrides: dict | None = None, train_overrides: dict | None = None,
            extra_train: list[str] | None = None, fusion: bool = False, save_proba: str | None = None,
            member_options: dict = PROSODIC_MEMBER, first_seed: int = 0, tta: list[float] | None = None) -> dict:
    """K-fold CV of the recipe. Each fold trains seeds S..S+M-1 as single models (S =
    ``first_seed``, M = the recipe's ``ensemble`` unless given) and scores each alone and their
    mean probabilities: the mean of seeds 0..M-1 is the recipe's own figure (an ``ensemble=M``
    recognizer trains exactly these; a run from S = 1 adds members to a run that had seed 0).
    ``model_overrides`` / ``train_overrides`` change the recipe's ``ModelConfig`` / ``TrainConfig``
    fields (to try an architecture or a training change). ``extra_train`` corpus specs (utterances
    of the recipe's classes) join every fold's training set; test sets stay RAVDESS actors.
    ``save_proba``: an ``.npz`` file that keeps, after each fold, every test utterance's file name,
    fold and CRNN probabilities per member (columns: ``classes``), so other fusion members can be
    scored against the same CRNNs without training them again (``bench/fusion_cv.py``).
    ``member_options``: the prosodic member's options with ``fusion``. ``tta``: speed factors
    (1.0 is the clip itself); each member is also scored by the mean of its probabilities over
    those speed-perturbed copies of every test clip (test-time augmentation, the same models)."""
    from ser_synth.data import grouped_kfold, read_corpora
    from ser_synth.recognition.metrics import evaluation_report

    recipe = RECIPES["ravdess8"]
    members = members or recipe["train"].get("ensemble", 1)
    records = read_corpora(recipe["data"], emotions=recipe["emotions"])
    classes = sorted({r.emotion for r in records})
    extra = read_corpora(extra_train, emotions=classes) if extra_train else []
    if fusion:
        from ser_synth.recognition import ProsodicRecognizer
        from ser_synth.recognition.fusion import in_class_order

        member = ProsodicRecognizer(**member_options, verbose=1)
        speech, copies = member.speech_and_copies(records)
        paths = [r.path for r in records]
        features = dict(zip(paths, member.statistics(speech)))
        # the training copies (recipes.PROSODIC_MEMBER's augment options), drawn once for every utterance; each fold trains on its own
        copies = [dict(zip(paths, member.statistics(c))) for c in copies]
    out, kept = [], {"path": [], "fold": [], "proba": []}
    for i, split in enumerate(grouped_kfold(records, folds, seed=0)):
        if only and i + 1 not in only:
            continue
        t = time.time()
        test = list(split.test)
        y, spk = [r.emotion for r in test], [r.speaker for r in test]
        probs, single, probs_tta = [], [], []
        for seed in range(first_seed, first_seed + members):
            rec = make_recognizer("ravdess8", seed=seed, model_overrides=model_overrides,
                                   **{**(train_overrides or {}), "ensemble": 1}).fit(list(split.train) + extra, classes=classes)
            probs.append(rec.predict_proba(test))
            single.append(evaluation_report(y, probs[-1], classes, spk)["uar"])
            print(f"fold {i + 1}/{folds} {split.test_speakers} seed {seed}: UAR {single[-1]:.3f}", flush=True)
            if tta:
                probs_tta.append(_tta_proba(rec, test, probs[-1], tta))
                print(f"fold {i + 1}/{folds} seed {seed}: UAR with TTA {evaluation_report(y, probs_tta[-1], classes, spk)['uar']:.3f}", flush=True)
        fold = {**_summary(evaluation_report(y, probs[0], classes, spk)), "test_speakers": split.test_speakers,
                "uar_speaker_adapted": _adapted_uar(y, probs[0], classes, spk), "seconds": time.time() - t}
        if tta:
            fold["uar_tta"] = evaluation_report(y, np.mean(probs_tta, axis=0), classes, spk)["uar"]
            fold["member_uar_tta"] = [evaluation_report(y, p, classes, spk)["uar"] for p in probs_tta]
        if fusion:
            train_f = [features[r.path] for r in split.train] + [c[r.path] for c in copies for r in split.train]
            prosodic = ProsodicRecognizer(**member_options).fit_features(train_f, [r.emotion for r in split.train] * (1 + len(copies)))
            p_pros = in_class_order(prosodic.proba_from_features([features[r.path] for r in test]), prosodic.classes_, classes)
            fold.update(_fusion_uars(np.mean(probs, axis=0), p_pros, classes, test, f"fold {i + 1}/{folds}: "))
        if members > 1:
            fold["member_uar"] = single
            fold["ensemble_uar"] = [evaluation_report(y, np.mean(probs[:m], axis=0), classes, spk)["uar"] for m in range(1, members + 1)]
            print(f"fold {i + 1}/{folds}: ensemble UAR by size {np.round(fold['ensemble_uar'], 3).tolist()}", flush=True)
        out.append(fold)
        if save_proba:
            kept["path"] += [Path(r.path).name for r in test]  # RAVDESS names are unique (they hold the actor)
            kept["fold"] += [i + 1] * len(test)
            kept["proba"].append(np.stack(probs, axis=1))
            if tta:
                kept.setdefault("proba_tta", []).append(np.stack(probs_tta, axis=1))
            _common.write_npz(save_proba, path=np.array(kept["path"]), fold=np.array(kept["fold"]),
                              proba=np.concatenate(kept["proba"]), classes=np.array(classes),
                              **({"proba_tta": np.concatenate(kept["proba_tta"])} if tta else {}))
        if progress is not None:
            progress({"recipe": "ravdess8", "partial": f"{len(out)} of {folds} folds", "folds": out,
                      "model_overrides": model_overrides or {}, "train_overrides": train_overrides or {},
                      "extra_train": [f"{len(extra)} utterances of {extra_train}"] if extra else []})
    uars = [f["uar"] for f in out]
    res = {"recipe": "ravdess8", **({"partial": f"{len(out)} of {folds} folds"} if len(out) < folds else {}), "folds": out, "uar_mean": float(np.mean(uars)), "uar_sd": float(np.std(uars, ddof=1)),
           "wa_mean": float(np.mean([f["wa"] for f in out])),
           "uar_speaker_adapted_mean": float(np.mean([f["uar_speaker_adapted"] for f in out])), "speaker_disjoint": True, "actors": "01-18",
           "model_overrides": model_overrides or {}, "train_overrides": train_overrides or {},
           "extra_train": [f"{len(extra)} utterances of {extra_train}"] if extra else [],
           "seeds": list(range(first_seed, first_seed + members))}
    if tta:
        v = [f["uar_tta"] for f in out]
        res["tta_speeds"], res["uar_tta_mean"], res["uar_tta_sd"] = list(tta), float(np.mean(v)), float(np.std(v, ddof=1))
        res["tta_rule"] = "mean of probabilities over the speed-perturbed copies (linear-interpolation resampling, as in training)"
    if fusion:
        for name in ("prosodic", "fusion", "fusion_mean"):
            v = [f[f"{name}_uar"] for f in out]
            res[f"{name}_uar_mean"], res[f"{name}_uar_sd"] = float(np.mean(v)), float(np.std(v, ddof=1))
        res["fusion_rule"] = "CRNN (mean over members) and prosodic log-probabilities averaged with equal weights"
        res["prosodic_member"] = member_options
    if members > 1:
        ens = np.array([f["ensemble_uar"] for f in out])
        res["members"] = members
        res["single_member_uar_mean"] = float(np.mean([f["member_uar"] for f in out]))
        res["ensemble_uar_mean_by_size"] = ens.mean(axis=0).tolist()
        res["ensemble_uar_sd_by_size"] = ens.std(axis=0, ddof=1).tolist()
    return res


def part_shipped() -> dict:
    from ser_synth.data import holdout_split, read_corpora
    from ser_synth.recognition import EmotionRecognizer

    res = {}
    for name, recipe in RECIPES.items():
        rec = EmotionRecognizer.pretrained(name)
        split = holdout_split(read_corpora(recipe["data"], emotions=recipe["emotions"]), recipe["holdout"])
        rep = rec.evaluate(list(split.test))
        adapted = rec.evaluate(list(split.test), speaker_adapt=True)["uar"]
        res[name] = {**_summary(rep), "uar_speaker_adapted": adapted, "held_out_speakers": split.test_speakers,
                     "speaker_disjoint": rep["speaker_disjoint"]}
        print(f"shipped {name} on {split.test_speakers}: UAR {rep['uar']:.3f} (speaker-adapted {adapted:.3f})", flush=True)
    return res


def part_cross(fusion: bool = False, reuse: bool = False, member_options: dict = PROSODIC_MEMBER,
               model_overrides: dict | None = None, train_overrides: dict | None = None) -> dict:
    from ser_synth.data import read_corpora
    from ser_synth.recognition import EmotionRecognizer

    # a variant's CRNN is kept beside the recipe's, not over it (bench/transfer_learning.py reuses that one)
    variant = bool(model_overrides or train_overrides)
    saved = CROSS_MODEL.with_name(CROSS_MODEL.name + "_variant") if variant else CROSS_MODEL
    recipe = RECIPES["core4"]
    train = read_corpora([RAVDESS], emotions=recipe["emotions"])
    test = read_corpora([EMODB], emotions=recipe["emotions"])
    if reuse:
        rec = EmotionRecognizer.load(saved)
    else:
        rec = make_recognizer("core4", model_overrides=model_overrides, **(train_overrides or {})).fit(train)
        rec.save(saved)  # the recipe's is reused as the source model by bench/transfer_learning.py
    rep = rec.evaluate(test)
    adapted = rec.evaluate(test, speaker_adapt=True)["uar"]
    print(f"RAVDESS -> EMO-DB core4: UAR {rep['uar']:.3f} (speaker-adapted {adapted:.3f})", flush=True)
    res = {**_summary(rep), "uar_speaker_adapted": adapted, "confusion": rep["confusion"], "labels": rep["labels"], "train": "RAVDESS actors 01-18 (core4 emotions)",
           "test": "EMO-DB, all 10 speakers (core4 emotions)", "speaker_disjoint": True, "goal_uar": 0.70,
           "model_overrides": model_overrides or {}, "train_overrides": train_overrides or {},
           **({"crnn": f"loaded from {saved.relative_to(_common.ROOT)}, trained by an earlier run of this part"} if reuse else {})}
    if fusion:
        from ser_synth.recognition import ProsodicRecognizer
        from ser_synth.recognition.fusion import in_class_order

        classes = rec.classes_.tolist()
        prosodic = ProsodicRecognizer(**member_options, verbose=1).fit(train)
        p_pros = in_class_order(prosodic.predict_proba(test), prosodic.classes_, classes)
        res.update(_fusion_uars(rec.predict_proba(test), p_pros, classes, test, "RAVDESS -> EMO-DB core4: "), prosodic_member=member_options)
    return res


def _fusion_uars(p_crnn: np.ndarray, p_pros: np.ndarray, classes: list[str], test, label: str = "") -> dict:
    """UAR on ``test`` of the prosodic classifier alone and fused with the CRNN (both ``[n,
    len(classes)]``) by the fixed rule, and by the mean of probabilities: ``{prosodic,fusion,fusion_mean}_uar``."""
    from ser_synth.recognition.fusion import geometric_mean
    from ser_synth.recognition.metrics import evaluation_report

    y, spk = [r.emotion for r in test], [r.speaker for r in test]
    out = {}
    for name, p in {"prosodic": p_pros, "fusion": geometric_mean([p_crnn, p_pros]), "fusion_mean": (p_crnn + p_pros) / 2}.items():
        out[f"{name}_uar"] = evaluation_report(y, p / p.sum(1, keepdims=True), classes, spk)["uar"]
    print(f"{label}prosodic {out['prosodic_uar']:.3f}, fused with the CRNN {out['fusion_uar']:.3f} "
          f"(mean of probabilities {out['fusion_mean_uar']:.3f})", flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--parts", default="cv,shipped,cross")
    ap.add_argument("--folds", type=int, default=6)
    ap.add_argument("--members", type=int, default=None, help="seeds per CV fold, scored alone and as an ensemble (default: the recipe's)")
    ap.add_argument("--model", type=json.loads, default=None, help="JSON object of ModelConfig fields overriding the recipe's (cv, cross)")
    ap.add_argument("--train", type=json.loads, default=None, help="JSON object of TrainConfig fields overriding the recipe's (cv, cross)")
    ap.add_argument("--extra-train", help="comma-separated corpus specs (or 'emodb') added to every CV fold's training set")
    ap.add_argument("--first-seed", type=int, default=0, help="cv: the first member's seed (1: the members a seed-0 run lacks)")
    ap.add_argument("--only-folds", help="comma-separated 1-based folds to run (to split a long CV across runs)")
    ap.add_argument("--fusion", action="store_true", help="cv, cross: also score a prosodic classifier (per fold), alone and fused with the CRNN")
    ap.add_argument("--prosodic", type=json.loads, default=None, help="with --fusion: JSON object of ProsodicRecognizer options "
                                                                          "overriding recipes.PROSODIC_MEMBER's")
    ap.add_argument("--tta", type=lambda v: [float(x) for x in v.split(",")], default=None,
                    help="cv: comma-separated speed factors for test-time augmentation, scored beside the plain figure (e.g. 0.9,1,1.1)")
    ap.add_argument("--save-proba", help="cv: .npz file for every test utterance's CRNN probabilities per member (written after each fold)")
    ap.add_argument("--reuse-cross-model", action="store_true", help=f"cross: load the CRNN an earlier run saved at {CROSS_MODEL} instead of training one")
    args = ap.parse_args()
    _common.require_corpora("recognizer_accuracy")
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    result = {"environment": _common.environment()}
    member = {**PROSODIC_MEMBER, **(args.prosodic or {})}
    for p in parts:
        def progress(partial, p=p):  # a long CV leaves its finished folds behind if stopped
            _common.write({**result, p: partial}, args.json, quiet=True)

        if p == "cv":
            only = [int(x) for x in args.only_folds.split(",")] if args.only_folds else None
            extra = [EMODB if x == "emodb" else x for x in args.extra_train.split(",")] if args.extra_train else None
            result[p] = part_cv(args.folds, args.members, progress, only, args.model, args.train, extra, args.fusion,
                              args.save_proba, member, args.first_seed, args.tta)
        else:
            result[p] = part_shipped() if p == "shipped" else part_cross(args.fusion, args.reuse_cross_model, member, args.model, args.train)
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
