"""Per-message facts the summary is built from: sentiment, moderation categories, topic words,
and whether a member's message asks for something or complains."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.sentiment.models import ChatMessage, Quote, Sentiment

#: A question or a demand for service: what staff are expected to answer.
_ASKS = re.compile(r"[?？]|吗|怎么|如何|哪里|哪儿|什么时候|有没有|能不能|可以.{0,4}吗|请问|求助|多久")
#: Words that turn a negative message into a complaint somebody should handle.
_SERVICE = re.compile(
    r"客服|退款|退货|投诉|售后|发货|到账|没人|不回|回复|处理|解决|管理员|群主|还没|一直|几天|怎么回事|差评|维权"
)
#: A negative message needs this polarity to count as a complaint (mild grumbles do not).
COMPLAINT_SCORE = -0.3
QUOTE_CHARS = 200


@dataclass(slots=True)
class Signal:
    message: ChatMessage
    sentiment: Sentiment
    categories: list[str]
    words: list[str]
    staff: bool

    @property
    def negative(self) -> bool:
        return self.sentiment.label == "negative"

    @property
    def positive(self) -> bool:
        return self.sentiment.label == "positive"

    @property
    def complaint(self) -> bool:
        """A member's negative message that asks for service or reports a failure."""
        return (not self.staff and self.negative and self.sentiment.score <= COMPLAINT_SCORE
                and bool(_SERVICE.search(self.message.text) or _ASKS.search(self.message.text)))  # fmt: skip

    @property
    def asks(self) -> bool:
        """A member's question or complaint: what staff responsiveness is measured on."""
        return not self.staff and (self.complaint or bool(_ASKS.search(self.message.text)))

    def quote(self) -> Quote:
        m = self.message
        return Quote(time=m.time, sender=m.sender, text=m.text[:QUOTE_CHARS], label=self.sentiment.label,
                     score=self.sentiment.score)  # fmt: skip
