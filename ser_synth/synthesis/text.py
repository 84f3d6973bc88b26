"""Text front-end: normalisation, symbols, chunking, and the same tokenisation in TF string ops.

Rules (documented because they decide what the model hears):

- Unicode is NFKC-normalised; accented Latin letters lose their accents (``café`` -> ``cafe``).
- Numbers are read out: integers (with thousands commas), decimals (``3.5`` -> "three point
  five"), ordinals (``21st``), times (``10:30``), currency (``$5``) and percent; common
  abbreviations (``Dr.``, ``Mr.``, ``etc.``) and symbols (``&``, ``%``, ``+``, ``@``) are
  spelled out. Text is lower-cased.
- Kept punctuation: ``! ' ( ) , - . : ; ?``; quotes and brackets of other shapes map to these.
- Any other character (emoji, other scripts, control characters) is dropped. If nothing
  speakable is left, :class:`TextError` names the input.

The exported graph (:func:`tf_normalize` + :func:`tf_encode`) runs the character-level rules
in TF string ops; it reads digits one by one ("42" -> "four two") because number grammar is not
expressible with regexes, so callers of an exported model should pass normalised text (as
:func:`normalize_text` makes) for the best reading.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from ser_synth.exceptions import SerSynthError

PAD, EOS = "_", "~"
PUNCTUATION = "!'(),-.:;? "
LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: Character vocabulary; index 0 is padding, 1 end-of-sentence.
CHARACTERS: tuple[str, ...] = (PAD, EOS) + tuple(PUNCTUATION) + tuple(LETTERS)
#: IPA symbols espeak-ng emits for English, plus stress and length marks.
IPA = tuple("aæɐɑɒbdðeəɚɛɜɝfɡhiɪjklmnŋoɔɹsʃtθuʊʌvwʒzʔɾɬ") + ("ˈ", "ˌ", "ː", "ᵻ", "ɫ", "ʲ", "̩", "x", "ç", "r", "p", "g", "y", "ø", "œ", "ɣ", "ʁ", "ʏ")
PHONEMES: tuple[str, ...] = (PAD, EOS) + tuple(PUNCTUATION) + tuple(dict.fromkeys(IPA))
MAX_CHARS = 400


class TextError(SerSynthError, ValueError):
    """Text that cannot be spoken: empty, not a string, or nothing speakable left."""


_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10 ** 12, "trillion"), (10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand"), (100, "hundred")]
_ORDINAL_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                      "nine": "ninth", "twelve": "twelfth"}


def number_to_words(n: int) -> str:
    """English cardinal of a non-negative integer below 10**15 (``1205`` -> "one thousand two hundred five")."""
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n >= 10 ** 15:
        return " ".join(_ONES[int(d)] for d in str(n))
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return f"{number_to_words(head)} {name}" + ("" if rest == 0 else " " + number_to_words(rest))
    raise AssertionError(n)  # pragma: no cover


def ordinal_to_words(n: int) -> str:
    words = number_to_words(n).split()
    last = words[-1]
    if last in _ORDINAL_IRREGULAR:
        words[-1] = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


_ABBREVIATIONS = {
    "mr": "mister", "mrs": "missus", "ms": "miss", "dr": "doctor", "st": "saint", "prof": "professor", "jr": "junior",
    "sr": "senior", "capt": "captain", "lt": "lieutenant", "gen": "general", "col": "colonel", "sgt": "sergeant",
    "no": "number", "vs": "versus", "etc": "et cetera", "approx": "approximately", "dept": "department", "mt": "mount",
}
_ABBREV_RE = re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")\.(?=\s|$)", re.IGNORECASE)
_EG_RE = re.compile(r"\b(e\.g|i\.e)\.", re.IGNORECASE)
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "=": " equals ", "@": " at ", "#": " number ", "/": " ",
            "_": " ", "*": " ", "\u2026": ".", "\u2013": "-", "\u2014": ", ", "\u2018": "'", "\u2019": "'",
            "\u201c": "", "\u201d": "", '"': "", "[": "(", "]": ")", "{": "(", "}": ")", "<": "(", ">": ")"}
_CURRENCY_RE = re.compile(r"([$€£])\s?(\d[\d,]*)(?:\.(\d\d))?")
_CURRENCY = {"$": ("dollar", "cent"), "€": ("euro", "cent"), "£": ("pound", "penny")}
_TIME_RE = re.compile(r"\b(\d{1,2}):(\d\d)\b")
_ORDINAL_RE = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_DECIMAL_RE = re.compile(r"\b(\d[\d,]*)\.(\d+)\b")
_INT_RE = re.compile(r"\d[\d,]*\d|\d")


def _int(s: str) -> int:
    return int(s.replace(",", ""))


def _currency(m: re.Match) -> str:
    unit, sub = _CURRENCY[m.group(1)]
    whole = _int(m.group(2))
    out = f"{number_to_words(whole)} {unit}{'' if whole == 1 else 's'}"
    if m.group(3) and int(m.group(3)):
        cents = int(m.group(3))
        out += f" {number_to_words(cents)} {sub if cents == 1 else ('pence' if sub == 'penny' else sub + 's')}"
    return out


def _time(m: re.Match) -> str:
    h, mnt = int(m.group(1)), int(m.group(2))
    if mnt == 0:
        return f"{number_to_words(h)} o'clock"
    return f"{number_to_words(h)} {'oh ' + number_to_words(mnt) if mnt < 10 else number_to_words(mnt)}"


def normalize_text(text: str) -> str:
    """Speakable lower-case text over :data:`CHARACTERS` (see the module rules).

    Raises
    ------
    TextError
        ``text`` is not a string, is empty or whitespace, or has nothing speakable.
    """
    if not isinstance(text, str):
        raise TextError(f"text must be a str, got {type(text).__name__}")
    if not text.strip():
        raise TextError(f"text is empty or only whitespace: {text!r}")
    s = unicodedata.normalize("NFKC", text)
    s = _EG_RE.sub(lambda m: "for example" if m.group(1).lower() == "e.g" else "that is", s)
    s = _ABBREV_RE.sub(lambda m: _ABBREVIATIONS[m.group(1).lower()], s)
    s = _CURRENCY_RE.sub(_currency, s)
    s = _TIME_RE.sub(_time, s)
    s = _ORDINAL_RE.sub(lambda m: ordinal_to_words(_int(m.group(1))), s)
    s = _DECIMAL_RE.sub(lambda m: f"{number_to_words(_int(m.group(1)))} point {' '.join(_ONES[int(d)] for d in m.group(2))}", s)
    s = _INT_RE.sub(lambda m: f" {number_to_words(_int(m.group(0)))} ", s)
    s = "".join(_SYMBOLS.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = "".join(ch if ch in CHARACTERS[2:] else (" " if ch.isspace() else "") for ch in s)
    s = re.sub(r"\s+([!),.:;?])", r"\1", re.sub(r"\s+", " ", s)).strip()
    if not any(ch in LETTERS for ch in s):
        raise TextError(f"nothing speakable in {text[:80]!r} (letters a-z, digits and {PUNCTUATION.strip()!r} are read; other characters are dropped)")
    return s


def split_text(text: str, *, max_chars: int = 200) -> list[str]:
    """Split normalised text into chunks of at most ``max_chars`` at sentence, clause, then word
    boundaries, so long inputs are synthesised piece by piece instead of failing."""
    if max_chars < 20:
        raise TextError(f"max_chars must be >= 20, got {max_chars!r}")
    chunks: list[str] = []
    for sentence in re.split(r"(?<=[.!?;])\s+", text.strip()):
        while len(sentence) > max_chars:
            cut = max(sentence.rfind(", ", 0, max_chars), sentence.rfind(" ", 0, max_chars))
            cut = cut if cut > 0 else max_chars
            chunks.append(sentence[:cut + 1].strip())
            sentence = sentence[cut + 1:].strip()
        if sentence:
            chunks.append(sentence)
    return chunks


class TextEncoder:
    """Text -> symbol ids (characters, or espeak-ng IPA phonemes), with EOS appended.

    Parameters
    ----------
    symbols : {"characters", "phonemes"}
        Phonemes need espeak-ng and cannot run inside an exported graph.
    """

    def __init__(self, symbols: str = "characters"):
        if symbols not in ("characters", "phonemes"):
            raise TextError(f"TextEncoder symbols must be 'characters' or 'phonemes', got {symbols!r}")
        self.symbols = symbols
        self.vocabulary = CHARACTERS if symbols == "characters" else PHONEMES
        self._index = {s: i for i, s in enumerate(self.vocabulary)}

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    def to_symbols(self, text: str) -> str:
        """Normalised text, or its IPA phonemes."""
        s = normalize_text(text)
        if self.symbols == "phonemes":
            from ser_synth.data.espeak import phonemize

            s = phonemize(s)
        return s

    def encode(self, text: str) -> np.ndarray:
        """int32 ids ``[symbols + 1]`` (last is EOS); unknown symbols are dropped."""
        s = self.to_symbols(text)
        return np.array([self._index[c] for c in s if c in self._index] + [self._index[EOS]], np.int32)

    def decode(self, ids) -> str:
        return "".join(self.vocabulary[int(i)] for i in ids if int(i) > 1)

    def get_config(self) -> dict:
        return {"symbols": self.symbols}


def pad_ids(ids) -> np.ndarray:
    """Id sequences (:meth:`TextEncoder.encode` results) -> int32 ``[n, longest]``, padded with
    0 (the pad symbol) at the end: the acoustic model's ``tokens`` input."""
    out = np.zeros((len(ids), max(len(x) for x in ids)), np.int32)
    for i, x in enumerate(ids):
        out[i, :len(x)] = x
    return out


