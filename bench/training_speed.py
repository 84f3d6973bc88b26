"""Training speed of the synthesizer's acoustic model at the ``make demo`` settings (model
sizes, batch, corpus of 40 espeak-ng sentences in 4 emotions and 4 voices).

    python bench/training_speed.py --json out/bench/training_speed.json [--steps 20]

Reported:

- ``first_fit_s`` / ``train_step_traces``: one ``fit`` of a single step on a fresh trainer (the
  trace of the train step plus that step), and how often ``train_step`` was traced, three ways:
  ``prebuilt`` (as the package trains: the optimizer's slot variables made before tracing, and
  its learning-rate schedule wrapped in ``ser_synth.optim.OncePerStep``), ``lazy`` (Keras's
  default on TensorFlow without a distribution strategy: the slots are made inside the first
  trace, so tf.function traces the whole step again) and ``per_variable_lr`` (slots prebuilt,
  but the bare schedule, which AdamW evaluates once per variable in every step).
- The train step's single gradient tape (two nested tapes made TensorFlow build each LSTM
  loop's gradient for higher-order use too) cannot be switched off; to see it, run this bench
  at commit 31c3e8f, before it.
- ``step_s`` / ``step_cpu_s``: median wall-clock / process CPU seconds per training step afterwards
  (``--steps`` steps, 5 per fit call), both ways. On a shared machine the wall clock varies by
  up to 2x from run to run; CPU time varies less.
- ``alignment_ms``: monotonic alignment search per batch on this corpus's real batch shapes,
  batched (what training runs) and item by item (the reference function); results must agree.
"""

from __future__ import annotations

import argparse
import sys
import time

import _common
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json")
    ap.add_argument("--steps", type=int, default=20, help="steady-state steps to time")
    ap.add_argument("--modes", default="lazy,per_variable_lr,prebuilt", help="which optimizer set-ups to time, in this order")
    args = ap.parse_args()

    import dataclasses

    import keras

    sys.path.insert(0, str(_common.ROOT / "examples"))  # the demo's settings, one source
    from demo import EMOTIONS, SYNTH_MODEL, SYNTH_TRAIN, VOICES

    from ser_synth.data.synthetic import SyntheticCorpusConfig, synthetic_corpus
    from ser_synth.synthesis import EmotionalSynthesizer
    from ser_synth.synthesis.acoustic import AcousticModel
    from ser_synth.synthesis.alignment import batch_alignment, gaussian_log_likelihood, monotonic_alignment
    from ser_synth.synthesis.synthesizer import _voiced_log_f0
    from ser_synth.synthesis.train import AcousticTrainer, make_dataset, make_optimizer

    corpus = list(synthetic_corpus(SyntheticCorpusConfig(n_sentences=40, emotions=EMOTIONS, speakers=VOICES), verbose=0))
    syn = EmotionalSynthesizer(acoustic_config=SYNTH_MODEL, train_config={**SYNTH_TRAIN, "steps": 400}, verbose=0)
    records = syn._usable(corpus)
    speakers = sorted({r.speaker for r in records})
    syn.acoustic_config = dataclasses.replace(syn.acoustic_config, n_speakers=len(speakers))
    examples = syn._examples(records, speakers)
    tc = syn.train_config

    def fresh_trainer(mode: str):
        keras.utils.set_random_seed(0)
        model = AcousticModel(syn.audio_config, syn.acoustic_config, vocab_size=syn._encoder().vocab_size)
        model.set_normalization(np.concatenate([e.mel for e in examples]), np.concatenate([e.linear for e in examples]),
                                _voiced_log_f0(examples))
        trainer = AcousticTrainer(model, tc)
        optimizer = make_optimizer(tc)
        if mode == "lazy":  # Keras's own compile: no optimizer build before the first trace
            keras.Model.compile(trainer, optimizer=optimizer)
        elif mode == "per_variable_lr":
            config = optimizer.get_config()  # the same AdamW, with the schedule OncePerStep wraps
            config["learning_rate"] = keras.optimizers.schedules.deserialize(config["learning_rate"]["config"]["schedule"])
            trainer.compile(optimizer=type(optimizer).from_config(config))
        else:
            trainer.compile(optimizer=optimizer)
        traced, step = [], trainer.train_step
        trainer.train_step = lambda batch: traced.append(1) or step(batch)
        return trainer, traced

    ds = make_dataset(examples, tc.batch_size, seed=tc.seed)
    result = {"environment": _common.environment(), "examples": len(examples), "batch_size": tc.batch_size,
              "model": SYNTH_MODEL, "first_fit_s": {}, "train_step_traces": {}}
    result["step_s"], result["step_cpu_s"] = {}, {}
    for mode in args.modes.split(","):
        trainer, traced = fresh_trainer(mode)
        t = time.perf_counter()
        trainer.fit(ds, steps_per_epoch=1, epochs=1, verbose=0)
        result["first_fit_s"][mode] = round(time.perf_counter() - t, 2)
        per_step, cpu_per_step = [], []
        for _ in range(max(1, args.steps // 5)):
            t, c = time.perf_counter(), time.process_time()
            trainer.fit(ds, steps_per_epoch=5, epochs=1, verbose=0)
            per_step.append((time.perf_counter() - t) / 5)
            cpu_per_step.append((time.process_time() - c) / 5)
        result["step_s"][mode] = round(float(np.median(per_step)), 4)
        result["step_cpu_s"][mode] = round(float(np.median(cpu_per_step)), 4)
        result["train_step_traces"][mode] = len(traced)
        print(f"{mode}: first fit {result['first_fit_s'][mode]} s, train_step traced {len(traced)}x in all, "
              f"then {result['step_s'][mode]} s/step ({result['step_cpu_s'][mode]} s CPU time)", flush=True)

    # alignment on real batches: the trained model's token means against the batch's mels
    batched_ms, item_ms = [], []
    for batch in ds.take(10):
        g = trainer.generator
        _, _, _, mu, _ = g.encode(batch["tokens"], batch["emotion"], batch["intensity"], batch["speaker"], False)
        ll = gaussian_log_likelihood(mu, g.normalize(batch["mel"], "mel")).numpy()
        text_lens, mel_lens = batch["text_length"].numpy(), batch["mel_length"].numpy()
        t = time.perf_counter()
        fast = batch_alignment(ll, text_lens, mel_lens)
        batched_ms.append(1e3 * (time.perf_counter() - t))
        t = time.perf_counter()
        ref = np.zeros_like(fast)
        for i, (n, m) in enumerate(zip(text_lens, mel_lens)):
            ref[i, :n] = monotonic_alignment(ll[i], n, m)
        item_ms.append(1e3 * (time.perf_counter() - t))
        if not np.array_equal(fast, ref):
            raise SystemExit("batched alignment differs from the per-item reference")
    result["alignment_ms"] = {"batched": round(float(np.median(batched_ms)), 2), "per_item": round(float(np.median(item_ms)), 2),
                              "batches": len(batched_ms), "batch_shape": list(ll.shape)}
    _common.write(result, args.json)


if __name__ == "__main__":
    main()
