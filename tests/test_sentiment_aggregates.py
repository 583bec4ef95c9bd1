"""Aggregates, alerts and members at risk, fed hand-made signals (no model involved), so each
test states exactly which messages should and should not raise a claim."""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.sentiment.aggregate import Window
from assistant.sentiment.health import health
from assistant.sentiment.members import at_risk, segments
from assistant.sentiment.models import ChatMessage
from assistant.sentiment.signals import Signal, read_text
from assistant.sentiment.topics import topic_terms

T0 = datetime.fromisoformat("2026-12-01T09:00:00+08:00")
STAFF = {"客服小美"}


def sig(minute: float, sender: str, text: str, label: str = "neutral", score: float = 0.0,
        categories: tuple[str, ...] = (), words: tuple[str, ...] = ()) -> Signal:  # fmt: skip
    message = ChatMessage(group="g", time=T0 + timedelta(minutes=minute), sender=sender, text=text)
    reading = read_text(text, label, score, categories, words)  # type: ignore[arg-type]
    return Signal(message, reading, sender in STAFF, f"@{next(iter(STAFF))}" in text)


def window(signals: list[Signal], response_minutes: float = 30) -> Window:
    w = Window(STAFF, timedelta(minutes=response_minutes))
    for s in signals:
        w.add(s)
    return w


def chatter(start: float, n: int, every: float = 5) -> list[Signal]:
    return [sig(start + i * every, f"路人{i % 7}", f"今天天气不错{i}") for i in range(n)]


def test_complaints_from_three_members_make_one_cluster_with_examples_and_an_alert() -> None:
    w = window([
        sig(0, "阿强", "退款三天没到账", "negative", -0.8, words=("退款", "到账")),
        sig(2, "小美", "我的退款也没到账", "negative", -0.9, words=("退款", "到账")),
        sig(4, "老张", "退款太慢了", "negative", -0.7, words=("退款",)),
        sig(5, "阿强", "退款到底什么时候到账", "negative", -0.6, words=("退款", "到账")),
        sig(6, "路人", "今天退款了吗", "neutral", 0.0, words=("退款",)),
    ])  # fmt: skip
    complaints = w.complaints()
    assert [(c.topic, c.count, c.members) for c in complaints] == [("退款/到账", 4, ["小美", "老张", "阿强"])]
    assert [q.sender for q in complaints[0].examples] == ["阿强", "小美", "老张"]
    alerts = w.cluster_alerts(complaints)
    assert [(a.kind, a.topic, len(a.members)) for a in alerts] == [("complaint_cluster", "退款/到账", 3)]


def test_three_complaints_or_two_complainers_are_a_cluster_but_not_yet_an_alert() -> None:
    three = [sig(i, f"m{i}", "退款慢", "negative", -0.8, words=("退款",)) for i in range(3)]
    two_people = [sig(i, f"m{i % 2}", "退款慢", "negative", -0.8, words=("退款",)) for i in range(5)]
    for signals in (three, two_people):
        w = window(signals)
        assert len(w.complaints()) == 1 and w.cluster_alerts(w.complaints()) == []


def test_the_same_grumble_repeated_by_several_members_is_one_complaint_not_an_alert() -> None:
    same = [sig(i * 3, f"书友{i % 3}", "这本书的翻译读着有点拗口", "negative", -0.6, words=("翻译",)) for i in range(4)]
    w = window(same)
    assert [(c.topic, c.count, len(c.members)) for c in w.complaints()] == [("翻译", 1, 3)]
    assert w.cluster_alerts(w.complaints()) == []


def test_grumbles_about_mood_or_weather_are_not_complaints_unless_they_name_the_service() -> None:
    rain = ["下午突然下雨了，衣服白晒了，烦死了", "又下雨了，烦死了", "下雨了烦，刚洗的车", "今天下雨，好困"]
    grumbles = [sig(i * 5, f"邻居{i}", text, "negative", -0.8, words=("下雨",)) for i, text in enumerate(rain)]
    w = window(grumbles)
    assert w.complaints() == [] and w.cluster_alerts(w.complaints()) == []
    assert w.top_topics()[0]["negative"] == 4  # still in the topic's sentiment
    service = window([sig(0, "a", "客服一直不回，烦死了", "negative", -0.8, words=("客服",)),
                      sig(5, "b", "客服也不回我，好烦", "negative", -0.7, words=("客服",))])  # fmt: skip
    assert [c.topic for c in service.complaints()] == ["客服"]
    hard_to_use = ["报名流程太麻烦了", "这个小程序太难用了", "电梯又困人了", "积分累计规则看不懂"]
    w = window([sig(i * 5, f"邻居{i}", t, "negative", -0.8, words=("物业",)) for i, t in enumerate(hard_to_use)])
    assert [(c.topic, c.count) for c in w.complaints()] == [("物业", 4)]  # 麻烦, 难用, 困人, 累计: no mood


