"""Generate one file per emotion and intensity, a PNG grid of their log-mel spectrograms, and an
HTML page with audio players; the shipped ``core4`` recognizer says how each file is heard.

    python examples/generate_emotional_speech.py --out out/generate [--text "..."] [--model synthesizer|DIR|rule-based]
        [--speaker S] [--emotions neutral,happy,sad,angry,fearful,surprised] [--intensities 0.5,1.0]

The default ``--model synthesizer`` is the shipped synthesizer (LSTM acoustic model + Griffin-Lim); ``--model rule-based``
is the espeak-ng + prosody-rules baseline; a folder written by ``ser-synth train-synthesizer``
is your own model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _numbers(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="out/generate")
    ap.add_argument("--text", default="We have to leave the house before the storm comes.")
    ap.add_argument("--model", default="synthesizer")
    ap.add_argument("--speaker")
    ap.add_argument("--emotions", default="neutral,happy,sad,angry,fearful,surprised")
    ap.add_argument("--intensities", default="0.5,1.0", type=_numbers, help="comma-separated, each in [0, 1]")
    args = ap.parse_args(argv)

    import numpy as np
    import tensorflow as tf

    from ser_synth.audio.frontend import LogMelSpectrogram
    from ser_synth.audio.io import save_audio
    from ser_synth.recognition import EmotionRecognizer
    from ser_synth.report import HtmlReport, spectrogram_grid
    from ser_synth.synthesis.rules import check_request
    from ser_synth.utils import ensure_folder

    if args.model == "rule-based":
        from ser_synth.synthesis import RuleBasedSynthesizer

        syn, speaker = RuleBasedSynthesizer(), args.speaker or "espeak/m3"
    else:
        from ser_synth.synthesis import EmotionalSynthesizer

        syn = EmotionalSynthesizer.load_any(args.model)
        speaker = args.speaker or syn.speakers_[0]
    emotions = [e.strip() for e in args.emotions.split(",") if e.strip()]
    intensities = args.intensities
    for emo in emotions:  # every request is checked before any file is written
        for k in intensities:
            check_request(emo, k, speaker, emotions=syn.emotions_, speakers=syn.speakers_)
    out = Path(args.out)
    ensure_folder(out / "audio")
    judge = EmotionRecognizer.pretrained("core4")
    frontend = LogMelSpectrogram(syn.audio_config)
    sr = syn.audio_config.sample_rate

    rows, mels = [], {}
    for emo in emotions:
        for k in intensities:
            y = syn.synthesize(args.text, emotion=emo, intensity=k, speaker=speaker)
            path = save_audio(out / "audio" / f"{emo}_{k:.2f}.wav", y, sr)
            mels[emo, k] = frontend(tf.constant(y[None]))[0].numpy()
            proba = judge.predict_proba([y])[0]
            heard = judge.classes_[int(np.argmax(proba))]
            p_int = float(proba[list(judge.classes_).index(emo)]) if emo in judge.classes_ else float("nan")
            rows.append([emo, k, path, f"{len(y) / sr:.2f} s", heard, p_int])
            print(f"{emo:>9} {k:.2f}: {path}  heard by core4 as {heard}")

    grid = spectrogram_grid(mels, emotions, intensities, out / "spectrograms.png")

    report = HtmlReport(f"Emotional speech: {args.model}")
    report.text(f"Text: {args.text!r}; speaker {speaker}. 'heard as' is the shipped core4 recognizer "
                "(neutral/happy/sad/angry only, trained on real acted speech).")
    report.table(["emotion", "intensity", "audio", "length", "heard as (core4)", "p(intended)"], rows)
    report.image(grid, "log-mel spectrograms (rows: emotions, columns: intensities)")
    page = report.write(out / "index.html")
    print(f"wrote {len(rows)} files, {grid} and {page}")
    return 0


if __name__ == "__main__":
    from ser_synth.cli import report_user_errors

    raise SystemExit(report_user_errors(main, prog=Path(__file__).name))
