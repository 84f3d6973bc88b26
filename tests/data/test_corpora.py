"""Each reader parses its corpus's own layout; fake trees for corpora not in ../shared/data."""

from pathlib import Path

import pytest

from ser_synth.data import read_corpora, read_corpus
from ser_synth.emotions import CORE4, canonical_emotion, parse_emotions
from ser_synth.exceptions import DataError
from tests.conftest import EMODB, RAVDESS, needs_emodb, needs_ravdess, tone, write_wav


def _touch(root: Path, rel: str):
    return write_wav(root / rel, tone(300, 0.1))


def test_ravdess_fake(tmp_path):
    _touch(tmp_path, "Actor_07/03-01-05-02-01-01-07.wav")
    _touch(tmp_path, "Actor_08/03-01-02-01-02-02-08.flac")
    (tmp_path / "Actor_08" / "notes.txt").write_text("not audio")
    recs = read_corpus(f"ravdess:{tmp_path}")
    assert [(r.emotion, r.speaker, r.gender, r.intensity) for r in recs] == [
        ("angry", "ravdess/07", "male", "strong"), ("calm", "ravdess/08", "female", "normal")]
    assert recs[0].text == "Kids are talking by the door."
    folded = read_corpus(f"ravdess:{tmp_path}", emotions=["neutral", "angry"], fold_calm=True)
    assert [r.emotion for r in folded] == ["angry", "neutral"]
    assert [r.emotion for r in read_corpus(f"ravdess:{tmp_path}", emotions=["neutral", "angry"])] == ["angry"]


def test_emodb_crema_tess_savee_fake(tmp_path):
    _touch(tmp_path / "emodb", "wav/03a01Wa.wav")
    _touch(tmp_path / "emodb", "wav/08b10Lc.ogg")
    recs = read_corpus(f"emodb:{tmp_path / 'emodb'}")
    assert [(r.emotion, r.speaker, r.gender, r.text_id) for r in recs] == [("angry", "emodb/03", "male", "a01"), ("boredom", "emodb/08", "female", "b10")]
    _touch(tmp_path / "crema", "AudioWAV/1001_DFA_ANG_XX.wav")
    _touch(tmp_path / "crema", "AudioWAV/1002_IEO_HAP_HI.mp3")
    (tmp_path / "crema" / "VideoDemographics.csv").write_text("ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,C,N\n1002,21,Female,C,N\n")
    recs = read_corpus(f"crema-d:{tmp_path / 'crema'}")
    assert [(r.emotion, r.speaker, r.gender, r.intensity, r.text) for r in recs] == [
        ("angry", "crema-d/1001", "male", None, "Don't forget a jacket."), ("happy", "crema-d/1002", "female", "HI", "It's eleven o'clock.")]
    _touch(tmp_path / "tess", "OAF_angry/OAF_back_angry.wav")
    _touch(tmp_path / "tess", "YAF_pleasant_surprised/YAF_bar_ps.wav")
    recs = read_corpus(f"tess:{tmp_path / 'tess'}")
    assert [(r.emotion, r.speaker, r.text) for r in recs] == [("angry", "tess/OAF", "Say the word back."), ("surprised", "tess/YAF", "Say the word bar.")]
    _touch(tmp_path / "savee", "AudioData/DC/sa01.wav")
    _touch(tmp_path / "savee", "JK_su12.wav")
    recs = read_corpus(f"savee:{tmp_path / 'savee'}")
    assert sorted((r.emotion, r.speaker) for r in recs) == [("sad", "savee/DC"), ("surprised", "savee/JK")]