def test_a_fault_the_model_reads_as_neutral_is_still_a_complaint() -> None:
    faults = ["吃了两天就开始软便", "换了新批次就拉稀", "这批我家的也软便，味道也不对", "杯子装水就漏，衣服湿了"]
    w = window([sig(i * 5, f"铲屎官{i}", t, "neutral", -0.1, words=("猫粮",)) for i, t in enumerate(faults)])
    assert [(c.topic, c.count) for c in w.complaints()] == [("猫粮", 4)]
    assert [a.topic for a in w.cluster_alerts(w.complaints())] == ["猫粮"]
    happy = window([sig(i * 5, f"铲屎官{i}", f"猫粮很好吃{i}", "neutral", 0.1, words=("猫粮",)) for i in range(4)])
    assert happy.complaints() == []
    care = ["宝宝拉肚子怎么办", "宝宝拉肚子两天了，要去医院吗", "娃过敏起红疹了，用什么药", "孩子一直拉肚子，喂什么好"]
    questions = window([sig(i * 5, f"宝妈{i}", t, "neutral", -0.1, words=("宝宝",)) for i, t in enumerate(care)])
    assert questions.complaints() == []  # a symptom is a complaint only after something bought or used


def said(minute: float, sender: str, text: str, label: str = "negative", score: float = -0.7) -> Signal:
    """A signal whose topic words and compounds come from the real segmentation."""
    message = ChatMessage(group="g", time=T0 + timedelta(minutes=minute), sender=sender, text=text)
    return Signal(message, read_text(text, label, score, (), *topic_terms(text)), sender in STAFF)  # type: ignore[arg-type]


def test_jieba_cuts_unknown_product_words_into_characters_kept_as_compounds() -> None:
    terms = topic_terms("上周买的猫粮，我家猫吃了就软便，又坏了一袋")
    assert "猫粮" not in terms.words and {"猫粮", "软便"} <= set(terms.compounds)
    assert not {"吃了", "猫吃", "又坏", "一袋"} & set(terms.compounds)  # glue characters join nothing


def test_a_cluster_about_a_word_jieba_splits_raises_a_complaint_cluster_alert() -> None:
    complaints = [said(0, "橘猫家长", "上周买的猫粮，开袋就有一股异味"), said(7, "布偶阿姨", "我家那袋猫粮也发霉了"),
                  said(15, "三花爸爸", "同一批猫粮，猫吃了就软便", "neutral", -0.1),
                  said(30, "狸花妈", "刚拆的猫粮结块了，里面还有小虫")]  # fmt: skip
    others = [
        said(40, "客服小美", "这批猫粮马上下架，私信我退换"),
        said(50, "路人", "猫粮一袋能吃多久", "neutral", 0.0),
    ]
    w = window([*complaints, *others, *chatter(60, 10)])
    alerts = w.cluster_alerts(w.complaints())
    assert [(a.kind, a.topic.split("/")[0]) for a in alerts] == [("complaint_cluster", "猫粮")]  # type: ignore[union-attr]
    assert alerts[0].members == sorted(["橘猫家长", "布偶阿姨", "三花爸爸", "狸花妈"])
    assert [q.text for q in alerts[0].evidence] == [s.message.text for s in complaints[:3]]
    assert "4 条投诉" in (alerts[0].detail or "")


def test_a_compound_one_member_repeats_or_nobody_complains_about_is_no_cluster() -> None:
    alone = window([said(i, "橘猫家长", f"猫粮发霉了，第{i}袋") for i in range(4)])
    assert alone.complaints() == []
    chat = window([said(i, f"铲屎官{i}", f"猫粮一袋能吃多久{i}", "neutral", 0.0) for i in range(5)])
    assert chat.complaints() == [] and chat.compounds == {}


