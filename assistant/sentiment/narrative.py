"""The offline summary: a Chinese template filled only from computed aggregates, quoting
messages with their time and sender. It states nothing the aggregates do not hold."""

from __future__ import annotations

from assistant.sentiment.models import Quote, Summary

KIND_NAMES = {
    "negative_spike": "负面情绪激增", "complaint_cluster": "集中投诉", "risk_wave": "风险消息集中出现",
    "heated_argument": "成员争吵", "unanswered_complaint": "投诉未及时回应", "positive_peak": "正面高峰",
}  # fmt: skip


def cite(q: Quote) -> str:
    text = q.text if len(q.text) <= 40 else q.text[:40] + "…"
    return f"[{q.time:%m-%d %H:%M} {q.sender}]「{text}」"


def write(s: Summary) -> str:
    w, sent, act = s.window, s.sentiment, s.activity
    group = f"「{w['group']}」" if w.get("group") else "本群"
    lines = [
        f"{w['start'][:16].replace('T', ' ')} 至 {w['end'][:16].replace('T', ' ')}，{group}共 {s.messages} 条消息，"
        f"{s.members} 人发言，日均活跃 {act['dau']} 人。",
        f"情绪：正面 {sent['share']['positive']:.0%}，中性 {sent['share']['neutral']:.0%}，"
        f"负面 {sent['share']['negative']:.0%}；健康分 {s.health.score:g}"
        + (f"（首日到末日 {s.health.change:+g}）。" if s.health.change is not None else "。"),
    ]
    if s.topics:
        lines.append("热门话题：" + "、".join(f"{t['topic']}（{t['count']} 条）" for t in s.topics[:5]) + "。")
    for c in s.complaints[:3]:
        lines.append(f"关于「{c.topic}」有 {c.count} 条投诉，来自 {len(c.members)} 人，例如 {cite(c.examples[0])}。")
    if s.risky["total"]:
        cats = "、".join(f"{k} {v} 条" for k, v in s.risky["by_category"].items())
        lines.append(f"风险消息 {s.risky['total']} 条（{cats}）。")
    if s.alerts:
        lines.append("需要关注：")
        lines += [f"- {KIND_NAMES[a.kind]}：{a.detail}，如 {cite(a.evidence[0])}" for a in s.alerts]
    for r in s.at_risk:
        lines.append(f"流失预警：{r.member}（{'；'.join(r.reasons)}），如 {cite(r.evidence[-1])}。")
    if not s.alerts and not s.at_risk:
        lines.append("没有需要立即处理的事项。")
    return "\n".join(lines)
