"""Corpus readers: each parses its corpus's own folder layout and file names.

Use :func:`read_corpus` with a spec string (``"ravdess:/data/ravdess"``) or
:func:`read_corpora` with a comma-separated list of specs.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ser_synth.audio.io import AUDIO_EXTENSIONS
from ser_synth.data.records import Utterance
from ser_synth.emotions import canonical_emotion, select_emotion
from ser_synth.exceptions import DataError

READERS: dict[str, Callable[[Path], list[Utterance]]] = {}


def _reader(name: str):
    def deco(fn):
        READERS[name] = fn
        return fn

    return deco


def _audio_files(root: Path, pattern: str = "**/*") -> list[Path]:
    return sorted(p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS and not p.name.startswith("."))


RAVDESS_EMOTIONS = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry", "06": "fearful", "07": "disgust", "08": "surprised"}
RAVDESS_TEXTS = {"01": "Kids are talking by the door.", "02": "Dogs are sitting by the door."}
_RAVDESS_RE = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")


@_reader("ravdess")
def read_ravdess(root: Path) -> list[Utterance]:
    """RAVDESS ``Actor_XX/MM-VV-EE-II-SS-RR-AA.<ext>`` (speech and song; odd actors male)."""
    out = []
    for p in _audio_files(root):
        m = _RAVDESS_RE.match(p.stem)
        if not m or m.group(3) not in RAVDESS_EMOTIONS:
            continue
        _mod, channel, emo, inten, stmt, _rep, actor = m.groups()
        out.append(Utterance(
            path=str(p), emotion=RAVDESS_EMOTIONS[emo], speaker=f"ravdess/{actor}", corpus="ravdess",
            gender="male" if int(actor) % 2 else "female", text=RAVDESS_TEXTS.get(stmt), text_id=f"{'song' if channel == '02' else 'speech'}-{stmt}",
            intensity={"01": "normal", "02": "strong"}.get(inten), raw_label=emo,
        ))
    return out


EMODB_EMOTIONS = {"W": "angry", "L": "boredom", "E": "disgust", "A": "fearful", "F": "happy", "T": "sad", "N": "neutral"}
EMODB_MALE = {"03", "10", "11", "12", "15"}
EMODB_TEXTS = {
    "a01": "Der Lappen liegt auf dem Eisschrank.", "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.", "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.", "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.", "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}
_EMODB_RE = re.compile(r"^(\d\d)([ab]\d\d)([WLEAFTN])([a-z])$")


@_reader("emodb")
def read_emodb(root: Path) -> list[Utterance]:
    """EMO-DB ``[wav/]SSTTTEv.<ext>``: speaker, text id, emotion letter, version."""
    out = []
    for p in _audio_files(root):
        m = _EMODB_RE.match(p.stem)
        if not m:
            continue
        spk, tid, emo, _v = m.groups()
        out.append(Utterance(
            path=str(p), emotion=EMODB_EMOTIONS[emo], speaker=f"emodb/{spk}", corpus="emodb",
            gender="male" if spk in EMODB_MALE else "female", text=EMODB_TEXTS.get(tid), text_id=tid, raw_label=emo,
        ))
    return out


CREMA_EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fearful", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
CREMA_TEXTS = {
    "IEO": "It's eleven o'clock.", "TIE": "That is exactly what happened.", "IOM": "I'm on my way to the meeting.",
    "IWW": "I wonder what this is about.", "TAI": "The airplane is almost full.", "MTI": "Maybe tomorrow it will be cold.",
    "IWL": "I would like a new alarm clock.", "ITH": "I think I have a doctor's appointment.",
    "DFA": "Don't forget a jacket.", "ITS": "I think I've seen this before.", "TSI": "The surface is slick.",
    "WSI": "We'll stop in a couple of minutes.",
}
_CREMA_RE = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")


def _crema_genders(root: Path) -> dict[str, str]:
    for demo in list(root.glob("VideoDemographics.csv")) + list(root.parent.glob("VideoDemographics.csv")):
        with open(demo, newline="") as f:
            return {row["ActorID"].strip(): row["Sex"].strip().lower() for row in csv.DictReader(f) if row.get("ActorID")}
    return {}


@_reader("crema-d")
def read_crema_d(root: Path) -> list[Utterance]:
    """CREMA-D ``[AudioWAV/]AAAA_SSS_EEE_LL.<ext>`` (gender from VideoDemographics.csv if present)."""
    genders = _crema_genders(root)
    out = []
    for p in _audio_files(root):
        m = _CREMA_RE.match(p.stem)
        if not m or m.group(3) not in CREMA_EMOTIONS:
            continue
        actor, sent, emo, lvl = m.groups()
        out.append(Utterance(
            path=str(p), emotion=CREMA_EMOTIONS[emo], speaker=f"crema-d/{actor}", corpus="crema-d",
            gender=genders.get(actor), text=CREMA_TEXTS.get(sent), text_id=sent,
            intensity=None if lvl == "XX" else lvl, raw_label=emo,
        ))
    return out


_TESS_RE = re.compile(r"^(OAF|YAF)_(.+)_(angry|disgust|fear|happy|neutral|ps|sad)$", re.IGNORECASE)


@_reader("tess")
def read_tess(root: Path) -> list[Utterance]:
    """TESS ``[*/]{OAF|YAF}_<word>_<emotion>.<ext>`` (two female speakers, "Say the word ...")."""
    out = []
    for p in _audio_files(root):
        m = _TESS_RE.match(p.stem)
        if not m:
            continue
        spk, word, emo = m.groups()
        out.append(Utterance(
            path=str(p), emotion=canonical_emotion(emo), speaker=f"tess/{spk.upper()}", corpus="tess",
            gender="female", text=f"Say the word {word.lower()}.", text_id=word.lower(), raw_label=emo,
        ))
    return out


SAVEE_EMOTIONS = {"a": "angry", "d": "disgust", "f": "fearful", "h": "happy", "n": "neutral", "sa": "sad", "su": "surprised"}
_SAVEE_RE = re.compile(r"^(?:(DC|JE|JK|KL)_)?(a|d|f|h|n|sa|su)(\d\d)$")


@_reader("savee")
def read_savee(root: Path) -> list[Utterance]:
    """SAVEE ``AudioData/{DC,JE,JK,KL}/<e><nn>.wav`` or flat ``{DC,JE,JK,KL}_<e><nn>.wav`` (4 male speakers)."""
    out = []
    for p in _audio_files(root):
        m = _SAVEE_RE.match(p.stem)
        if not m:
            continue
        spk = m.group(1) or p.parent.name
        if spk not in ("DC", "JE", "JK", "KL"):
            continue
        out.append(Utterance(
            path=str(p), emotion=SAVEE_EMOTIONS[m.group(2)], speaker=f"savee/{spk}", corpus="savee",
            gender="male", text_id=f"{m.group(2)}{m.group(3)}", raw_label=m.group(2),
        ))
    return out


_IEMOCAP_LINE = re.compile(r"^\[[\d.]+ - [\d.]+\]\s+(Ses(\d\d)([MF])_\S+?_([MF])\d+)\s+(\w+)\s+\[")
_IEMOCAP_DROP = {"xxx", "oth"}


@_reader("iemocap")
def read_iemocap(root: Path) -> list[Utterance]:
    """IEMOCAP ``SessionN/dialog/EmoEvaluation/*.txt`` labels + ``SessionN/sentences/wav/<dialog>/<utt>.wav``.

    Speaker is session + the utterance speaker's gender (10 speakers); ``exc`` maps to happy
    (the usual 4-class merge); ``xxx``/``oth`` are left out.
    """
    out = []
    for lab in sorted(root.glob("Session*/dialog/EmoEvaluation/*.txt")):
        session_dir = lab.parents[2]
        for line in lab.read_text(errors="replace").splitlines():
            m = _IEMOCAP_LINE.match(line)
            if not m:
                continue
            utt, sess, _dlg_gender, spk_gender, emo = m.groups()
            if emo in _IEMOCAP_DROP:
                continue
            dialog = utt.rsplit("_", 1)[0]
            wavs = _audio_files(session_dir / "sentences" / "wav" / dialog, f"{utt}.*")
            if not wavs:
                continue
            out.append(Utterance(
                path=str(wavs[0]), emotion=canonical_emotion(emo), speaker=f"iemocap/Ses{sess}{spk_gender}", corpus="iemocap",
                gender="male" if spk_gender == "M" else "female", text_id=utt, raw_label=emo,
            ))
    return out


CASIA_SPEAKERS = {"liuchanhg": "female", "wangzhe": "male", "zhaoquanyin": "female", "zhaozuoxiang": "male"}
CASIA_EMOTIONS = {"angry": "angry", "fear": "fearful", "happy": "happy", "neutral": "neutral", "sad": "sad", "surprise": "surprised"}


@_reader("casia")
def read_casia(root: Path) -> list[Utterance]:
    """CASIA ``<speaker>/<emotion>/<id>.<ext>`` (4 Mandarin speakers, 6 emotions)."""
    out = []
    for p in _audio_files(root):
        emo_dir, spk_dir = p.parent.name.lower(), p.parent.parent.name
        if emo_dir not in CASIA_EMOTIONS:
            continue
        out.append(Utterance(
            path=str(p), emotion=CASIA_EMOTIONS[emo_dir], speaker=f"casia/{spk_dir}", corpus="casia",
            gender=CASIA_SPEAKERS.get(spk_dir.lower()), text_id=p.stem, raw_label=emo_dir,
        ))
    return out


URDU_EMOTIONS = {"A": "angry", "H": "happy", "N": "neutral", "S": "sad"}
_URDU_RE = re.compile(r"^S([MF])(\d+)_F(\d+)_([AHNS])(\d+)$")


@_reader("urdu")
def read_urdu(root: Path) -> list[Utterance]:
    """URDU ``{Angry,Happy,Neutral,Sad}/S{M|F}{id}_F{n}_{A|H|N|S}{k}.<ext>``."""
    out = []
    for p in _audio_files(root):
        m = _URDU_RE.match(p.stem)
        if not m:
            continue
        g, sid, _f, emo, _k = m.groups()
        out.append(Utterance(
            path=str(p), emotion=URDU_EMOTIONS[emo], speaker=f"urdu/S{g}{sid}", corpus="urdu",
            gender="male" if g == "M" else "female", text_id=p.stem, raw_label=emo,
        ))
    return out


def read_csv_manifest(path: Path) -> list[Utterance]:
    """CSV with columns ``path, emotion, speaker`` (+ optional ``gender, text, intensity, corpus``).

    Relative paths are resolved against the CSV's folder.
    """
    if not path.is_file():
        raise DataError(f"CSV manifest not found: {str(path)!r}")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = {"path", "emotion", "speaker"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"CSV manifest {str(path)!r} lacks columns {sorted(missing)}; has {reader.fieldnames}")
        out = []
        for i, row in enumerate(reader, start=2):
            audio = Path(row["path"])
            if not audio.is_absolute():
                audio = path.parent / audio
            try:
                emotion = canonical_emotion(row["emotion"])
            except DataError as exc:
                raise DataError(f"{path}:{i}: {exc}") from None
            corpus = (row.get("corpus") or "csv").strip()
            out.append(Utterance(
                path=str(audio), emotion=emotion, speaker=f"{corpus}/{row['speaker'].strip()}", corpus=corpus,
                gender=(row.get("gender") or None), text=(row.get("text") or None), intensity=(row.get("intensity") or None),
                raw_label=row["emotion"],
            ))
    return out


CORPORA = tuple(sorted(READERS)) + ("csv", "synthetic")


def read_corpus(spec: str, *, emotions: Sequence[str] | None = None, fold_calm: bool = False) -> list[Utterance]:
    """Read one corpus spec ``"<corpus>:<dir or file>"``; filter/map emotions.

    ``"synthetic:<options>"`` renders (or reuses from cache) the embedded espeak-ng corpus;
    options are ``key=value`` pairs of :class:`ser_synth.data.synthetic.SyntheticCorpusConfig`
    (``"synthetic:n_sentences=100,seed=2"``; ``"synthetic:"`` for the defaults).

    Raises
    ------
    DataError
        Unknown corpus name, missing folder, or a corpus with no recognisable files.
    """
    if ":" not in spec:
        raise DataError(f"corpus spec {spec!r} must look like '<corpus>:<path>' with corpus one of {', '.join(CORPORA)}")
    name, _, where = spec.partition(":")
    name = name.strip().lower()
    root = Path(where).expanduser()
    if name == "csv":
        records = read_csv_manifest(root)
    elif name == "synthetic":
        from ser_synth.data.synthetic import parse_synthetic_spec, synthetic_corpus

        records = synthetic_corpus(parse_synthetic_spec(where), verbose=0)
    elif name in READERS:
        if not root.is_dir():
            raise DataError(f"{name} corpus folder not found: {str(root)!r}")
        records = READERS[name](root)
    else:
        raise DataError(f"unknown corpus {name!r} in spec {spec!r}; expected one of {', '.join(CORPORA)}")
    if not records:
        raise DataError(f"no {name} files found under {str(root)!r} (check the folder layout and file names)")
    return filter_emotions(records, emotions, fold_calm=fold_calm)


def filter_emotions(records: Iterable[Utterance], emotions: Sequence[str] | None, *, fold_calm: bool = False) -> list[Utterance]:
    """Keep records whose (optionally calm-folded) emotion is in ``emotions`` (all if None)."""
    from dataclasses import replace

    out = []
    for r in records:
        label = select_emotion(r.emotion, emotions, fold_calm=fold_calm)
        if label is not None:
            out.append(r if label == r.emotion else replace(r, emotion=label))
    return out


def _split_specs(text: str) -> list[str]:
    """Split a comma-separated spec list; ``key=value`` pieces continue the previous spec
    (``"ravdess:/d,synthetic:n_sentences=9,seed=2"`` is two specs)."""
    specs: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        if specs and ":" not in piece and "=" in piece:
            specs[-1] += "," + piece
        else:
            specs.append(piece)
    return specs


def read_corpora(specs: str | Sequence[str], *, emotions: Sequence[str] | None = None, fold_calm: bool = False) -> list[Utterance]:
    """Read and concatenate several specs (a comma-separated string or a list)."""
    if isinstance(specs, str):
        specs = _split_specs(specs)
    if not specs:
        raise DataError("no corpus spec given")
    records = []
    for s in specs:
        records.extend(read_corpus(s.strip(), emotions=emotions, fold_calm=fold_calm))
    if not records:
        raise DataError(f"no utterances left after selecting emotions {list(emotions or [])} from {list(specs)}")
    return records
