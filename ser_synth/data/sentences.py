"""A small English sentence grammar written for this project: unbounded, varied, seeded text.

Sentences are built from templates over word lists (people, things, places, times, verbs),
so the embedded corpus covers many words and sentence shapes without any downloaded text.
"""

from __future__ import annotations

import numpy as np

PEOPLE = ["my sister", "the old man", "our neighbour", "the teacher", "a young girl", "the doctor", "your brother",
          "the children", "my friend", "the driver", "the baker", "her mother", "the captain", "a stranger",
          "the students", "his father", "the nurse", "the farmer", "my cousin", "the lawyer"]
NAMES = ["Anna", "Peter", "Maria", "James", "Lucy", "Oliver", "Sophie", "Daniel", "Emma", "Thomas", "Grace", "Henry",
         "Alice", "George", "Laura", "Michael", "Ruth", "Samuel", "Clara", "Victor"]
THINGS = ["the letter", "a red umbrella", "the keys", "the old piano", "a cup of tea", "the newspaper", "the blue car",
          "a heavy box", "the window", "the garden gate", "a small dog", "the birthday cake", "the photographs",
          "the last train", "a paper bag", "the wooden chair", "the map", "a silver ring", "the green bottle",
          "the kitchen door"]
PLACES = ["in the kitchen", "at the station", "by the river", "on the table", "near the school", "in the garden",
          "at the market", "behind the house", "under the bridge", "in the office", "at the corner", "on the hill",
          "by the window", "in the village", "at the harbour", "across the street"]
TIMES = ["this morning", "last night", "tomorrow", "on Sunday", "after lunch", "every evening", "in the spring",
         "before dinner", "at midnight", "next week", "yesterday", "right now", "in ten minutes", "at noon"]
VERBS_PAST = ["found", "lost", "painted", "carried", "opened", "sold", "bought", "moved", "cleaned", "broke",
              "forgot", "hid", "fixed", "dropped", "wrapped", "noticed"]
VERBS_INF = ["find", "open", "carry", "sell", "paint", "clean", "fix", "bring", "check", "move", "hide", "take"]
ADJECTIVES = ["cold", "quiet", "late", "strange", "beautiful", "empty", "ready", "broken", "wonderful", "dark",
              "bright", "tired", "lucky", "early", "warm", "busy"]
SUBJECTS = ["the room", "the weather", "the road", "the house", "the music", "the sky", "the water", "the city",
            "the film", "the meeting", "the party", "the shop"]

_TEMPLATES = [
    "{person} {past} {thing} {place}.",
    "{name} {past} {thing} {time}.",
    "{subject} was {adj} {time}.",
    "Did {person} {inf} {thing} {place}?",
    "Why is {subject} so {adj}?",
    "We have to {inf} {thing} before {name} comes back.",
    "{name} said that {subject} is {adj}.",
    "There are {count} {plural} {place}.",
    "I think {person} {past} {thing}.",
    "Please {inf} {thing} {time}.",
    "{name} and {name2} met {place} {time}.",
    "It is {adj} {place} {time}.",
    "Where did {person} put {thing}?",
    "The train leaves at {hour} o'clock.",
    "{subject} looks {adj} today.",
    "Nobody told me that {name} {past} {thing}.",
]
PLURALS = ["chairs", "apples", "birds", "books", "cars", "boats", "lamps", "people", "trees", "houses", "letters", "cups"]
COUNTS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty"]
HOURS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]


# Short things people type (greetings, answers, calls): a model trained on sentences alone
# squeezes a one-word text into a few frames. These teach it their own words, not new ones
# (docs/RESULTS.md, "Short texts"). Kept free of the words in bench/synthesis_quality.py's unseen
# short texts ("Hey.", "Sure.", "Maybe." ...).
_PHRASE_TEMPLATES = [
    "Hello.", "Hi.", "Hi, {name}.", "Yes.", "No.", "Okay.", "Thanks.", "Thank you.", "Good morning.", "Good night.",
    "Really?", "Why?", "Why not?", "Come here!", "Wait!", "Stop it.", "Not now.", "I know.", "Of course.", "Oh no!",
    "Well done.", "Sorry.", "Please.", "{name}!", "{name}?", "Where?", "What is it?", "Look!", "Go away.", "{adj}.",
    "So {adj}!", "It is {adj}.", "{inf} it.", "{inf} {thing}!", "Not {thing}!", "{thing}?", "{name}, come here.",
    "See you {time}.", "{count} {plural}.", "At {hour}.", "Yes, {name}.", "No, {person}.",
]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _generate(templates: list[str], n: int, seed: int, what: str) -> list[str]:
    if not isinstance(n, int) or n < 0:
        from ser_synth.exceptions import ConfigError

        raise ConfigError(f"{what} needs a non-negative int n, got {n!r}")
    rng = np.random.default_rng(seed)
    out, seen = [], set()
    pick = lambda xs: xs[int(rng.integers(len(xs)))]  # noqa: E731
    attempts = 0
    while len(out) < n and attempts < 50 * n + 100:
        attempts += 1
        name = pick(NAMES)
        s = pick(templates).format(
            person=pick(PEOPLE), name=name, name2=pick([x for x in NAMES if x != name]), thing=pick(THINGS),
            place=pick(PLACES), time=pick(TIMES), past=pick(VERBS_PAST), inf=pick(VERBS_INF), adj=pick(ADJECTIVES),
            subject=pick(SUBJECTS), count=pick(COUNTS), plural=pick(PLURALS), hour=pick(HOURS))
        s = _cap(s)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def generate_sentences(n: int, *, seed: int = 0) -> list[str]:
    """``n`` distinct sentences (statements, questions), deterministic for ``seed``."""
    return _generate(_TEMPLATES, n, seed, "generate_sentences")


def generate_phrases(n: int, *, seed: int = 0) -> list[str]:
    """``n`` distinct short texts of one to four words ("Yes.", "Hi, Anna.", "So cold!"),
    deterministic for ``seed``; fewer when the templates run out of distinct ones."""
    return _generate(_PHRASE_TEMPLATES, n, seed, "generate_phrases")
