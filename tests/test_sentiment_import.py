"""Chat-log importers: every supported format reads back what was written, bad rows are
reported with their line numbers and skipped, and formats are told apart by their header."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.sentiment.importers import DEFAULT_TZ, SELF, BadRow, UnknownFormat, detect, read_messages
from assistant.sentiment.models import ChatMessage

WECHATMSG = ["localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime", "Status", "StrContent", "StrTime",
             "Remark", "NickName", "Sender"]  # fmt: skip
PYWXDUMP = ["id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name", "content", "CreateTime"]

texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80).filter(str.strip)
senders = st.text(st.characters(whitelist_categories=("Lo", "Ll", "Lu", "Nd")), min_size=1, max_size=12)
times = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(
    lambda t: t.replace(microsecond=0, tzinfo=DEFAULT_TZ)
)
messages = st.lists(st.builds(ChatMessage, group=st.just("g1"), time=times, sender=senders, text=texts), max_size=20)


def as_jsonl(rows: list[ChatMessage]) -> str:
    return "".join(json.dumps({**r.model_dump(), "time": r.time.isoformat()}, ensure_ascii=False) + "\n" for r in rows)


def as_csv(header: list[str], rows: list[list[object]], bom: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "") + out.getvalue()


def as_wechatmsg(rows: list[ChatMessage]) -> str:
    return as_csv(WECHATMSG, [[i, 7, 1, 0, 0, int(r.time.timestamp()), 0, r.text, f"{r.time:%Y-%m-%d %H:%M:%S}",
                               "", r.sender, f"wxid_{i}"] for i, r in enumerate(rows)], bom=True)  # fmt: skip


def as_pywxdump(rows: list[ChatMessage]) -> str:
    return as_csv(PYWXDUMP, [[i, 100 + i, "文本", 0, r.sender, "g1", json.dumps({"src": "", "msg": r.text},
                  ensure_ascii=False), f"{r.time:%Y-%m-%d %H:%M:%S}"] for i, r in enumerate(rows)])  # fmt: skip


def read(text: str, fmt: str = "auto") -> tuple[list[ChatMessage], list[BadRow]]:
    bad: list[BadRow] = []
    return list(read_messages(io.StringIO(text, newline=""), fmt, bad.append, group="g1")), bad


@settings(max_examples=60, deadline=None)
@given(messages)
def test_every_format_reads_back_what_was_written(rows: list[ChatMessage]) -> None:
    expected = [(r.time, r.sender, r.text) for r in rows]
    plain = as_csv(["time", "sender", "text"], [[r.time.isoformat(), r.sender, r.text] for r in rows])
    for text in (as_jsonl(rows), plain, as_wechatmsg(rows), as_pywxdump(rows)):
        got, bad = read(text)
        assert bad == []
        assert [(m.time, m.sender, m.text) for m in got] == expected


JUNK = [
    "not json",
    "[1, 2]",
    '{"time": "yesterday", "sender": "a", "text": "b"}',
    '{"time": "2026-01-01", "text": "x"}',
]


@settings(max_examples=40, deadline=None)
@given(messages, st.lists(st.sampled_from(JUNK), max_size=5))
def test_bad_jsonl_rows_are_reported_by_line_and_nothing_else_is_lost(rows: list[ChatMessage], junk: list[str]) -> None:
    lines = as_jsonl(rows).splitlines()
    for i, line in enumerate(junk):
        lines.insert(min(2 * i, len(lines)), line)
    if lines and lines[0][0] != "{":
        lines.insert(0, as_jsonl(rows[:1]).strip() or '{"time": "2026-01-01T10:00:00", "sender": "a", "text": "b"}')
    got, bad = read("\n".join(lines) + "\n", "jsonl")
    assert sorted(b.line for b in bad) == [n for n, line in enumerate(lines, start=1) if line in junk]
    assert len(got) + len(bad) == len(lines)


def test_detect_tells_the_formats_apart_by_header() -> None:
    assert detect('{"time": "x"}') == "jsonl"
    assert detect("\ufeff" + ",".join(WECHATMSG)) == "wechatmsg"
    assert detect(",".join(PYWXDUMP)) == "pywxdump"
    assert detect("时间,发送者,内容") == "csv"
    with pytest.raises(UnknownFormat):
        detect("a,b,c")


def test_wechat_exports_name_the_exporting_account_and_keep_non_text_as_activity() -> None:
    rows = [[1, 7, 1, 0, 1, 1764547200, 0, "我发的", "2025-12-01 08:00:00", "", "", ""],
            [2, 7, 3, 0, 0, 1764547260, 0, "<img …>", "2025-12-01 08:01:00", "备注名", "昵称", "wxid_a"],
            [3, 7, 10000, 0, 0, 1764547320, 0, "张三加入了群聊", "2025-12-01 08:02:00", "", "", ""],
            [4, 7, 1, 0, 0, 1764547380, 0, "第四条", "", "", "昵称B", "wxid_b"]]  # fmt: skip
    got, bad = read(as_csv(WECHATMSG, rows))
    assert bad == []
    assert [(m.sender, m.text) for m in got] == [(SELF, "我发的"), ("备注名", "[图片]"), ("昵称B", "第四条")]
    assert got[2].time == datetime(2025, 12, 1, 8, 3, tzinfo=DEFAULT_TZ)  # from CreateTime when StrTime is empty
    assert got[0].time.utcoffset() == timedelta(hours=8)


def test_a_csv_row_with_missing_columns_is_reported_with_its_physical_line() -> None:
    text = 'time,sender,text\n2026-01-01T10:00:00,a,"two\nlines"\n2026-01-01T10:01:00,b\n2026-01-01T10:02:00,c,ok\n'
    got, bad = read(text)
    assert [m.text for m in got] == ["two\nlines", "ok"]
    assert bad == [BadRow(4, "wrong number of columns")]
