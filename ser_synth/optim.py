"""Optimizer set-up shared by the recognizer's and the synthesizer's training loops.

Both train with AdamW under a warm-up + cosine schedule. Two Keras-on-TensorFlow costs are
avoided here, each measured by ``bench/training_speed.py``: slot variables created inside the
first traced step (which makes tf.function trace the step twice), and a schedule evaluated once
per variable in every step.
"""

from __future__ import annotations

import weakref

import keras
import tensorflow as tf


def build_optimizer(optimizer, variables) -> None:
    """Create ``optimizer``'s slot variables for ``variables`` now, before ``fit`` traces the train step.

    Keras on TensorFlow (no distribution strategy) otherwise creates them inside the first
    traced step, and a tf.function that creates variables is traced twice: ~25 s more per
    ``fit`` of the acoustic model on 2 cores, ~3 s for a tiny recognizer.
    """
    optimizer.build(variables)


@keras.saving.register_keras_serializable(package="ser_synth")
class OncePerStep(keras.optimizers.schedules.LearningRateSchedule):
    """Wrap a learning-rate schedule so that a traced step computes it once.

    AdamW reads its learning rate once per variable (for weight decay) besides once for the
    update, and with a schedule every read adds the schedule's ops to the graph: 86 copies of
    its warm-up ``cond`` in the demo acoustic model's step (2.8 s of its trace). Inside one graph, calls with the same
    ``step`` object (the optimizer's ``iterations``) return the first call's tensor; eager
    calls are not cached. Keras's ``fit`` traces each step as its own function, so this holds
    there; a hand-written loop that applies two optimizer steps in one traced function would
    give the second step the first one's rate.

    Parameters
    ----------
    schedule : keras.optimizers.schedules.LearningRateSchedule
        The schedule computed, e.g. ``CosineDecay`` with a warm-up.
    """

    def __init__(self, schedule):
        if isinstance(schedule, dict):
            schedule = keras.optimizers.schedules.deserialize(schedule)
        self.schedule = schedule
        self._cache = None  # (weakref to graph, step, value)

    def __call__(self, step):
        if tf.executing_eagerly():
            return self.schedule(step)
        graph = tf.compat.v1.get_default_graph()
        if self._cache is not None and self._cache[0]() is graph and self._cache[1] is step:
            return self._cache[2]
        value = self.schedule(step)
        self._cache = (weakref.ref(graph), step, value)
        return value

    def get_config(self):
        return {"schedule": keras.optimizers.schedules.serialize(self.schedule)}


def warmup_cosine(peak: float, *, total_steps: int, warmup_steps: int, start_fraction: float, alpha: float) -> OncePerStep:
    """Linear warm-up from ``start_fraction * peak`` to ``peak`` over ``warmup_steps``, then cosine
    decay to ``alpha * peak`` at ``total_steps`` (no warm-up when ``warmup_steps`` is 0)."""
    warm = max(0, min(int(warmup_steps), int(total_steps) - 1))
    return OncePerStep(keras.optimizers.schedules.CosineDecay(
        peak * start_fraction if warm else peak, max(1, int(total_steps) - warm), alpha=alpha,
        warmup_target=peak if warm else None, warmup_steps=warm))
