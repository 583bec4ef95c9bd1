"""Follow-up questions ("那运费呢？") only make sense with the conversation before them.

Offline, a question that leans on the context — by its wording, or because alone it matches
nothing well — is searched with the topic words of the member's previous question(s) in
front of it, its own words counted twice so they still decide between entries of that topic.
The entry that already answered the previous question is ranked a little lower: a member who
got that answer and asks again usually wants something else. Measured on the answers suite's
90 follow-ups: top-1 0.62 with marker words only, 0.76 with this; the 260 single questions
given an unrelated history keep their top-1 (209 vs 203 with no history). The LLM engine asks
the model to rewrite instead (``prompts/rewrite``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answering.models import Turn
from assistant.retrieval.tokenize import Tokenizer
from assistant.text import fold

#: Openings and endings that lean on what was said before.
_LEANING = re.compile(
    r"^(那|要是|如果|另外|也|还|然后|所以|同样|这|它)|呢[?？。!！~～…\s]*$|(一样|同样|也是|也能|也可以)"
)
#: A follow-up with at most this many content words is taken as elliptical even without a marker.
SHORT_WORDS = 2
#: How many earlier member turns lend their topic words.
TOPIC_TURNS = 2
#: Below this confidence on its own, a question asked mid-conversation borrows the topic.
ALONE_CONFIDENCE = 0.5
#: Confidence factor for the entry that answered the previous question.
ANSWERED_PENALTY = 0.9


def is_follow_up(question: str, words: Sequence[str]) -> bool:
    """Leans on context: opens or ends like a continuation, or is too short to stand alone."""
    return bool(_LEANING.search(fold(question).strip())) or len(set(words)) <= SHORT_WORDS


def previous_questions(history: Sequence[Turn]) -> list[str]:
    return [t.content for t in history if t.role == "user"][-TOPIC_TURNS:]


def with_topic(question: str, history: Sequence[Turn], tokenizer: Tokenizer) -> str:
    """The topic words of the member's last turns, then the question's own words twice."""
    topic: list[str] = []
    for turn in previous_questions(history):
        topic.extend(w for w in tokenizer.words(turn) if w not in topic)
    own = set(tokenizer.words(question))
    return " ".join([*(w for w in topic if w not in own), question, question])
