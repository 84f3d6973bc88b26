"""Late fusion of a shipped CRNN (``ravdess8`` or ``core4``) with a prosodic classifier, on its held-out speakers.

    python bench/fusion.py [--recipe ravdess8|core4] [--json out/bench/fusion.json]
        [--ship [--cv out/bench/cv_fusion.json [more parts of the same CV]] [--cross out/bench/cross_fusion.json]]

A :class:`ProsodicRecognizer` (utterance statistics + a shallow classifier, ``recipes.PROSODIC_MEMBER``; built unlike the
CRNN) is trained on the CRNN's own training speakers (the recipe's split: for ``ravdess8``
RAVDESS actors 01-16, 8 emotions; for ``core4`` 24 RAVDESS and EMO-DB speakers, 4 emotions),
and both are tested on the recipe's held-out speakers, alone and fused. The fusion rule was
fixed before the first run: the mean of the two log-probabilities, equal weights
(``fused_log_mean``, what :class:`~ser_synth.recognition.FusionRecognizer` computes). The mean
of the probabilities (``fused_mean``) is reported beside it as a second look, not a tuned
result. Speaker-disjoint.

``--ship`` writes the fusion into the package as ``<recipe>_fused``: ``fusion.json`` naming the
shipped CRNN and the prosodic member (``member_1/``, trained here), with a model card that
cites these figures and, with ``--cv`` (``ravdess8`` only), the cross-validation of ``python
bench/recognizer_accuracy.py --parts cv --fusion`` (its JSON), or of ``bench/fusion_cv.py`` (its
JSON; the head with the shipped member's options, fused with that run's CRNNs).
"""

from __future__ import annotations

import argparse
import json

import _common
import numpy as np
from recipes import PROSODIC_MEMBER, RECIPES, room_copies

PRETRAINED = _common.ROOT / "ser_synth" / "pretrained"
RESULTS = _common.ROOT / "bench" / "results"
RESULT_FILE = {"ravdess8": "fusion", "core4": "fusion_core4"}  # bench/results/<file>.json
# the runs of the CRNNs shipped with attention pooling, up to commit ATTENTION_UNTIL, kept as bench/results/<run>_attention_pooling.json
ATTENTION_POOLING, ATTENTION_UNTIL = "attention_pooling", "fed7548"


def kept(file: str) -> dict:
    """A run kept in ``bench/results``: the JSON of ``bench/results/<file>``."""
    return json.loads((RESULTS / file).read_text())


