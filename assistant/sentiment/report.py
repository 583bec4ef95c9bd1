"""The operator's report: one self-contained HTML page (inline SVG charts, no scripts, no
network), Chinese text in the system's CJK font."""

from __future__ import annotations

from html import escape

from assistant.sentiment.models import Quote, Summary
from assistant.sentiment.narrative import KIND_NAMES

COLORS = {"positive": "#2e9d5b", "neutral": "#9aa4ae", "negative": "#d64545"}
LABEL_NAMES = {"positive": "正面", "neutral": "中性", "negative": "负面"}
COMPONENT_NAMES = {"activity": "活跃度", "sentiment": "情绪", "risk": "风险控制", "responsiveness": "响应"}
CSS = """body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
max-width:1000px;margin:2em auto;color:#222;line-height:1.6}h1{font-size:1.6em}h2{border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
.alert{background:#fff4f4;border-left:4px solid #d64545;padding:6px 10px;margin:6px 0}
.score{font-size:2.4em;font-weight:bold}.q{color:#555}"""


def _e(value: object) -> str:
    return escape(str(value))


def cite(q: Quote) -> str:
    return f'<span class="q">[{q.time:%m-%d %H:%M} {_e(q.sender)}]「{_e(q.text[:80])}」</span>'


def trend_chart(trend: list[dict[str, object]], width: int = 960, height: int = 220) -> str:
    """Stacked bars per hour or day: positive, neutral, negative messages."""
    if not trend:
        return ""
    peak = max(int(str(t["messages"])) for t in trend) or 1
    step = width / len(trend)
    bars = []
    for i, t in enumerate(trend):
        y = float(height - 20)
        for label in ("negative", "neutral", "positive"):
            h = int(str(t[label])) / peak * (height - 30)
            y -= h
            tip = f"<title>{_e(t['time'])} {LABEL_NAMES[label]} {t[label]}</title>"
            bars.append(f'<rect x="{i * step + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" height="{h:.1f}" '
                        f'fill="{COLORS[label]}">{tip}</rect>')  # fmt: skip
    first, last = str(trend[0]["time"])[5:16].replace("T", " "), str(trend[-1]["time"])[5:16].replace("T", " ")
    axis = (f'<text x="0" y="{height - 4}" font-size="12">{_e(first)}</text>'
            f'<text x="{width}" y="{height - 4}" font-size="12" text-anchor="end">{_e(last)}</text>')  # fmt: skip
    return (f'<svg role="img" aria-label="情绪趋势" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(bars)}{axis}</svg>')  # fmt: skip


def share_chart(share: dict[str, float], width: int = 480) -> str:
    x, parts = 0.0, []
    for label in ("positive", "neutral", "negative"):
        w = share[label] * width
        parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="28" fill="{COLORS[label]}"/>')
        if w > 50:
            parts.append(f'<text x="{x + 6:.1f}" y="19" font-size="13" fill="#fff">{LABEL_NAMES[label]} '
                         f'{share[label]:.0%}</text>')  # fmt: skip
        x += w
    return f'<svg role="img" aria-label="情绪分布" width="{width}" height="28" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>'


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render(s: Summary) -> str:
    w = s.window
    title = f"群聊情绪报告 {_e(w.get('group') or '')}".strip()
    alerts = "".join(
        f'<div class="alert"><b>{KIND_NAMES[a.kind]}</b> {a.time:%m-%d %H:%M} {_e(a.detail)}<br>'
        + "<br>".join(cite(q) for q in a.evidence[:3]) + "</div>"
        for a in s.alerts
    ) or "<p>无</p>"  # fmt: skip
    topics = _table(["话题", "消息", "人数", "负面"], [[_e(t["topic"]), _e(t["count"]), _e(t["members"]),
                                                    _e(t["negative"])] for t in s.topics])  # fmt: skip
    complaints = _table(["话题", "条数", "成员", "例子"], [[_e(c.topic), str(c.count), _e("、".join(c.members[:6])),
                                                      cite(c.examples[0])] for c in s.complaints])  # fmt: skip
    risk = _table(["成员", "原因", "证据"], [[_e(r.member), _e("；".join(r.reasons)), cite(r.evidence[-1])]
                                        for r in s.at_risk])  # fmt: skip
    segments = _table(
        ["分层", "人数", "成员"], [[k, str(len(v)), _e("、".join(v[:12]))] for k, v in s.segments.items()]
    )
    parts = "".join(f"<li>{COMPONENT_NAMES.get(k, k)}：{'—（未提供工作人员名单）' if v is None else v}</li>"
                    for k, v in s.health.components.items())  # fmt: skip
    summary = "".join(f"<p>{_e(line)}</p>" for line in s.summary.splitlines())
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>{CSS}</style></head><body>
<h1>{title}</h1><p id="window">{_e(w["start"][:16])} — {_e(w["end"][:16])} · {s.messages} 条消息 · {s.members} 人</p>
<h2>健康分</h2><p class="score" id="health">{s.health.score:g}</p><ul>{parts}</ul>
<h2>情绪</h2>{share_chart(s.sentiment["share"])}<h3>趋势</h3>{trend_chart(s.sentiment["trend"])}
<h2>需要关注</h2>{alerts}
<h2>总结</h2><div id="summary">{summary}</div>
<h2>热门话题</h2>{topics}<h2>投诉</h2>{complaints}<h2>流失预警</h2>{risk}<h2>成员分层</h2>{segments}
</body></html>"""
