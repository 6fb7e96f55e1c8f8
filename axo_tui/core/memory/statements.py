"""What a user asks an agent to remember, found without a model.

The embedded 135M model cannot edit its own memory: offered the core_memory_* tools, it
talks about them instead of answering. So for an agent that has no tool to edit its core
memory, the runtime itself keeps what the user plainly tells it to keep:

    remember: my sister is called Eva     ->  The user's sister is called Eva.
    please remember that I work nights    ->  The user works nights.
    My name is Ana.                       ->  The user's name is Ana.
    call me Bo                            ->  The user's name is Bo.

Only these forms, so nothing is saved by surprise; a question ("remember my name?") is not a
statement. Facts are written in the third person, which the small model reads right: "my
name is Ana" in its memory makes it answer that *its* name is Ana.
"""

from __future__ import annotations

import re

MAX_FACT_CHARS = 300
"""A longer request to remember is cut here (a core block is small, and the model smaller)."""

_REMEMBER = re.compile(
    r"^(?:please\s+|pls\s+)?(?:remember|note|keep in mind)"
    r"(?:\s*:\s*|\s+that\s+|\s*,\s*|\s+(?=(?:i|i'm|my)\b))(?P<fact>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_NAME = re.compile(
    r"(?:^|[.!,;]\s*|\b(?:hi|hello|hey)\b[,!]?\s*)"
    r"(?:my name is|my name's|(?:please\s+)?call me)\s+"
    r"(?P<name>[^\W\d_][\w'-]*)(?:\s+(?P<last>[^\W\d_][\w'-]*))?",
    re.IGNORECASE,
)
_IRREGULAR = {"am": "is", "have": "has", "do": "does", "don't": "doesn't", "haven't": "hasn't"}
_KEEP = frozenset(
    {"can", "could", "will", "would", "shall", "should", "may", "might", "must", "did", "had"}
    | {"was", "didn't", "can't", "won't", "wouldn't", "shouldn't", "couldn't", "wasn't"}
)
"""Verbs that stay as they are after "the user"."""
_NOT_NAMES = frozenset({"not", "a", "an", "the", "just"})


def user_fact(text: str) -> str | None:
    """The fact `text` asks to keep, in the third person, or None when it asks none."""
    text = text.strip()
    if not text or text.endswith("?"):
        return None
    match = _REMEMBER.match(text)
    if match is not None:
        fact = match.group("fact").strip().strip("\"'").strip()
        if not fact:
            return None
        return _sentence(third_person(fact))
    match = _NAME.search(text)
    if match is None or match.group("name").lower() in _NOT_NAMES:
        return None
    name, last = match.group("name"), match.group("last")
    if last and name[0].isupper() and last[0].isupper():
        name = f"{name} {last}"  # "Ana Lima", but not "Ana and ..."
    return f"The user's name is {name[:1].upper()}{name[1:]}."


def third_person(text: str) -> str:
    """`text` with the speaker's I/me/my turned into "the user" (and the verb after I)."""
    words = text.split()
    out: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        bare = word.strip(".,;:!\"'()").lower()
        tail = word[len(word.rstrip(".,;:!\"')")) :]
        if bare in ("i", "i'm", "i've", "i'll", "i'd"):
            out.append("the user")
            if bare == "i'm":
                out.append("is" + tail)
            elif bare == "i've":
                out.append("has" + tail)
            elif bare == "i'll":
                out.append("will" + tail)
            elif bare == "i'd":
                out.append("would" + tail)
            elif index + 1 < len(words):
                index += 1
                out.append(_third_person_verb(words[index]))
        elif bare in ("my", "mine"):
            out.append("the user's" + tail)
        elif bare in ("me", "myself"):
            out.append("the user" + tail)
        else:
            out.append(word)
        index += 1
    return " ".join(out)


def _third_person_verb(word: str) -> str:
    """`like` -> `likes`, `am` -> `is`: the verb after "I", for "the user"."""
    stripped = word.rstrip(".,;:!\"')")
    tail = word[len(stripped) :]
    lower = stripped.lower()
    if lower in _IRREGULAR:
        return _IRREGULAR[lower] + tail
    if lower in _KEEP or not lower.isalpha() or lower.endswith("ed"):
        return word
    if lower.endswith(("s", "sh", "ch", "x", "z", "o")):
        return stripped + "es" + tail
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        return stripped[:-1] + "ies" + tail
    return stripped + "s" + tail


def _sentence(text: str) -> str:
    text = " ".join(text.split())[:MAX_FACT_CHARS].rstrip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!")) else text + "."