def earlier_fusion(name: str, suffix: str) -> tuple[dict, str]:
    """A kept run of this bench for recipe ``name``, ``bench/results/<fusion|fusion_core4>_<suffix>.json``: its
    ``models`` and its file name."""
    file = f"{RESULT_FILE[name]}_{suffix}.json"
    return kept(file)["models"], file


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--recipe", choices=sorted(RECIPES), default="ravdess8", help="the shipped CRNN to fuse, and its recipe's split")
    ap.add_argument("--ship", action="store_true", help="write the fusion into the package as <recipe>_fused")
    ap.add_argument("--cv", nargs="+", help="with --ship: recognizer_accuracy.py --fusion JSON(s) whose CV folds the model card cites "
                                            "(several: parts of one CV run with --only-folds), or a fusion_cv.py JSON")
    ap.add_argument("--crnn", help="a saved recognizer folder to fuse instead of the shipped one (trained on the recipe's split, "
                                   "e.g. by train_pretrained.py --train ... --out); not with --ship")
    ap.add_argument("--cross", help="with --ship: recognizer_accuracy.py --parts cross --fusion JSON, cited in the card's limits")
    args = ap.parse_args()
    if args.crnn and args.ship:
        ap.error("--ship fuses the shipped CRNN; --crnn is for a variant")

    from ser_synth.data import holdout_split, read_corpora
    from ser_synth.recognition import EmotionRecognizer
    from ser_synth.recognition.metrics import evaluation_report
    from ser_synth.recognition.fusion import geometric_mean, in_class_order
    from ser_synth.recognition.prosodic import ProsodicRecognizer

    recipe = RECIPES[args.recipe]
    split = holdout_split(read_corpora(recipe["data"], emotions=recipe["emotions"]), recipe["holdout"])
    train, test = list(split.train), list(split.test)
    crnn = EmotionRecognizer.load(args.crnn) if args.crnn else EmotionRecognizer.pretrained(args.recipe)
    classes = crnn.classes_.tolist()
    p_crnn = crnn.predict_proba(test)
    prosodic = ProsodicRecognizer(**PROSODIC_MEMBER).fit(train)
    p_pros = in_class_order(prosodic.predict_proba(test), prosodic.classes_, classes)
    fused = {"crnn": p_crnn, "prosodic": p_pros,
             "fused_log_mean": geometric_mean([p_crnn, p_pros]),
             "fused_mean": 0.5 * (p_crnn + p_pros)}
    labels, speakers = [r.emotion for r in test], [r.speaker for r in test]
    result = {"recipe": args.recipe, "crnn": args.crnn or f"shipped {args.recipe}", "train_speakers": split.train_speakers, "test_speakers": split.test_speakers, "n": len(test), "labels": classes,
              "speaker_disjoint": True, "models": {}}
    for name, p in fused.items():
        rep = evaluation_report(labels, p / p.sum(1, keepdims=True), classes, speakers)
        result["models"][name] = {k: rep[k] for k in ("uar", "wa", "macro_f1", "per_speaker", "confusion")}
        print(f"{name:15s} UAR {rep['uar']:.3f}  " + "  ".join(f"{s} {v['accuracy']:.2f}" for s, v in rep["per_speaker"].items()))
    result["environment"] = _common.environment()
    _common.write(result, args.json)
    if args.ship:
        ship(prosodic, result, read_cv(args.cv, prosodic) if args.cv else None,
             json.loads(open(args.cross).read())["cross"] if args.cross else None)


def head(prosodic) -> str:
    """The card's words for a fitted ``ProsodicRecognizer``'s classifier."""
    if prosodic.hidden_units:
        return (f"a perceptron with one hidden layer of {prosodic.hidden_units} ReLU units (L2 alpha {prosodic.alpha:g}; "
                "classes balanced by repeating rows)")
    return f"balanced logistic regression, C = {prosodic.C:g}"


def cv_summary(cv: dict) -> dict:
    """Mean ± sd over the folds of a fusion CV (``merge_cv``'s form), for the card and metrics.json."""
    folds = cv["folds"]
    stat = lambda key: (float(np.mean([f[key] for f in folds])), float(np.std([f[key] for f in folds], ddof=1)))  # noqa: E731
    (fu, fs), (cu, cs), (pu, _) = stat("fusion_uar"), stat("uar"), stat("prosodic_uar")
    return {"folds": cv.get("partial", "all folds"), "crnn_members": cv.get("crnn_members", 1), "fusion_uar_mean": fu, "fusion_uar_sd": fs, "crnn_uar_mean": cu,
            "crnn_uar_sd": cs, "prosodic_uar_mean": pu,
            "per_fold": [{k: f[k] for k in ("test_speakers", "uar", "prosodic_uar", "fusion_uar")} for f in folds]}


RECOGNIZER_CV = "python bench/recognizer_accuracy.py --parts cv --members 1 --fusion"