def test_iemocap_casia_urdu_csv_fake(tmp_path):
    root = tmp_path / "iemocap"
    lab = root / "Session1/dialog/EmoEvaluation/Ses01F_impro01.txt"
    lab.parent.mkdir(parents=True)
    lab.write_text("% header\n[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
                   "[10.0 - 11.0]\tSes01F_impro01_M001\texc\t[3.0, 3.0, 3.0]\n[12.0 - 13.0]\tSes01F_impro01_M002\txxx\t[3.0, 3.0, 3.0]\n")
    for u in ("Ses01F_impro01_F000", "Ses01F_impro01_M001", "Ses01F_impro01_M002"):
        _touch(root, f"Session1/sentences/wav/Ses01F_impro01/{u}.wav")
    recs = read_corpus(f"iemocap:{root}")
    assert [(r.emotion, r.speaker, r.gender) for r in recs] == [("neutral", "iemocap/Ses01F", "female"), ("happy", "iemocap/Ses01M", "male")]
    _touch(tmp_path / "casia", "wangzhe/angry/201.wav")
    _touch(tmp_path / "casia", "liuchanhg/surprise/202.wav")
    recs = read_corpus(f"casia:{tmp_path / 'casia'}")
    assert sorted((r.emotion, r.speaker, r.gender) for r in recs) == [("angry", "casia/wangzhe", "male"), ("surprised", "casia/liuchanhg", "female")]
    _touch(tmp_path / "urdu", "Angry/SM1_F10_A010.wav")
    _touch(tmp_path / "urdu", "Sad/SF12_F3_S01.flac")
    recs = read_corpus(f"urdu:{tmp_path / 'urdu'}")
    assert [(r.emotion, r.speaker, r.gender) for r in recs] == [("angry", "urdu/SM1", "male"), ("sad", "urdu/SF12", "female")]
    _touch(tmp_path / "csvdata", "a.wav")
    (tmp_path / "csvdata" / "m.csv").write_text("path,emotion,speaker,gender\na.wav,Anger,spk1,female\n")
    recs = read_corpus(f"csv:{tmp_path / 'csvdata' / 'm.csv'}")
    assert recs[0].emotion == "angry" and recs[0].speaker == "csv/spk1" and Path(recs[0].path).is_file()
    both = read_corpora(f"urdu:{tmp_path / 'urdu'},casia:{tmp_path / 'casia'}", emotions=CORE4)
    assert len(both) == 3


def test_spec_errors(tmp_path):
    with pytest.raises(DataError, match="unknown corpus 'foo'"):
        read_corpus(f"foo:{tmp_path}")
    with pytest.raises(DataError, match="must look like"):
        read_corpus(str(tmp_path))
    with pytest.raises(DataError, match="folder not found"):
        read_corpus(f"ravdess:{tmp_path / 'missing'}")
    with pytest.raises(DataError, match="no ravdess files"):
        read_corpus(f"ravdess:{tmp_path}")
    (tmp_path / "bad.csv").write_text("file,label\nx.wav,angry\n")
    with pytest.raises(DataError, match="lacks columns"):
        read_corpus(f"csv:{tmp_path / 'bad.csv'}")


def test_emotion_vocabulary():
    assert canonical_emotion("Happiness") == "happy" and canonical_emotion("ps") == "surprised"
    assert parse_emotions("core4") == CORE4
    assert parse_emotions("neutral, anger") == ("neutral", "angry")
    with pytest.raises(DataError, match="unknown emotion 'joyful'"):
        parse_emotions("joyful")
    with pytest.raises(DataError, match="twice"):
        parse_emotions("angry,anger")


@needs_ravdess
@pytest.mark.slow
def test_real_ravdess_tree():
    recs = read_corpus(f"ravdess:{RAVDESS}")
    assert len(recs) == 1080
    assert len({r.speaker for r in recs}) == 18
    assert {r.emotion for r in recs} == {"neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"}


@needs_emodb
@pytest.mark.slow
def test_real_emodb_tree():
    recs = read_corpus(f"emodb:{EMODB}")
    assert len(recs) == 535 and len({r.speaker for r in recs}) == 10
    assert len(read_corpus(f"emodb:{EMODB}", emotions=CORE4)) == 339
