"""Evaluation figures (WA, UAR, macro-F1, per-class, confusion, ROC-AUC, per-speaker) and plots."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np

from ser_synth.exceptions import DataError
from ser_synth.report import save_figure
from ser_synth.utils import ensure_folder


def evaluation_report(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str],
                      speakers: Sequence[str] | None = None) -> dict:
    """All figures for one evaluation.

    Parameters
    ----------
    y_true : sequence of str, length n
        True labels, each in ``classes``.
    proba : np.ndarray, shape (n, len(classes))
        Predicted probabilities, columns in ``classes`` order.
    speakers : sequence of str, optional
        Speaker of each utterance, for per-speaker accuracy.

    Returns
    -------
    dict with ``wa``, ``uar``, ``macro_f1``, ``n``, ``labels``, ``confusion`` (rows true,
    columns predicted, in ``labels`` order), ``per_class``, ``roc_auc_ovr``, ``per_speaker``.
    """
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support, roc_auc_score

    classes = list(classes)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[t] for t in y_true])
    pred = np.argmax(proba, axis=1)
    labels = list(range(len(classes)))
    prec, rec, f1, support = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    present = sorted(set(y.tolist()))
    report = {
        "n": int(len(y)),
        "labels": classes,
        "wa": float(accuracy_score(y, pred)),
        "uar": float(balanced_accuracy_score(y, pred)) if len(present) > 0 else float("nan"),
        "macro_f1": float(f1_score(y, pred, labels=present, average="macro", zero_division=0)),
        "confusion": confusion_matrix(y, pred, labels=labels).tolist(),
        "per_class": {c: {"precision": float(prec[i]), "recall": float(rec[i]), "f1": float(f1[i]), "support": int(support[i])}
                      for i, c in enumerate(classes)},
    }
    try:
        if len(present) == len(classes) and len(classes) > 2:
            report["roc_auc_ovr"] = float(roc_auc_score(y, proba, multi_class="ovr", labels=labels))
        elif len(classes) == 2 and len(present) == 2:
            report["roc_auc_ovr"] = float(roc_auc_score(y, proba[:, 1]))
        else:
            report["roc_auc_ovr"] = None
    except ValueError:
        report["roc_auc_ovr"] = None
    if speakers is not None:
        hits = defaultdict(list)
        for s, t, p in zip(speakers, y, pred):
            hits[s].append(t == p)
        report["per_speaker"] = {s: {"accuracy": float(np.mean(h)), "n": len(h)} for s, h in sorted(hits.items())}
    else:
        report["per_speaker"] = {}
    return report


def speaker_prior_correction(proba: np.ndarray, speakers: Sequence[str], *, min_utterances: int = 8) -> np.ndarray:
    """Unsupervised per-speaker adaptation of predicted probabilities.

    For each speaker, the mean log-probability of every class over that speaker's utterances is
    subtracted and the rows are renormalised. This removes a speaker-wide bias (a voice the model
    hears as sad whatever the speaker acts) using only unlabeled audio of that speaker. It assumes
    each speaker shows a mix of emotions: on a speaker who shows only one, it hurts.

    Parameters
    ----------
    proba : np.ndarray, shape (n, classes)
        Predicted probabilities.
    speakers : sequence of str, length n
        Speaker of each row.
    min_utterances : int
        Speakers with fewer rows are left unchanged (too few to estimate a bias).

    Returns
    -------
    np.ndarray, shape (n, classes): corrected probabilities, rows sum to 1.
    """
    proba = np.asarray(proba, dtype=np.float64)
    speakers = np.asarray(list(speakers), dtype=object)
    if proba.ndim != 2 or not np.all(np.isfinite(proba)):
        raise DataError(f"proba must be a finite 2-D array (n, classes), got shape {proba.shape}")
    if len(speakers) != len(proba):
        raise DataError(f"speakers has {len(speakers)} entries but proba has {len(proba)} rows")
    logp = np.log(np.clip(proba, 1e-7, 1.0))
    for s in set(speakers.tolist()):
        rows = speakers == s
        if rows.sum() >= min_utterances:
            logp[rows] -= logp[rows].mean(axis=0)
    out = np.exp(logp - logp.max(axis=1, keepdims=True))
    return out / out.sum(axis=1, keepdims=True)


def evaluate_records(model, records, *, speaker_adapt: bool = False) -> dict:
    """:func:`evaluation_report` of a fitted recognizer on records whose emotion it knows.

    ``n_excluded`` / ``excluded_emotions`` count the others; ``speaker_disjoint`` says whether no
    evaluation speaker was in the model's training data. ``speaker_adapt`` applies
    :func:`speaker_prior_correction` (transductive: it uses the other test utterances of each
    speaker, unlabeled); the report says so in ``speaker_adapted``.
    """
    known = set(model.classes_.tolist())
    kept = [r for r in records if r.emotion in known]
    if not kept:
        raise DataError(f"no utterance has an emotion the model knows ({sorted(known)})")
    speakers = [r.speaker for r in kept]
    proba = model.predict_proba(kept)
    if speaker_adapt:
        proba = speaker_prior_correction(proba, speakers)
    report = evaluation_report([r.emotion for r in kept], proba, model.classes_.tolist(), speakers)
    report["n_excluded"] = len(records) - len(kept)
    report["excluded_emotions"] = sorted({r.emotion for r in records} - known)
    report["speaker_disjoint"] = not (set(getattr(model, "train_speakers_", [])) & set(speakers))
    report["speaker_adapted"] = bool(speaker_adapt)
    return report


def format_table(report: dict) -> str:
    """Plain-text summary table of a report."""
    lines = [f"n={report['n']}  WA={report['wa']:.3f}  UAR={report['uar']:.3f}  macro-F1={report['macro_f1']:.3f}"
             + (f"  ROC-AUC={report['roc_auc_ovr']:.3f}" if report.get("roc_auc_ovr") is not None else "")]
    lines.append(f"{'class':<12}{'prec':>7}{'recall':>8}{'f1':>7}{'n':>6}")
    for c, m in report["per_class"].items():
        lines.append(f"{c:<12}{m['precision']:>7.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}{m['support']:>6d}")
    for s, m in report.get("per_speaker", {}).items():
        lines.append(f"speaker {s:<16} acc={m['accuracy']:.3f} (n={m['n']})")
    return "\n".join(lines)


def write_json(obj, path: str | Path) -> Path:
    """Write JSON atomically."""
    from ser_synth.utils import atomic_write_text

    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default))


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def plot_report(report: dict, out_dir: str | Path, *, history: dict | None = None, prefix: str = "") -> list[Path]:
    """Confusion matrix, per-speaker bars and (if given) training curves as PNGs in ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = ensure_folder(out_dir)
    written = []
    labels, cm = report["labels"], np.array(report["confusion"], dtype=float)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * len(labels), 0.8 + 0.7 * len(labels)))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", color="white" if norm[i, j] > 0.5 else "black", fontsize=8)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"UAR {report['uar']:.3f}  WA {report['wa']:.3f}  (n={report['n']})")
    fig.tight_layout()
    written.append(save_figure(fig, out_dir / f"{prefix}confusion.png"))
    if report.get("per_speaker"):
        spk = report["per_speaker"]
        fig, ax = plt.subplots(figsize=(max(4, 0.4 * len(spk) + 1), 3))
        ax.bar(range(len(spk)), [v["accuracy"] for v in spk.values()], color="tab:blue")
        ax.set_xticks(range(len(spk)), list(spk), rotation=60, ha="right", fontsize=7)
        ax.set_ylim(0, 1)
        ax.set_ylabel("accuracy")
        ax.set_title("per-speaker accuracy")
        fig.tight_layout()
        written.append(save_figure(fig, out_dir / f"{prefix}per_speaker.png"))
    if history:
        written.append(plot_history(history, out_dir / f"{prefix}training_curves.png"))
    return written


def plot_history(history: dict, path: str | Path) -> Path:
    """Training loss and validation UAR per epoch as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3))
    for key in ("loss", "emotion_loss", "speaker_loss"):
        if key in history:
            axes[0].plot(history[key], label=key)
    axes[0].set_xlabel("epoch")
    axes[0].legend(fontsize=7)
    axes[0].set_title("training loss")
    if "val_uar" in history:
        axes[1].plot(history["val_uar"], label="val UAR", color="tab:green")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylim(0, 1)
    axes[1].legend(fontsize=7)
    axes[1].set_title("validation UAR (held-out speakers)")
    fig.tight_layout()
    return save_figure(fig, path)