def read_cv(files: list[str], prosodic) -> dict:
    """The fusion CV the card cites (``merge_cv``'s form, and ``reproduce``: its command): the
    ``cv`` of ``bench/recognizer_accuracy.py`` JSONs, or one ``bench/fusion_cv.py`` JSON's head
    with the options of ``prosodic`` (its training copies must be the run's)."""
    data = [json.loads(open(f).read()) for f in files]
    if all("cv" in d for d in data):
        sizes = {d["cv"].get("members", 1) for d in data}
        if len(sizes) != 1:
            raise SystemExit(f"--cv {files}: the runs trained different numbers of CRNN members per fold {sorted(sizes)}")
        members = sizes.pop()
        return {**merge_cv([d["cv"] for d in data]), "crnn_members": members,
                "reproduce": RECOGNIZER_CV.replace("--members 1", f"--members {members}")}
    if len(data) != 1 or "heads" not in data[0]:
        raise SystemExit(f"--cv {files}: recognizer_accuracy.py --fusion JSON(s), or one fusion_cv.py JSON")
    run, options = data[0], {"C": prosodic.C, "hidden_units": prosodic.hidden_units}
    name = next((n for n, o in run["heads"].items() if o == options), None)
    copies = lambda o: {k: v for k, v in o.items() if k not in ("C", "hidden_units")}  # noqa: E731
    if name is None or copies(run["member_options"]) != copies(PROSODIC_MEMBER):
        raise SystemExit(f"--cv {files[0]}: no head with the member's options {options} and copies {copies(PROSODIC_MEMBER)}")
    folds = [{"test_speakers": f["test_speakers"], "uar": f["crnn_uar"], "prosodic_uar": f[name]["prosodic_uar"],
              "fusion_uar": f[name]["fused_uar"]} for f in run["folds"]]
    members = run.get("crnn_members", 1)
    seeds = "".join(f"` and `{RECOGNIZER_CV} --first-seed {k} --save-proba P{k}" for k in range(1, members))
    return {**merge_cv([{"folds": folds}]), "crnn_members": members,
            "reproduce": f"{RECOGNIZER_CV} --save-proba P0{seeds}`, then `python bench/fusion_cv.py --proba "
                         + " ".join(f"P{k}" for k in range(members))}


def merge_cv(parts: list[dict], folds: int = 6) -> dict:
    """The folds of several ``--only-folds`` runs of one CV, ordered by test actors; ``partial`` says how
    many of the ``folds`` it holds when some are missing."""
    by_speakers = {tuple(f["test_speakers"]): f for part in parts for f in part["folds"]}
    out = sorted(by_speakers.values(), key=lambda f: f["test_speakers"])
    return {"folds": out, **({"partial": f"{len(out)} of {folds} folds"} if len(out) < folds else {})}


# the fusion CV run with the earliest member (the recording's own level, no training copies), in two parts
EARLIEST_MEMBER_CV = ("cv_fusion_partial.json", "cv_fusion_folds4-6.json")


def copies_note(name: str) -> str:
    """The card's lines on the member's narrow-channel and room copies: the CV that chose each and
    this split's figure without it, all from the runs kept in ``bench/results``."""
    cv = kept("prosodic_robustness.json")["uar"]
    steps = [("narrow-channel copies", "normalize_level+noise_augment", "normalize_level+noise_augment+channel_augment", "no_channel",
              [("telephone", "telephone"), ("mp3_low_rate", "low-rate MP3")]),
             ("room copies", "normalize_level+noise_augment+channel_augment", "normalize_level+noise_augment+channel_augment+reverb_augment",
              "no_reverb", [("reverb_rt60_0.5s", "a room with RT60 0.5 s")]),
             ("noisy copies at 0-30 dB SNR rather than 10-30 dB", "normalize_level+noise_augment+channel_augment+reverb_augment",
              "all four, noise at 0-30 dB", "narrow_noise", [("white_5dB", "white noise at 5 dB SNR")]),
             ("hidden layer of 32 ReLU units rather than logistic regression", "all four, noise at 0-30 dB",
              "all four, noise at 0-30 dB, MLP head", "logistic", [("white_5dB", "white noise at 5 dB SNR"), ("window_1.0s", "1 s windows")])]
    lines = []
    for what, before, after, suffix, tests in steps:
        move = lambda t: f"{cv[before][t]['mean']:.3f} -> {cv[after][t]['mean']:.3f}"  # noqa: E731
        models, file = earlier_fusion(name, suffix)
        without = models["fused_log_mean"]["uar"]
        lines.append(f"- The member's {what}: chosen by a rule fixed first, in the cross-validation of the member alone on RAVDESS "
                     f"01-18 (clean {move('clean')}, " + ", ".join(f"{label} {move(t)}" for t, label in tests)
                     + f"; `python bench/prosodic_robustness.py`). On these held-out speakers the fusion before this change scored {without:.3f} "
                     f"(`bench/results/{file}`).")
    return "\n".join(lines)