def test_a_word_joining_a_cluster_brings_its_complaints() -> None:
    w = window([said(0, "团子妈", "那批猫粮吃了两天就软便"), said(5, "布丁爸爸", "我家也是，换了新批次就拉稀"),
                said(9, "奶盖喵", "0322那批吗，我家的也软便"), said(12, "小鱼干", "这批猫粮颗粒大小不一，猫吃完吐了"),
                said(20, "Coco", "同一批猫粮，我家两只都拉稀了")])  # fmt: skip
    [cluster] = [c for c in w.complaints() if "猫粮" in c.topic]
    assert cluster.count == 5 and len(cluster.members) == 5  # 猫粮 3, joined by 软便 and 腹泻 (拉稀)


def test_worn_out_is_a_feeling_not_a_broken_thing() -> None:
    tired = sig(0, "乐乐爸", "眼皮打架，大家忙一天都累坏了", "negative", -0.6)
    assert not tired.complaint and not tired.grievance and not tired.needs_answer
    broken = sig(0, "乐乐爸", "洗衣机又坏了，谁来看看", "negative", -0.6)
    assert broken.complaint and broken.grievance and broken.needs_answer


def test_a_retort_at_another_member_is_no_complaint_about_what_it_mentions() -> None:
    grumbles = ["物业费又涨了", "物业半天不来人", "物业通知贴得太晚"]
    signals = [sig(i * 5, f"业主{i}", t, "negative", -0.6, words=("物业",)) for i, t in enumerate(grumbles)]
    retort = sig(20, "杨哥", "你管得着吗，物业都没说话", "negative", -0.6, words=("物业",))
    assert not retort.grievance
    w = window([*signals, retort])
    assert [(c.topic, c.count) for c in w.complaints()] == [("物业", 3)] and w.cluster_alerts(w.complaints()) == []
    assert sig(0, "杨哥", "你们客服有病吧，一直不回", "negative", -0.8).grievance  # names the service


def test_a_problem_asked_about_twice_then_quiet_puts_a_member_at_risk() -> None:
    w = window([sig(0, "可乐妈妈", "鞋穿了三天鞋底就开胶了，怎么办"), sig(60, "可乐妈妈", "开胶的事还没结果吗？"),
                sig(70, "可乐妈妈", "太失望了，以后不会再在这买了", "negative", -0.9)] + chatter(80, 40))  # fmt: skip
    found = at_risk(w.members, STAFF, T0, T0 + timedelta(minutes=300), w.count)
    assert [r.member for r in found] == ["可乐妈妈"] and any("不再购买" in r for r in found[0].reasons)


def test_two_members_trading_insults_is_an_argument_but_a_complaint_wave_is_not() -> None:
    quarrel = [sig(i * 2, "芒果妈" if i % 2 else "一一妈", f"你才不懂{i}", "negative", -0.8) for i in range(6)]
    w = window(quarrel)
    assert [(a.kind, sorted(a.members)) for a in w.arguments.episodes.alerts] == [
        ("heated_argument", ["一一妈", "芒果妈"])
    ]
    wave = [sig(i * 2, f"成员{i}", f"物流太慢了{i}", "negative", -0.8) for i in range(6)]
    assert window(wave).arguments.episodes.alerts == []


def test_retorts_the_model_reads_as_calm_still_make_an_argument_but_a_friendly_chat_does_not() -> None:
    lines = ["我问老师又没问你，你急什么", "你天天刷屏问基础问题，别装了", "群是你家开的？嫌烦你可以屏蔽",
             "零基础也不是这么个零法，脑子呢", "你算老几，管好你自己"]  # fmt: skip
    quarrel = [sig(i * 2, "阿凯" if i % 2 == 0 else "大伟", text) for i, text in enumerate(lines)]
    assert [sorted(a.members) for a in window(quarrel).arguments.episodes.alerts] == [["大伟", "阿凯"]]
    friendly = [sig(i * 2, "阿凯" if i % 2 == 0 else "大伟", f"你今天跑了几公里{i}？") for i in range(6)]
    assert window(friendly).arguments.episodes.alerts == []


