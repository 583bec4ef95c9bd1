"""Per-message facts the summary is built from: sentiment, moderation categories, topic words,
and whether a member's message asks for something or complains."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from assistant.sentiment.models import ChatMessage, Label, Quote

#: A question or a demand for service: what staff are expected to answer.
_ASKS = re.compile(r"[?？]|吗|怎么|如何|哪里|哪儿|什么时候|有没有|能不能|可以.{0,4}吗|请问|求助|多久")
#: 累坏了, 饿坏了, 乐坏了, 吓坏了: 坏 after a feeling says how strong it is, not that something broke.
_FEELING = "[累饿困渴馋乐急气吓愁忙热冷]"
#: A problem with the service or with staff: a complaint whether said angrily or politely.
_SERVICE = re.compile(
    rf"客服|售后|退款|退费|退货|换货|投诉|发错|少发|漏发|破损|(?<!{_FEELING})坏了|质量问题|维权|差评|没人回|没人理|没人管|不回|"
    r"管理员|群主|报修|维修|寄修|扣费"
)
#: Things a service delivers: a complaint when the message about them is negative.
_TOPICAL = re.compile(r"物流|快递|发货|到账|订单|审核|上门|积分|课程|作业|点评|批改|物业|师傅")
#: Asking for somebody's help: a request staff should answer even with no service word.
_HELP = re.compile(
    r"能帮|帮忙看|帮我(看|查|问|处理|换|弄|解决|催)|帮一下|谁能帮|有人管|有没有人(管|回|理)|派.{0,2}(人|师傅)|来看看|[很挺好]着急|急用|"
    r"(能|可以|麻烦).{0,4}帮.{0,2}(看|查|处理)"
)
#: One member turning on another: second-person retorts and insults, said calmly or not (the
#: model reads "你算老几，管好你自己" as mild). Only counts in a back-and-forth between two people.
_HOSTILE = re.compile(
    r"你(?!们)[^，。！？,.!?]{0,6}(急什么|算老几|什么意思|有病|才是|懂个|管好|管得着|凭什么|可以屏蔽|别装|心里清楚|这种人)|"
    r"关你(什么|啥|屁)事|闭嘴|(^|[，,。！!\s])滚($|[，,。！!\s]|吧|开|出去)|脑子(呢|有问题|进水)|有病吧|懂个屁|狗腿子|"
    r"别装了|双标|血口喷人|阴阳怪气|倒打一耙|嘴[巴]?放干净|有脸说|你这人|就你(长嘴|懂)|少在这"
)
#: A fault of a thing bought or used, or a delivery gone wrong, said in any words: the model
#: reads many of these as neutral ("装水倒过来就漏"). General words of products, apps and goods,
#: not the words of any one log.
_FAULT = re.compile(
    rf"(?<!{_FEELING})坏[了掉]|损坏|破损|破了|裂了|漏水|漏液|渗水|[会就一直总老又]漏|发烫|烫手|过热|鼓包|掉电|耗电快|充不进|"
    r"闪退|卡死|卡顿|连不上|掉线|断线|异响|结块|死机|黑屏|白屏|花屏|打不开|进不去|登不上|播放不了|"
    r"(用|放|看|听|开|装)不了|不能用|没法用|无法使用|没反应|失灵|故障|报错|"
    r"开胶|掉色|褪色|起球|开线|变形|变质|发霉|过期|异味|发臭|馊了|烂了|烂果|坏果|有虫|"
    r"质量差|质量不行|做工差|货不对版|缺斤少两|少送|丢件|没收到|收不到"
)
#: A symptom (of a child, a pet, the member): a complaint only when it follows something bought,
#: eaten or used (``_BOUGHT``) — "吃了这批猫粮就软便" — never as a care question ("宝宝拉肚子怎么办").
_SYMPTOM = re.compile(r"拉稀|拉肚子|腹泻|软便|呕吐|吐了|过敏|起疹|红疹|红肿|发炎")
_BOUGHT = re.compile(r"买|[这那一]批|批次|换了|换成|吃了|喝了|用了|穿了|[这那]款|到手")
#: The speaker's own state or the weather: what everyday grumbles are about (好累, 困死了,
#: 又下雨了烦死了). Said by many at once it is chatter, not a complaint about anything the group provides.
_MOOD = re.compile(
    r"(?<![积计连])累|困(?![难人])|饿|好热|太热|热死|热得|好冷|太冷|冷死|下雨|(?<!麻)烦|头疼|头痛|头秃|难受|无聊|郁闷|"
    r"[好太]难(?![用吃喝看闻找买约抢退联])|不想(上班|起床|动|出门)|想睡|没睡好|失眠"
)
#: A member saying they will leave or stop buying, in the first person: the plainest churn signal.
_LEAVING = re.compile(
    r"我[^，。！？,.!?]{0,8}(退群|不会再|再也不|不再|不来了|取关|拉黑|卸载)|(不会再|再也不)[^，。！？,.!?]{0,4}买|退群了|换别家|去别家|"
    r"不稀罕|不上了|不学了|不参加了|不抱希望|心寒|寒心|失望透顶"
)
#: A negative message needs this polarity to count as a complaint (mild grumbles do not).
COMPLAINT_SCORE = -0.3
#: A message this positive tells of help rather than asking for it; a label barely positive
#: (polite wording around "只送来一斤，少送了一半") does not.
THANKS_SCORE = 0.3
QUOTE_CHARS = 200


ASKS, SERVICE, TOPICAL, HELP, LEAVING, HOSTILE, FAULT, SYMPTOM, BOUGHT, MOOD = (1 << i for i in range(10))
_FLAGS = ((ASKS, _ASKS), (SERVICE, _SERVICE), (TOPICAL, _TOPICAL), (HELP, _HELP), (LEAVING, _LEAVING),
          (HOSTILE, _HOSTILE), (FAULT, _FAULT), (SYMPTOM, _SYMPTOM), (BOUGHT, _BOUGHT), (MOOD, _MOOD))  # fmt: skip


class Reading(NamedTuple):
    """What one distinct text says, read once (in a worker process for a large log) and shared
    by every message repeating it: a tuple, cheap to pickle, with the patterns' hits as bits."""

    label: Label
    score: float
    categories: tuple[str, ...]
    words: tuple[str, ...]
    flags: int
    compounds: tuple[str, ...] = ()  # 猫粮 that jieba cut into 猫/粮 (``topics.TopicTerms``)