def crnn_rooms_note(name: str) -> list[str]:
    """The card's line on the CRNN's room copies (a recipe with ``augment.reverb_prob``): this split's fusion and the
    robustness run before them, from the runs kept in ``bench/results``."""
    from ser_synth.data.augment import AugmentConfig

    rooms = room_copies(AugmentConfig.from_dict(RECIPES[name]["train"].get("augment", {})))
    if not rooms:
        return []
    before, file = earlier_fusion(name, "crnn_no_rooms")
    # the run after them had the attention-pooling CRNN of then
    rob = [kept(f)["recipes"][name]["uar"] for f in ("robustness_crnn_no_rooms.json", f"robustness_{ATTENTION_POOLING}.json")]
    cell = lambda cond: " -> ".join(f"{r[cond]['fused']:.3f}" for r in rob)  # noqa: E731
    mean = " -> ".join(f"{np.mean([c['fused'] for c in r.values()]):.3f}" for r in rob)
    return [f"- The CRNN's room copies, {rooms}: before them the fusion "
            f"scored {before['fused_log_mean']['uar']:.3f} on these held-out speakers and the CRNN {before['crnn']['uar']:.3f} "
            f"(`bench/results/{file}`); the fusion in a room with RT60 0.8 s {cell('reverb_rt60_0.8s')}, "
            f"0.3 s {cell('reverb_rt60_0.3s')}, mean over the robustness bench's {len(rob[1])} conditions {mean} "
            f"(`bench/results/robustness_crnn_no_rooms.json` -> `robustness_{ATTENTION_POOLING}.json`)."]


def crnn_pooling_note(name: str) -> list[str]:
    """The card's line on the CRNN's mean + max pooling (a recipe with ``pooling="meanmax"``): this split's fusion with the
    attention-pooling CRNN shipped before it."""
    if RECIPES[name]["model"].get("pooling") != "meanmax":
        return []
    before, file = earlier_fusion(name, ATTENTION_POOLING)
    return [f"- The CRNN's mean + max pooling over time: with the attention-pooling CRNN shipped before it (up to commit {ATTENTION_UNTIL}) the "
            f"fusion scored {before['fused_log_mean']['uar']:.3f} on these held-out speakers and the CRNN {before['crnn']['uar']:.3f} "
            f"(`bench/results/{file}`)."]


def earlier_head_cross_note() -> str:
    """The card's words on the member's logistic-regression head across corpora: fused with the CRNN of the
    recipe's earlier run (with validation actors; loaded again), and in the run before, which trained its own CRNN."""
    same, before = (kept(f"cross_fusion_{s}.json")["cross"] for s in ("logistic_same_crnn", "logistic"))
    earlier = kept("cross_fusion.json")["cross"]
    no_rooms = kept("shipped_and_cross_no_validation.json")["cross"]
    attention = kept("shipped_and_cross_core4_rooms.json")["cross"]
    return (f"With attention pooling rather than mean + max (up to commit {ATTENTION_UNTIL}) the recipe gave the CRNN {attention['uar']:.3f} and the "
            f"fusion {attention['fusion_uar']:.3f} (`bench/results/shipped_and_cross_core4_rooms.json`). "
            f"Before the CRNN's room copies the recipe gave the CRNN {no_rooms['uar']:.3f} and the fusion {no_rooms['fusion_uar']:.3f} "
            "(`bench/results/shipped_and_cross_no_validation.json`). "
            f"The recipe's earlier run, with 2 validation actors for early stopping (`bench/results/cross_fusion.json`), gave the CRNN "
            f"{earlier['uar']:.3f} and the fusion {earlier['fusion_uar']:.3f}; with the member's earlier head (logistic regression) and that "
            f"CRNN the prosodic classifier scores {same['prosodic_uar']:.3f} "
            f"and the fusion {same['fusion_uar']:.3f} (`bench/results/cross_fusion_logistic_same_crnn.json`, "
            "`--reuse-cross-model --prosodic '{\"hidden_units\": 0}'`); the run before, with another training of the CRNN "
            f"(CPU training is not bit-reproducible), gave the CRNN {before['uar']:.3f} and the fusion {before['fusion_uar']:.3f} "
            "(`bench/results/cross_fusion_logistic.json`). ")


