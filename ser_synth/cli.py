"""``ser-synth`` command line: a thin argparse layer over the package.

User errors print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ser_synth.exceptions import ConfigError, SerSynthError
from ser_synth.utils import ensure_folder

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"ser-synth: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _load_config_file(path: str | None) -> dict:
    """YAML or JSON with optional sections ``audio``, ``model``, ``train``."""
    if not path:
        return {}
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {path!r}")
    text = p.read_text()
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = json.loads(text)
    except ValueError as exc:  # json.JSONDecodeError
        raise ConfigError(f"config file {path!r} is not valid JSON: {exc}") from None
    except Exception as exc:  # yaml.YAMLError
        raise ConfigError(f"config file {path!r} is not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict) or set(data) - {"audio", "model", "train"}:
        raise ConfigError(f"config file {path!r} must be a mapping with sections audio/model/train, got keys {list(data) if isinstance(data, dict) else type(data).__name__}")
    return data


def _load_model(name_or_dir: str):
    from ser_synth.recognition import load_recognizer

    return load_recognizer(name_or_dir)


def cmd_train(args) -> int:
    from dataclasses import replace

    from ser_synth.audio.config import AudioConfig
    from ser_synth.data import grouped_kfold, holdout_split, read_corpora
    from ser_synth.emotions import parse_emotions
    from ser_synth.recognition import EmotionRecognizer, ModelConfig, TrainConfig
    from ser_synth.recognition.metrics import format_table, plot_history, plot_report, write_json

    cfg = _load_config_file(args.config)
    audio = AudioConfig.from_dict(cfg.get("audio"))
    model = ModelConfig.from_dict(cfg.get("model"))
    train = TrainConfig.from_dict(cfg.get("train"))
    overrides = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed)) if v is not None}
    train = replace(train, **overrides)
    emotions = parse_emotions(args.emotions)
    records = read_corpora(args.data, emotions=emotions, fold_calm=args.fold_calm)
    out = ensure_folder(args.out)
    merged = {"audio": audio.to_dict(), "model": model.to_dict(), "train": train.to_dict(),
              "data": args.data, "emotions": list(emotions) if emotions else None, "fold_calm": args.fold_calm,
              "holdout_speakers": args.holdout_speakers, "folds": args.folds}
    write_json(merged, out / "config.json")
    make = lambda: EmotionRecognizer(audio_config=audio, model_config=model, train_config=train, verbose=args.verbose)  # noqa: E731
    classes = sorted({r.emotion for r in records})
    if args.folds:
        folds = []
        for i, split in enumerate(grouped_kfold(records, args.folds, seed=train.seed)):
            print(f"fold {i + 1}/{args.folds}: test speakers {', '.join(split.test_speakers)}", file=sys.stderr)
            rec = make().fit(list(split.train), classes=classes)
            rep = rec.evaluate(list(split.test))
            rep["test_speakers"] = split.test_speakers
            folds.append(rep)
            print(format_table(rep))
        import numpy as np

        uars = [f["uar"] for f in folds]
        summary = {"folds": folds, "uar_mean": float(np.mean(uars)), "uar_sd": float(np.std(uars)),
                   "wa_mean": float(np.mean([f["wa"] for f in folds])), "speaker_disjoint": True}
        write_json(summary, out / "cv.json")
        print(f"{args.folds}-fold speaker-disjoint CV: UAR {summary['uar_mean']:.3f} ± {summary['uar_sd']:.3f}")
    test = []
    if args.holdout_speakers:
        split = holdout_split(records, [s for s in args.holdout_speakers.split(",") if s.strip()])
        records, test = list(split.train), list(split.test)
    rec = make().fit(records, classes=classes, out_dir=out / "training")
    rec.save(out / "model")
    if test:
        rep = rec.evaluate(test)
        write_json(rep, out / "metrics.json")
        plot_report(rep, out / "plots", history=rec.history_)
        print(format_table(rep))
    else:
        plot_history(rec.history_, out / "plots" / "training_curves.png")
    print(f"saved model to {out / 'model'}")
    return 0


def cmd_evaluate(args) -> int:
    from ser_synth.data import read_corpora
    from ser_synth.emotions import parse_emotions
    from ser_synth.recognition.metrics import format_table, plot_report, write_json

    rec = _load_model(args.model)
    records = read_corpora(args.data, emotions=parse_emotions(args.emotions), fold_calm=args.fold_calm)
    rep = rec.evaluate(records, speaker_adapt=args.speaker_adapt)
    print(format_table(rep))
    if args.speaker_adapt:
        print("speaker-adapted: each speaker's probabilities were corrected with that speaker's other (unlabeled) test utterances")
    if rep["n_excluded"]:
        print(f"left out {rep['n_excluded']} utterances with emotions the model does not know: {', '.join(rep['excluded_emotions'])}")
    if not rep["speaker_disjoint"]:
        print("warning: some evaluation speakers were in the model's training data (not speaker-disjoint)")
    if args.json:
        write_json(rep, args.json)
    if args.plots:
        plot_report(rep, args.plots)
    return 0


def cmd_predict(args) -> int:
    from ser_synth.recognition.metrics import write_json

    rec = _load_model(args.model)
    proba = rec.predict_proba([str(f) for f in args.files])
    rows = []
    for f, p in zip(args.files, proba):
        top = int(p.argmax())
        rows.append({"file": str(f), "label": str(rec.classes_[top]), "probability": float(p[top]),
                     "probabilities": {str(c): float(v) for c, v in zip(rec.classes_, p)}})
        print(f"{f}\t{rec.classes_[top]}\t{p[top]:.3f}")
    if args.json:
        write_json(rows, args.json)
    return 0


RULE_BASED = "rule-based"
DEFAULT_SYNTHESIZER = "synthesizer"  # the shipped one (ser_synth/pretrained/synthesizer)


def _load_synthesizer(name: str, option: str):
    """A saved synthesizer folder, a shipped name, or ``rule-based[:<profiles>]`` (the espeak-ng baseline)."""
    if name == RULE_BASED or name.startswith(RULE_BASED + ":"):
        from ser_synth.synthesis import RuleBasedSynthesizer

        return RuleBasedSynthesizer(profiles=name.partition(":")[2] or "calibrated")
    from ser_synth.pretrained import available
    from ser_synth.synthesis import EmotionalSynthesizer

    if not Path(name).is_dir() and name not in available():
        raise ConfigError(f"{option} {name!r} is neither a saved synthesizer folder, a shipped one "
                          f"({DEFAULT_SYNTHESIZER!r}) nor {RULE_BASED!r}[:calibrated|naive|measured]")
    return EmotionalSynthesizer.load_any(name)


def cmd_synthesize(args) -> int:
    from ser_synth.audio.io import save_audio

    syn = _load_synthesizer(args.model, "--model")
    y = syn.synthesize(args.text, emotion=args.emotion, intensity=args.intensity, **({"speaker": args.speaker} if args.speaker else {}))
    rate = syn.audio_config.sample_rate
    path = save_audio(args.output, y, rate)
    print(f"wrote {path} ({len(y) / rate:.2f} s, {args.emotion} at intensity {args.intensity:g})")
    return 0


def cmd_train_synthesizer(args) -> int:
    from dataclasses import replace

    from ser_synth.audio.config import AudioConfig
    from ser_synth.data import read_corpora
    from ser_synth.emotions import parse_emotions
    from ser_synth.recognition.metrics import write_json
    from ser_synth.synthesis import AcousticConfig, EmotionalSynthesizer, SynthTrainConfig

    cfg = _load_config_file(args.config)
    audio = AudioConfig.from_dict(cfg.get("audio"))
    acoustic = AcousticConfig.from_dict(cfg.get("model"))
    train = SynthTrainConfig.from_dict(cfg.get("train"))
    train = replace(train, **{k: v for k, v in (("steps", args.steps), ("seed", args.seed)) if v is not None})
    emotions = parse_emotions(args.emotions)
    records = read_corpora(args.data, emotions=emotions)
    out = ensure_folder(args.out)
    write_json({"audio": audio.to_dict(), "model": acoustic.to_dict(), "train": train.to_dict(), "data": args.data,
                "emotions": list(emotions) if emotions else None}, out / "config.json")
    syn = EmotionalSynthesizer(audio_config=audio, acoustic_config=acoustic, train_config=train, verbose=args.verbose)
    syn.fit(records, out_dir=out / "model")
    print(f"saved synthesizer to {out / 'model'} ({syn.n_train_} utterances, {len(syn.speakers_)} speakers, emotions {', '.join(syn.emotions_)})")
    return 0


def _expand_speakers(spec: str, known) -> list[str]:
    """``"ravdess/,espeak/m1"`` -> speaker names; an entry ending in ``/`` stands for every known
    speaker it prefixes. Unknown names pass through, for :func:`critique` to reject by name."""
    out = []
    for entry in (e.strip() for e in spec.split(",")):
        if entry:
            matches = [s for s in known if s.startswith(entry)] if entry.endswith("/") else []
            out.extend(matches or [entry])
    return out


def cmd_critique(args) -> int:
    from ser_synth.critic import EmotionCritic
    from ser_synth.critic.critique import critique
    from ser_synth.emotions import parse_emotions
    from ser_synth.recognition.metrics import write_json

    syn = _load_synthesizer(args.synthesizer, "--synthesizer")
    critic = EmotionCritic(args.critic)
    names = [] if args.judge.lower() == "none" else [j.strip() for j in args.judge.split(",") if j.strip()]
    judges = {name: EmotionCritic(name) for name in names}
    emotions = parse_emotions(args.emotions)
    speakers = _expand_speakers(args.speakers, syn.speakers_) if args.speakers else None
    result = critique(syn, critic, judges.pop(names[0]) if names else None, more_judges=judges, emotions=emotions, n=args.n,
                      speakers=speakers, out_dir=args.plots)
    result.update(synthesizer=str(args.synthesizer), critic=str(args.critic), judge=names[0] if names else None)
    if args.json:
        write_json(result, args.json)
    line = f"critic ({args.critic}) heard {result['critic_accuracy']:.3f} as intended"
    if names:
        line += f"; judge ({names[0]}) {result['judge_accuracy']:.3f}"
    line += "".join(f"; judge ({j}) {r['accuracy']:.3f}" for j, r in result.get("more_judges", {}).items())
    print(f"{line} (n={result['n']}, emotions {', '.join(result['emotions'])})")
    return 0


def cmd_export(args) -> int:
    from ser_synth.serving import export_model

    if args.calibration and args.tflite != "int8":
        raise ConfigError(f"--calibration is for --tflite int8 only, got --tflite {args.tflite}")
    if args.tflite:
        from ser_synth.serving.tflite import export_tflite

        rec = _load_model(args.model)
        if not hasattr(rec, "model_config"):
            raise ConfigError(f"--tflite exports CRNN recognizers only; {args.model!r} is not one")
        calibration = None
        if args.calibration:
            from ser_synth.data import read_corpora

            calibration = read_corpora(args.calibration)
        dest = export_tflite(rec, Path(args.out) / f"model_{args.tflite}.tflite", seconds=args.seconds, quantization=args.tflite,
                             calibration=calibration)
        print(f"exported {args.model} to {dest} (input float32 [1, {int(args.seconds * rec.audio_config.sample_rate)}], "
              f"classes {', '.join(rec.classes_)})")
        return 0
    dest = export_model(args.model, args.out, version=args.version)
    print(f"exported {args.model} to {dest} (TF Serving layout: <base>/<name>/<version>)")
    return 0


def cmd_serve(args) -> int:
    from ser_synth.serving.service import ServiceConfig, serve

    config = ServiceConfig(recognizer=args.recognizer, synthesizer=args.synthesizer)
    serve(host=args.host, port=args.port, config=config)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from ser_synth import __version__

    p = _Parser(prog="ser-synth", description="Emotional speech recognition and synthesis.")
    p.add_argument("--version", action="version", version=f"ser-synth {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    data_help = ("corpus spec(s), comma-separated: ravdess:DIR, emodb:DIR, crema-d:DIR, tess:DIR, savee:DIR, iemocap:DIR, casia:DIR, "
                 "urdu:DIR, csv:FILE, synthetic:[key=value,...]")
    t = sub.add_parser("train", help="train a recognizer")
    t.add_argument("--data", required=True, help=data_help)
    t.add_argument("--emotions", help="subset, e.g. neutral,happy,sad,angry (or core4)")
    t.add_argument("--fold-calm", action="store_true", help="map RAVDESS calm onto neutral")
    g = t.add_mutually_exclusive_group()
    g.add_argument("--holdout-speakers", help="comma-separated speakers to test on (e.g. 17,18 or ravdess/17)")
    g.add_argument("--folds", type=int, help="also run K-fold speaker-disjoint cross-validation")
    t.add_argument("--out", required=True, help="output folder")
    t.add_argument("--config", help="YAML/JSON with sections audio, model, train")
    t.add_argument("--epochs", type=int)
    t.add_argument("--seed", type=int)
    t.add_argument("--verbose", type=int, default=2)
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="evaluate a recognizer on a corpus")
    e.add_argument("--model", required=True, help="model folder or pretrained name (ravdess8, core4)")
    e.add_argument("--data", required=True, help=data_help)
    e.add_argument("--emotions")
    e.add_argument("--fold-calm", action="store_true")
    e.add_argument("--json", help="write the report as JSON")
    e.add_argument("--plots", help="write PNG plots to this folder")
    e.add_argument("--speaker-adapt", action="store_true",
                   help="correct each speaker's probabilities with their other test utterances (unsupervised; assumes mixed emotions per speaker)")
    e.set_defaults(func=cmd_evaluate)

    pr = sub.add_parser("predict", help="predict the emotion of audio files")
    pr.add_argument("files", nargs="+")
    pr.add_argument("--model", default="core4", help="model folder or pretrained name (default core4)")
    pr.add_argument("--json")
    pr.set_defaults(func=cmd_predict)

    sy = sub.add_parser("synthesize", help="speak a text with an emotion")
    sy.add_argument("text")
    sy.add_argument("--emotion", default="neutral")
    sy.add_argument("--intensity", type=float, default=1.0, help="0 (neutral) .. 1 (full emotion)")
    sy.add_argument("--speaker", help="speaker id of the model (default: its first; espeak/m1 for rule-based)")
    sy.add_argument("--model", default=DEFAULT_SYNTHESIZER,
                    help=f"saved synthesizer folder, a shipped name (default: {DEFAULT_SYNTHESIZER!r}, the pretrained "
                         f"LSTM acoustic model), or {RULE_BASED!r} (the espeak-ng + prosody-rules baseline)")
    sy.add_argument("-o", "--output", required=True, help="output .wav/.flac/.ogg")
    sy.set_defaults(func=cmd_synthesize)

    ts = sub.add_parser("train-synthesizer", help="train the emotional acoustic model")
    ts.add_argument("--data", required=True, help=data_help)
    ts.add_argument("--emotions")
    ts.add_argument("--out", required=True)
    ts.add_argument("--config", help="YAML/JSON with sections audio, model (AcousticConfig), train (SynthTrainConfig)")
    ts.add_argument("--steps", type=int)
    ts.add_argument("--seed", type=int)
    ts.add_argument("--verbose", type=int, default=2)
    ts.set_defaults(func=cmd_train_synthesizer)

    cr = sub.add_parser("critique", help="synthesize new sentences and score their emotion with a critic (and a judge)")
    cr.add_argument("--synthesizer", default=DEFAULT_SYNTHESIZER, help=f"saved folder or shipped name (default {DEFAULT_SYNTHESIZER!r}), "
                                                                     "or rule-based[:calibrated|naive|measured], the espeak-ng baseline")
    cr.add_argument("--critic", default="ravdess8", help="recognizer folder or shipped name (default ravdess8, the critic the "
                                                           "shipped synthesizer was fine-tuned against)")
    cr.add_argument("--judge", default="judge4,judge4v", help="independent recognizers (folders or shipped names, comma-separated) "
                                                              "that hear the waveforms; the first gives judge_accuracy (default "
                                                              "judge4,judge4v: neither heard the critic's or synthesizer's speakers; "
                                                              "judge4v also trained on real speech through the vocoder channel); "
                                                              "'none' for no judge")
    cr.add_argument("--emotions", help="subset of the emotions the synthesizer and critic share (default: all of them)")
    cr.add_argument("--n", type=int, default=12, help="new sentences, each spoken in every emotion (default 12)")
    cr.add_argument("--speakers", help="comma-separated voices of the synthesizer to cycle through; an entry ending in '/' "
                                       "takes every voice with that prefix (e.g. ravdess/). Default: its espeak-ng voices")
    cr.add_argument("--json", help="write the figures here")
    cr.add_argument("--plots", help="folder for confusion and intensity plots, audio and index.html")
    cr.set_defaults(func=cmd_critique)

    ex = sub.add_parser("export", help="write a SavedModel in TF Serving's layout")
    ex.add_argument("--model", required=True, help=f"saved recognizer or synthesizer folder, or a shipped name "
                                                   f"(ravdess8, core4, ravdess8_fused, core4_fused, judge4, {DEFAULT_SYNTHESIZER})")
    ex.add_argument("--out", required=True, help="<base>/<name>; the version folder goes inside")
    ex.add_argument("--version", type=int, help="version number (default: one more than the highest there)")
    ex.add_argument("--tflite", choices=["none", "dynamic", "int8"], help="write a builtins-only .tflite recognizer instead, with this "
                                                                         "quantization (fixed-length input, see --seconds)")
    ex.add_argument("--calibration", help="corpus spec(s) of representative speech for --tflite int8 (e.g. emodb:data/emodb_cc0); "
                                          "use speakers you will not evaluate on")
    ex.add_argument("--seconds", type=float, default=3.0, help="TFLite input length in seconds (default 3)")
    ex.set_defaults(func=cmd_export)

    sv = sub.add_parser("serve", help="REST + WebSocket service (FastAPI) with a web page at /: /v1/recognize, /v1/synthesize, /v1/stream, /docs")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument("--recognizer", default="core4", help="recognizer folder or shipped name (default core4; also a fusion such as core4_fused)")
    sv.add_argument("--synthesizer", default=DEFAULT_SYNTHESIZER, help=f"synthesizer folder or shipped name (default {DEFAULT_SYNTHESIZER})")
    sv.set_defaults(func=cmd_serve)
    return p


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and initialize its devices with file descriptor 2 sent to /dev/null.

    TensorFlow's C++ start-up writes to stderr before its log level applies (TF 2.16: three
    "Unable to register cuDNN/cuFFT/cuBLAS factory" lines; TF 2.21: "Could not find cuda
    drivers", "failed call to cuInit"), which would bury the CLI's one-line error. Python
    exceptions still propagate (the descriptor is restored first). A user who sets
    ``TF_CPP_MIN_LOG_LEVEL`` keeps the logs.
    """
    import ser_synth

    if ser_synth._USER_TF_LOG_LEVEL is not None or "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        import tensorflow as tf

        # device discovery is lazy; run it here so its "no GPU" lines are silenced too
        tf.config.list_physical_devices()
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def report_user_errors(fn, *args, prog: str = "ser-synth") -> int:
    """``fn(*args)`` under the command line contract (the example scripts use it too):
    TensorFlow imported quietly first, and a :class:`SerSynthError` turned into one line on
    stderr and exit status 2."""
    try:
        import_tensorflow_quietly()
        return fn(*args)
    except SerSynthError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        sys.stderr.write(f"{prog}: error: {msg}\n")
        return EXIT_USAGE


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return report_user_errors(args.func, args)


if __name__ == "__main__":
    raise SystemExit(main())