def test_three_spam_messages_in_an_hour_are_a_risk_wave_two_are_not() -> None:
    spam = [sig(i * 10, f"引流号{i}", f"加V领福利{i}", categories=("spam_ads",)) for i in range(3)]
    w = window(spam)
    assert [(a.kind, a.category, len(a.members)) for a in w.risk_waves.alerts()] == [("risk_wave", "spam_ads", 3)]
    assert window(spam[:2]).risk_waves.alerts() == []
    spread = [sig(i * 90, f"引流号{i}", f"加V领福利{i}", categories=("spam_ads",)) for i in range(3)]
    assert window(spread).risk_waves.alerts() == []


def test_two_fraud_messages_within_minutes_are_a_wave_two_adverts_or_staff_messages_are_not() -> None:
    scam = [sig(0, "官方客服中心", "补偿登记请提供验证码", categories=("fraud",)),
            sig(4, "官方客服中心", "先转保证金激活补偿", categories=("spam_ads", "fraud"))]  # fmt: skip
    assert [(a.kind, a.category) for a in window(scam).risk_waves.alerts()] == [("risk_wave", "fraud")]
    apart = [scam[0], sig(40, "退款专员", "转账激活", categories=("fraud",))]
    adverts = [sig(i * 4, "引流号", f"加V领福利{i}", categories=("spam_ads",)) for i in range(2)]
    staff = [sig(i * 4, "客服小美", f"运费需要您先垫付{i}", categories=("fraud",)) for i in range(2)]
    for signals in (apart, adverts, staff):
        assert window(signals).risk_waves.alerts() == []


def test_a_complaint_without_staff_reply_in_time_is_an_alert_one_answered_in_time_is_not() -> None:
    w = window([
        sig(0, "壮壮妈妈", "@客服小美 纸尿裤发错尺码了，能帮我换一下吗"),
        sig(50, "客服小美", "马上处理"),
        sig(60, "乐乐", "订单一直没发货，客服能看下吗？", "negative", -0.6),
        sig(70, "客服小美", "已经催仓库了"),
        sig(80, "路人", "今天吃什么？"),
    ])  # fmt: skip
    assert w.unanswered is not None
    w.unanswered.close(T0 + timedelta(minutes=200))
    alerts = w.unanswered.episodes.alerts
    assert [(a.kind, a.members) for a in alerts] == [("unanswered_complaint", ["壮壮妈妈"])]
    assert "50 分钟" in alerts[0].detail
    assert w.unanswered.asked == 3 and w.unanswered.answered_in_time == 1  # 乐乐; 路人 never answered


def test_no_staff_list_means_no_responsiveness_claims() -> None:
    w = Window(set(), timedelta(minutes=30))
    w.add(sig(0, "a", "订单一直没发货，客服能看下吗？", "negative", -0.6))
    assert w.unanswered is None


def test_member_silent_after_a_bad_experience_is_at_risk_but_staff_never() -> None:
    for name in ("安安妈妈", "客服小美"):
        signals = [sig(0, name, "早上好"), sig(5, name, "宝宝今天很乖"),
                   sig(10, name, "积分兑换的东西丢件了，客服能帮我查一下吗", "negative", -0.6),
                   sig(15, name, "问了一圈，客服说不归他们管，太失望了", "negative", -0.9)]  # fmt: skip
        w = window(signals + chatter(20, 30, every=10))
        end = T0 + timedelta(minutes=330)
        found = at_risk(w.members, STAFF, T0, end, w.count)
        if name in STAFF:
            assert found == []
        else:
            assert [r.member for r in found] == [name] and "沉默" in found[0].reasons[0]
            assert [q.text for q in found[0].evidence] == [s.message.text for s in signals[2:]]


def test_one_complaint_and_then_quiet_is_not_enough_to_call_a_member_at_risk() -> None:
    signals = [sig(0, "周周", "早"), sig(5, "周周", "退款申请一周了还没到账，客服能看下吗", "negative", -0.8)]
    w = window(signals + chatter(20, 30, every=10))
    assert at_risk(w.members, STAFF, T0, T0 + timedelta(minutes=330), w.count) == []


