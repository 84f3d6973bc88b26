import keras
import numpy as np
import tensorflow as tf

from ser_synth.optim import OncePerStep, warmup_cosine


class Counting(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def __call__(self, step):
        self.calls += 1
        return self.inner(step)


def _train(schedule, steps=4):
    keras.utils.set_random_seed(0)
    variables = [keras.Variable(np.random.default_rng(i).standard_normal((3, 2)).astype("float32")) for i in range(5)]
    opt = keras.optimizers.AdamW(schedule, weight_decay=0.1)
    opt.build(variables)

    @tf.function
    def step():
        grads = [2.0 * v for v in variables]
        opt.apply_gradients(zip(grads, variables))

    for _ in range(steps):
        step()
    return [v.numpy() for v in variables]


def test_schedule_runs_once_per_traced_step_with_the_same_updates():
    sched = keras.optimizers.schedules.CosineDecay(1e-3, 10, warmup_target=1e-2, warmup_steps=2)
    plain, once = Counting(sched), Counting(sched)
    want = _train(plain)
    got = _train(OncePerStep(once))
    assert plain.calls >= 6  # AdamW reads the rate for the update and for each variable's weight decay
    assert once.calls == 1  # one trace, one evaluation
    for a, b in zip(want, got):
        np.testing.assert_array_equal(a, b)


def test_eager_calls_follow_the_step_and_config_round_trips():
    sched = warmup_cosine(1e-2, total_steps=100, warmup_steps=10, start_fraction=0.05, alpha=0.02)
    assert [round(float(sched(s)), 6) for s in (0, 10, 100)] == [0.0005, 0.01, 0.0002]
    back = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(sched))
    assert isinstance(back, OncePerStep)
    assert all(float(back(s)) == float(sched(s)) for s in (0, 5, 55))
    no_warmup = warmup_cosine(1e-2, total_steps=1, warmup_steps=1, start_fraction=0.05, alpha=0.02)
    assert round(float(no_warmup(0)), 6) == 0.01  # one step: no room for a warm-up
