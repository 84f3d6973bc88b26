# ser_synth: set-up, demo, tests and benchmarks. `make demo` and `make test` install first.
PYTHON ?= python3
VENV ?= .venv
LATEST_VENV ?= .venv-latest
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ser_synth-installed
LATEST_STAMP := $(LATEST_VENV)/.ser_synth-installed
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED ?= 0

.PHONY: install install-latest demo demo-quick test test-fast test-latest bench clean

install: $(STAMP)

# Reference environment: TF 2.16.2 + tensorflow-io 0.37.1 (pinned). Re-runs only when the pins change.
$(STAMP): requirements/reference.txt setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements/reference.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $@

# Newest TensorFlow, no tensorflow-io: proves the soundfile/librosa fallback.
install-latest: $(LATEST_STAMP)

$(LATEST_STAMP): requirements/latest.txt setup.py
	@test -x $(LATEST_VENV)/bin/python || $(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install -q --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install -q -r requirements/latest.txt
	$(LATEST_VENV)/bin/python -m pip uninstall -y -q tensorflow-io tensorflow-io-gcs-filesystem || true
	$(LATEST_VENV)/bin/python -m pip install -q --no-deps -e .
	@touch $@

# The whole pipeline (corpus, recognizer, synthesizer, critic-in-the-loop, judge, export) -> out/demo/report.html
demo: install
	$(PY) examples/demo.py --out out/demo

# Shipped models only, no training (under a minute)
demo-quick: install
	$(PY) examples/demo.py --out out/demo-quick --quick

# Everything, including slow training tests and the data-backed tests when ../shared/data exists.
test: install
	$(PY) -m pytest

# Quick loop for development: no slow tests.
test-fast: install
	$(PY) -m pytest -m "not slow" -q

# Second CI leg: the suite on the newest TF without tfio (the soundfile/librosa fallback), less
# the two end-to-end demo runs (~4.5 min): every stage they chain is tested here on its own, and
# leg 1 runs them whole. CI took 62-63 min with them on a slow machine.
LATEST_DESELECT = --deselect tests/test_examples.py::test_demo_full_pipeline_tiny --deselect tests/test_examples.py::test_demo_quick
test-latest: install-latest
	SER_SYNTH_EXPECT_BACKEND=numpy $(LATEST_VENV)/bin/python -m pytest -q $(LATEST_DESELECT)

bench: install
	$(PY) bench/recognizer_speed.py --json out/bench/recognizer_speed.json
	$(PY) bench/recognizer_accuracy.py --json out/bench/recognizer_accuracy.json
	$(PY) bench/transfer_learning.py --json out/bench/transfer.json
	$(PY) bench/griffin_lim.py --json out/bench/griffin_lim.json
	$(PY) bench/synthetic_corpus.py --json out/bench/synthetic_corpus.json
	$(PY) bench/rule_based_emotion.py --json out/bench/rule_based_emotion.json
	$(PY) bench/synthesis_speed.py --json out/bench/synthesis_speed.json
	$(PY) bench/training_speed.py --json out/bench/training_speed.json
	$(PY) bench/tflite.py --json out/bench/tflite.json
	$(PY) bench/fused_export.py --json out/bench/fused_export.json
	$(PY) bench/train_judge.py --out out/bench/judge4 --json out/bench/judge4.json
	$(PY) bench/train_judge.py --vocoder-augment --out out/bench/judge4v --json out/bench/judge4v.json
	$(PY) bench/measure_prosody.py --json out/bench/measured_prosody.json
	$(PY) bench/judge_vocoder.py --json out/bench/judge_vocoder.json
	$(PY) bench/synth_feature_gap.py --model synthesizer --model rule-based --json out/bench/synth_feature_gap.json
	$(PY) bench/f0_contour_probe.py --json out/bench/f0_contour_probe.json
	$(PY) bench/timbre_probe.py --json out/bench/timbre_probe.json
	$(PY) bench/period_confusion_probe.py --json out/bench/period_confusion_probe.json
	$(PY) -m ser_synth.cli critique --n 12 --json out/bench/critique.json --plots out/bench/critique
	$(PY) -m ser_synth.cli critique --synthesizer rule-based --n 24 --json out/bench/critique_rule_calibrated.json

clean:
	rm -rf out .pytest_cache