def test_a_mild_grumble_or_a_spammer_is_not_at_risk() -> None:
    grumble = [sig(0, "a", "早"), sig(5, "a", "今天好累", "negative", -0.3)]
    spammer = [sig(0, "b", "加V", categories=("spam_ads",)), sig(5, "b", "被踢了，垃圾群", "negative", -0.9)]
    w = window(grumble + spammer + chatter(20, 30, every=10))
    assert at_risk(w.members, STAFF, T0, T0 + timedelta(minutes=330), w.count) == []


def test_saying_they_will_leave_puts_a_member_at_risk_even_while_still_talking() -> None:
    w = window([sig(0, "乐乐麻麻", "推车轮子松了"), sig(5, "乐乐麻麻", "以后群里的团购我不会再买了", "negative", -0.2),
                sig(6, "乐乐麻麻", "就这样吧")] + chatter(10, 3))  # fmt: skip
    found = at_risk(w.members, STAFF, T0, T0 + timedelta(minutes=30), w.count)
    assert [r.member for r in found] == ["乐乐麻麻"] and "不再购买" in found[0].reasons[0]


def test_segments_put_each_member_in_one_place_and_staff_in_none() -> None:
    signals = [sig(i, "核心", f"消息{i}") for i in range(8)] + [sig(10, "老人", "早")]
    signals += [sig(200, "新人", "大家好"), sig(190, "客服小美", "欢迎"), sig(210, "普通", "好"), sig(1, "普通", "嗯")]
    w = window(signals + [sig(30, f"路{i}", "早") for i in range(3)] + [sig(205, f"路{i}", "晚") for i in range(3)])
    segs = segments(w.members, STAFF, T0, T0 + timedelta(minutes=210), {"老人"})
    assert segs["核心"] == ["核心"] and segs["流失预警"] == ["老人"] and segs["新成员"] == ["新人"]
    placed = [m for ms in segs.values() for m in ms]
    assert sorted(placed) == sorted(set(w.members) - STAFF)


def test_hour_far_above_usual_raises_spike_and_peak_alerts() -> None:
    quiet = [sig(h * 60 + m, f"路{m}", "嗯") for h in range(4) for m in range(0, 50, 10)]
    angry = [sig(300 + i, f"气{i}", f"太差了{i}", "negative", -0.8) for i in range(6)]
    happy = [sig(420 + i, f"乐{i}", f"中奖啦{i}", "positive", 0.9) for i in range(9)]
    kinds = [(a.kind, a.time.hour) for a in window(quiet + angry + happy).bucket_alerts()]
    assert kinds == [("negative_spike", 14), ("positive_peak", 16)]


def test_health_components_move_with_the_day() -> None:
    good = [sig(i, f"m{i}", "开心", "positive", 0.9) for i in range(10)]
    bad = [sig(1440 + i, f"m{i}", "垃圾", "negative", -0.9, categories=("abuse",)) for i in range(10)]
    w = window(good + bad)
    result = health(w.days, len(w.members), None)
    assert [d["sentiment"] for d in result.by_day] == [100.0, 0.0]
    assert result.by_day[1]["risk"] == 0.0 and result.components["responsiveness"] is None
    assert result.change is not None and result.change < -50


def test_grumbles_and_stories_of_help_are_not_requests_staff_must_answer() -> None:
    w = window([
        sig(0, "小林", "楼下的快递柜满了", "negative", -0.6),
        sig(1, "阿珍", "售后之前帮我远程设置过，挺快", "positive", 0.9),
        sig(2, "老陈", "热水器打不着火，什么时候能派个师傅来看看", "negative", -0.4),
        sig(100, "客服小美", "师傅下午到"),
    ])  # fmt: skip
    assert w.unanswered is not None
    assert [a.members for a in w.unanswered.episodes.alerts] == [["老陈"]]


def test_a_polite_request_the_model_calls_barely_positive_still_needs_an_answer_a_thank_you_does_not() -> None:
    w = window([
        sig(0, "陈妈", "@客服小美 虾只送来一斤，少送了一半，麻烦帮忙处理一下", "positive", 0.07),
        sig(5, "乐乐", "售后之前帮我看过，挺快的，谢谢", "positive", 0.8),
    ])  # fmt: skip
    assert w.unanswered is not None
    w.unanswered.close(T0 + timedelta(minutes=60))
    assert [a.members for a in w.unanswered.episodes.alerts] == [["陈妈"]]
