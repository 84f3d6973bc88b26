"""Corpus readers, speaker-disjoint splits, tf.data pipelines and augmentation."""

from ser_synth.data.corpora import CORPORA, read_corpora, read_corpus
from ser_synth.data.records import Utterance
from ser_synth.data.splits import SpeakerSplit, grouped_kfold, holdout_split, leave_one_speaker_out, validation_split

__all__ = [
    "CORPORA", "SpeakerSplit", "Utterance", "grouped_kfold", "holdout_split", "leave_one_speaker_out",
    "read_corpora", "read_corpus", "validation_split",
]