def read_text(text: str, label: Label, score: float, categories: tuple[str, ...] = (),
              words: tuple[str, ...] = (), compounds: tuple[str, ...] = ()) -> Reading:  # fmt: skip
    flags = sum(flag for flag, p in _FLAGS if p.search(text))
    return Reading(label, score, categories, words, flags, compounds)


@dataclass(slots=True)
class Signal:
    message: ChatMessage
    read: Reading
    staff: bool
    to_staff: bool = False  # @-mentions a staff member
    _quote: Quote | None = None

    @property
    def categories(self) -> tuple[str, ...]:
        return self.read.categories

    @property
    def words(self) -> tuple[str, ...]:
        return self.read.words

    @property
    def score(self) -> float:
        return self.read.score

    @property
    def negative(self) -> bool:
        return self.read.label == "negative"

    @property
    def positive(self) -> bool:
        return self.read.label == "positive"

    @property
    def complaint(self) -> bool:
        """A member's negative message about the service, or a request for help: a question to
        staff (@), about a problem, or asking somebody to help — polite requests ("发错尺码了，
        能帮我换一下吗") need an answer as much as angry ones. Risky messages never count (a
        scammer's "refund notice" is not a member's complaint)."""
        if self.staff or self.read.categories:
            return False
        flags = self.read.flags
        if self.negative and self.read.score <= COMPLAINT_SCORE and flags & (SERVICE | TOPICAL | FAULT | SYMPTOM):
            return True
        if self.read.score >= THANKS_SCORE:
            return False  # "售后之前帮我设置过，挺快" tells of help; it does not ask for it
        return bool(flags & HELP) or (bool(flags & ASKS) and (bool(flags & (SERVICE | FAULT)) or self.to_staff))

    @property
    def grievance(self) -> bool:
        """What a complaint cluster is made of: a member's message about something that went wrong
        — naming a fault, or a symptom after something bought or used, whatever the model's
        label; or negative about anything but the speaker's mood or the weather. A grumble (好累,
        又下雨了烦死了) counts in its topics' sentiment, never as a complaint, unless it names the
        service too (客服不回，烦死了); a retort at another member (你管得着吗，物业都没说话) is
        about that member, not about the thing it mentions in passing."""
        if self.staff or self.positive or self.read.categories:
            return False
        flags = self.read.flags
        if flags & FAULT or (flags & SYMPTOM and flags & BOUGHT):
            return True
        if flags & HOSTILE:
            return self.negative and bool(flags & SERVICE)
        return self.negative and (bool(flags & (SERVICE | TOPICAL)) or not flags & MOOD)

    @property
    def needs_answer(self) -> bool:
        """A complaint that asks for something or names the service: what staff must answer
        ("楼下的快递柜满了" is a grumble, not a request)."""
        return self.complaint and (self.to_staff or bool(self.read.flags & (ASKS | HELP | SERVICE)))

    @property
    def hostile(self) -> bool:
        """A member's negative, abusive or retorting message: what a quarrel is made of."""
        return not self.staff and (self.negative or "abuse" in self.read.categories or bool(self.read.flags & HOSTILE))

    @property
    def leaving(self) -> bool:
        return not self.staff and bool(self.read.flags & LEAVING)

    @property
    def bad(self) -> bool:
        """A bad experience with the community, not a bad Monday: churn follows the former."""
        return self.complaint or self.leaving

    @property
    def asks(self) -> bool:
        """A member's question or complaint: what staff responsiveness is measured on."""
        return not self.staff and (self.complaint or bool(self.read.flags & ASKS))

    def quote(self) -> Quote:
        """Built once, on first use: most messages are never quoted."""
        if self._quote is None:
            m = self.message
            self._quote = Quote.model_construct(time=m.time, sender=m.sender, text=m.text[:QUOTE_CHARS],
                                                label=self.read.label, score=self.read.score)  # fmt: skip
        return self._quote