def ship(prosodic, result: dict, cv: dict | None, cross: dict | None = None) -> None:
    """``ser_synth/pretrained/<recipe>_fused``: fusion.json (the shipped ``<recipe>`` CRNN + ``member_1``), card, metrics."""
    from ser_synth.recognition.fusion import write_config
    from ser_synth.recognition.metrics import write_json
    from ser_synth.utils import atomic_directory

    name, m = result["recipe"], result["models"]
    recipe = RECIPES[name]
    if cv and name != "ravdess8":
        raise SystemExit("--cv: the fusion CV of bench/recognizer_accuracy.py is of the ravdess8 recipe")
    speakers = lambda ss: ", ".join(ss)  # noqa: E731
    per = lambda key: ", ".join(f"{s} {v['accuracy']:.2f}" for s, v in m[key]["per_speaker"].items())  # noqa: E731
    lines = [
        f"# `{name}_fused` — {recipe['description']}; CRNN and prosodic classifier fused", "",
        f"A `FusionRecognizer`: the geometric mean (equal weights) of the shipped `{name}` CRNN's probabilities and a "
        "`ProsodicRecognizer`'s (60 utterance statistics of pitch, loudness, pauses and spectral shape of the clip brought "
        f"to one RMS level; {head(prosodic)}, trained also on a noisy copy (white noise, 0-30 dB SNR), a narrow-channel copy "
        "(band-pass, half of them 8-bit mu-law) and a reverberant copy (a random synthetic room) of each utterance). The two "
        "read different evidence, so their errors differ. It exports as one SavedModel for TF "
        f"Serving (`ser-synth export --model {name}_fused`; the prosodic statistics run as TF ops there, with the same decisions: "
        "`python bench/fused_export.py`). It cannot be a critic, which needs gradients through a Keras model.", "",
        "## Training data and split",
        f"- Both members trained on the `{name}` recipe's training speakers: {speakers(result['train_speakers'])}.",
        f"- Held out of both: {speakers(result['test_speakers'])}.", "",
        "## Measured (speaker-disjoint)",
        f"- Held-out speakers (n = {result['n']}): UAR {m['fused_log_mean']['uar']:.3f} ({per('fused_log_mean')}); "
        f"`{name}` alone {m['crnn']['uar']:.3f} ({per('crnn')}), the prosodic member alone {m['prosodic']['uar']:.3f}. "
        f"Reproduce: `python bench/fusion.py --recipe {name}`.",
        copies_note(name),
        *crnn_rooms_note(name),
        *crnn_pooling_note(name),
    ]
    summary = None
    if cv:
        summary = cv_summary(cv)
        before = cv_summary(merge_cv([kept(f)["cv"] for f in EARLIEST_MEMBER_CV]))
        actors = "; ".join(" ".join(s[-2:] for s in f["test_speakers"]) for f in cv["folds"])
        per_fold = " / ".join(f"{f['fusion_uar']:.3f}" for f in cv["folds"])
        crnn = "one CRNN" if summary["crnn_members"] == 1 else f"an ensemble of {summary['crnn_members']} CRNN seeds, as shipped,"
        lines.append(f"- The same recipe in leave-actors-out CV on actors 01-18 ({crnn} per fold; {summary['folds']}, "
                     f"test actors {actors}), with this member: UAR {summary['fusion_uar_mean']:.3f} ± {summary['fusion_uar_sd']:.3f} "
                     f"(per fold {per_fold}), against {summary['crnn_uar_mean']:.3f} ± {summary['crnn_uar_sd']:.3f} for the CRNN alone "
                     f"and {summary['prosodic_uar_mean']:.3f} for the prosodic classifier alone. "
                     f"Reproduce: `{cv['reproduce']}`. With the earliest member and one CRNN per fold "
                     f"(the recording's own level, no copies) a run of the same CV gave {before['fusion_uar_mean']:.3f} ± "
                     f"{before['fusion_uar_sd']:.3f}, its CRNN {before['crnn_uar_mean']:.3f} (" + ", ".join(
                         f"`bench/results/{f}`" for f in EARLIEST_MEMBER_CV) + "; CPU training is not bit-reproducible across runs).")
    if cross:
        helps, earliest = cross["fusion_uar"] > cross["uar"], kept("cross_fusion_before.json")["cross"]
        lines += ["", "## Another corpus",
                  "With the `core4` recipe and a prosodic classifier like this member both trained on RAVDESS alone and tested "
                  f"on EMO-DB (another corpus, language and set of speakers; n = {cross['n']}), the prosodic classifier scores UAR "
                  f"{cross['prosodic_uar']:.3f} and the fusion {cross['fusion_uar']:.3f}, against {cross['uar']:.3f} for the CRNN alone"
                  + (". " if helps else ": on speech from another corpus, prefer the plain CRNN. ")
                  + earlier_head_cross_note()
                  + f"The earlier member (the recording's own level, no noisy copies) scored {earliest['prosodic_uar']:.3f} there and "
                  f"took the fusion to {earliest['fusion_uar']:.3f} (`bench/results/cross_fusion_before.json`). Reproduce: `python bench/recognizer_accuracy.py --parts cross --fusion"
                  + (" --reuse-cross-model` (after a run without it, which trains the CRNN)." if "crnn" in cross else "`.")]
    lines += ["", "## Robustness",
              "Under noise, another recording level, a telephone channel or reverberation, every member loses accuracy; "
              "the figures per condition, for the fusion and each member, are in `bench/results/robustness.json` (`python "
              "bench/robustness.py`; the same run with the CRNN shipped before its mean + max pooling is "
              f"`bench/results/robustness_{ATTENTION_POOLING}.json`, and before it was trained without validation actors "
              "`bench/results/robustness_validation_actors.json`). The earlier member (the recording's own level, no noisy copies) fell to chance with white "
              "noise at 20 dB SNR or 30 dB below the recording's level, and took the fusion below the CRNN alone "
              "(`bench/results/robustness_before.json`). Up to the silence trim's noise-only-edge rule (`ser_synth.audio.trim`), "
              "a recording with steady background noise kept its noisy lead-in and tail; that run, with this member as fitted then, "
              "is `bench/results/robustness_peak_trim.json`; before the member's narrow-channel copies, "
              "`bench/results/robustness_no_channel.json`; before its room copies, `bench/results/robustness_no_reverb.json`; with its noisy "
              "copies at 10-30 dB SNR, `bench/results/robustness_narrow_noise.json`; with logistic regression rather than a hidden "
              "layer, `bench/results/robustness_logistic.json`."]
    lines += ["", "## Licence",
              "Trained on RAVDESS (CC BY-NC-SA 4.0): **non-commercial use only**, share alike, attribute Livingstone & Russo (2018)."]
    if any(d.startswith("emodb:") for d in recipe["data"]):
        lines.append("EMO-DB (Burkhardt et al. 2005) is used under its CC0 release.")
    shipped = PRETRAINED / f"{name}_fused"
    with atomic_directory(shipped) as tmp:
        prosodic.save(tmp / "member_1")
        write_config(tmp, [name, "member_1"], [0.5, 0.5])
        (tmp / "MODEL_CARD.md").write_text("\n".join(lines) + "\n")
        write_json({"held_out": {k: {"uar": v["uar"], "wa": v["wa"]} for k, v in m.items()}, "test_speakers": result["test_speakers"],
                    "cv": summary, "other_corpus": {k: cross[k] for k in ("train", "test", "n", "uar", "prosodic_uar", "fusion_uar")} if cross else None},
                   tmp / "metrics.json")
    print(f"shipped {shipped}")


if __name__ == "__main__":
    main()