def tf_normalize(texts):
    """Character-level normalisation in TF string ops, ``string [batch] -> string [batch]``.

    Lower-cases, maps symbols and quote/dash shapes, reads digits one by one, drops other
    characters and collapses spaces (see the module notes). Accented letters are dropped, not
    stripped: pass :func:`normalize_text` output for non-ASCII text.
    """
    import tensorflow as tf

    s = tf.strings.lower(tf.convert_to_tensor(texts, tf.string), encoding="utf-8")
    for src, dst in list(_SYMBOLS.items()) + [("!", "!")]:
        if src != dst:
            s = tf.strings.regex_replace(s, re.escape(src), dst)
    for d, word in enumerate(_ONES[:10]):
        s = tf.strings.regex_replace(s, str(d), f" {word} ")
    s = tf.strings.regex_replace(s, r"\s", " ")
    s = tf.strings.regex_replace(s, r"[^a-z!'(),\-.:;? ]", "")
    s = tf.strings.regex_replace(s, " +", " ")
    s = tf.strings.regex_replace(s, r" ([!),.:;?])", r"\1")
    return tf.strings.strip(s)


def character_table():
    """``tf.lookup.StaticHashTable`` from Unicode code point to character id (-1: not a symbol).

    Make it once and keep it on a ``tf.Module`` when the encoding goes into a SavedModel."""
    import tensorflow as tf

    keys = tf.constant([ord(c) for c in CHARACTERS[2:]], tf.int32)
    return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, tf.range(2, len(CHARACTERS), dtype=tf.int32)), default_value=-1)


def tf_encode(texts, table=None):
    """Character ids in TF ops: ``string [batch]`` -> (``int32 [batch, max_len]`` zero-padded, ``int32 [batch]`` lengths).

    Same ids as ``TextEncoder("characters").encode`` for normalised text; EOS appended.
    ``table`` is a :func:`character_table` (made here if not given).
    """
    import tensorflow as tf

    codes = tf.strings.unicode_decode(tf.convert_to_tensor(texts, tf.string), "UTF-8")
    if table is None:
        table = character_table()
    ids = tf.ragged.map_flat_values(table.lookup, codes)
    ids = tf.ragged.boolean_mask(ids, ids >= 0)
    eos = tf.ones([ids.nrows(), 1], tf.int32)
    ids = tf.concat([ids, tf.RaggedTensor.from_tensor(eos)], axis=1)
    return ids.to_tensor(0), tf.cast(ids.row_lengths(), tf.int32)
