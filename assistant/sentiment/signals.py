"""Per-message facts the summary is built from: sentiment, moderation categories, topic words,
and whether a member's message asks for something or complains."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.sentiment.models import ChatMessage, Quote, Sentiment

#: A question or a demand for service: what staff are expected to answer.
_ASKS = re.compile(r"[?？]|吗|怎么|如何|哪里|哪儿|什么时候|有没有|能不能|可以.{0,4}吗|请问|求助|多久")
#: Who or what a complaint is about: service, orders, money, staff not answering.
_SERVICE = re.compile(
    r"客服|售后|退款|退货|换货|投诉|发货|到账|订单|管理员|群主|没人回|没人理|不回|发错|少发|漏发|破损|坏了|质量|维权|差评"
)
#: A member saying they will leave or stop buying: the plainest churn signal there is.
_LEAVING = re.compile(r"退群|不会再买|再也不(买|来|会)|不再(买|参加|来)|不来了|取关|拉黑|卸载|不想待|最后一次(买|参加)|换别家|去别家")
#: A negative message needs this polarity to count as a complaint (mild grumbles do not).
COMPLAINT_SCORE = -0.3
#: A bad experience (for members at risk) is a complaint or a message at least this negative.
BAD_SCORE = -0.5
QUOTE_CHARS = 200


@dataclass(slots=True)
class Signal:
    message: ChatMessage
    sentiment: Sentiment
    categories: list[str]
    words: tuple[str, ...]
    staff: bool
    to_staff: bool = False  # @-mentions a staff member
    _quote: Quote | None = None

    @property
    def negative(self) -> bool:
        return self.sentiment.label == "negative"

    @property
    def positive(self) -> bool:
        return self.sentiment.label == "positive"

    @property
    def complaint(self) -> bool:
        """A member's negative message about service, or a request for service: a question
        to staff (@) or about an order, a refund, a wrong or broken item — polite requests
        ("发错尺码了，能帮我换一下吗") need an answer as much as angry ones."""
        if self.staff:
            return False
        text = self.message.text
        service = bool(_SERVICE.search(text))
        if self.negative and self.sentiment.score <= COMPLAINT_SCORE and service:
            return True
        return bool(_ASKS.search(text)) and (service or self.to_staff)

    @property
    def leaving(self) -> bool:
        return not self.staff and bool(_LEAVING.search(self.message.text))

    @property
    def bad(self) -> bool:
        return self.complaint or self.leaving or (self.negative and self.sentiment.score <= BAD_SCORE)

    @property
    def asks(self) -> bool:
        """A member's question or complaint: what staff responsiveness is measured on."""
        return not self.staff and (self.complaint or bool(_ASKS.search(self.message.text)))

    def quote(self) -> Quote:
        """Built once, on first use: most messages are never quoted."""
        if self._quote is None:
            m = self.message
            self._quote = Quote.model_construct(time=m.time, sender=m.sender, text=m.text[:QUOTE_CHARS],
                                                label=self.sentiment.label, score=self.sentiment.score)  # fmt: skip
        return self._quote
