"""Chat logs in, ``ChatMessage`` rows out, one at a time (constant memory for any size).

Formats, detected from the first line when ``auto``:
- ``jsonl``: design.md §4, ``{"group", "time", "sender", "text"}``;
- ``csv``: a header with ``time,sender,text`` (optional ``group``; 时间/发送者/内容/群 also accepted);
- ``wechatmsg``: the CSV of WeChatMsg / 留痕 (github.com/LC044/WeChatMsg), header
  ``localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime[,Remark,NickName,Sender]``;
- ``pywxdump``: the CSV of PyWxDump (github.com/xaoyaoo/PyWxDump), header
  ``id,MsgSvrID,type_name,is_sender,talker,room_name,content,CreateTime``, ``content`` a JSON
  object whose ``msg`` is the text.
A bad row is reported (line number and reason) and skipped; the rest is read."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from pydantic import ValidationError

from assistant.sentiment.models import DEFAULT_TZ, ChatMessage

FORMATS = ("auto", "jsonl", "csv", "wechatmsg", "pywxdump")
#: What the exporting account is called in both WeChat tools' exports.
SELF = "我"
#: WeChat message types (``Type``) that are not text, shown as a placeholder so activity counts.
WECHAT_PLACEHOLDERS = {
    3: "[图片]",
    34: "[语音]",
    43: "[视频]",
    47: "[表情]",
    48: "[位置]",
    49: "[链接/文件]",
    50: "[通话]",
}
WECHAT_SYSTEM = 10000
_CSV_ALIASES = {"time": ("time", "时间"), "sender": ("sender", "发送者", "昵称"), "text": ("text", "内容", "消息"),
                "group": ("group", "群", "群名")}  # fmt: skip


class UnknownFormat(ValueError):
    """The first line matches none of the supported formats."""


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


def parse_time(value: Any) -> datetime:
    """ISO 8601 or ``YYYY-MM-DD HH:MM:SS`` (naive means UTC+8), or Unix seconds."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        return datetime.fromtimestamp(int(value), tz=UTC).astimezone(DEFAULT_TZ)
    if not isinstance(value, str):
        raise ValueError("time must be an ISO 8601 string or Unix seconds")
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=DEFAULT_TZ)


def detect(first_line: str) -> str:
    if first_line.lstrip("\ufeff").lstrip().startswith("{"):
        return "jsonl"
    header = {h.strip() for h in next(csv.reader([first_line.lstrip("\ufeff")]), [])}
    if {"localId", "IsSender", "CreateTime", "StrContent"} <= header:
        return "wechatmsg"
    if {"MsgSvrID", "type_name", "talker", "content", "CreateTime"} <= header:
        return "pywxdump"
    if all(any(a in header for a in _CSV_ALIASES[k]) for k in ("time", "sender", "text")):
        return "csv"
    raise UnknownFormat(f"unrecognised chat log header: {first_line.strip()[:120]!r}")


def read_messages(lines: Iterable[str], fmt: str = "auto", bad: Callable[[BadRow], None] | None = None,
                  group: str | None = None) -> Iterator[ChatMessage]:  # fmt: skip
    """Rows of ``lines`` (an open text file) as messages; ``bad`` hears about each skipped row.
    ``group`` fills rows that name none (an export holds one chat)."""
    report = bad or (lambda _: None)
    source = iter(lines)
    first = next(source, "")
    while first and not first.strip():
        first = next(source, "")
    if not first:
        return
    fmt = detect(first) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise UnknownFormat(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    chained = _prepend(first, source)
    rows = _jsonl(chained) if fmt == "jsonl" else _csv(chained, _CSV_READERS[fmt])
    for number, row in rows:
        if isinstance(row, str):
            report(BadRow(number, row))
            continue
        if row is None:
            continue
        try:
            message = ChatMessage.model_validate({**row, "group": row.get("group") or group})
        except ValidationError as exc:
            error = exc.errors()[0]
            report(BadRow(number, f"{'.'.join(map(str, error['loc']))}: {error['msg']}"))
            continue
        if not message.text.strip():
            report(BadRow(number, "empty text"))
            continue
        yield message


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


Row = dict[str, Any] | str | None  # a row, a reason it is bad, or None for a row to ignore


def _jsonl(lines: Iterator[str]) -> Iterator[tuple[int, Row]]:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield number, f"invalid JSON: {exc.msg}"
            continue
        if not isinstance(row, dict):
            yield number, "line must be a JSON object"
            continue
        yield number, _with_time(row, row.get("time"))


def _with_time(row: dict[str, Any], value: Any) -> Row:
    try:
        return {**row, "time": parse_time(value)}
    except (ValueError, TypeError, OverflowError, OSError) as exc:
        return f"bad time {str(value)[:40]!r}: {exc}"


def _csv(lines: Iterator[str], convert: Callable[[dict[str, str]], Row]) -> Iterator[tuple[int, Row]]:
    reader = csv.DictReader(line.lstrip("\ufeff") if i == 0 else line for i, line in enumerate(lines))
    for record in reader:
        if None in record or any(v is None for v in record.values()):
            yield reader.line_num, "wrong number of columns"
            continue
        if not any(v.strip() for v in record.values()):
            continue
        yield reader.line_num, convert({k.strip(): v for k, v in record.items()})


def _generic(record: dict[str, str]) -> Row:
    row = {key: next((record[a] for a in aliases if a in record), None) for key, aliases in _CSV_ALIASES.items()}
    return _with_time(row, row["time"])


def _wechatmsg(record: dict[str, str]) -> Row:
    kind = int(record["Type"]) if record["Type"].strip().isdigit() else -1
    if kind == WECHAT_SYSTEM:
        return None  # "X joined the group" and recalls: not something a member said
    sender = SELF if record["IsSender"].strip() == "1" else (
        record.get("Remark") or record.get("NickName") or record.get("Sender") or "").strip()  # fmt: skip
    text = record["StrContent"] if kind == 1 else WECHAT_PLACEHOLDERS.get(kind, "[其他消息]")
    return _with_time({"sender": sender, "text": text}, record.get("StrTime") or record["CreateTime"])


def _pywxdump(record: dict[str, str]) -> Row:
    if record["talker"].strip() == "系统":
        return None
    sender = SELF if record["is_sender"].strip() == "1" else record["talker"].strip()
    try:
        content = json.loads(record["content"])
    except json.JSONDecodeError:
        content = record["content"]
    text = str(content.get("msg", "")) if isinstance(content, dict) else str(content)
    if record["type_name"].strip() != "文本":
        text = f"[{record['type_name'].strip()}]"
    return _with_time({"group": record.get("room_name") or None, "sender": sender, "text": text},
                      record["CreateTime"])  # fmt: skip


_CSV_READERS: dict[str, Callable[[dict[str, str]], Row]] = {
    "csv": _generic, "wechatmsg": _wechatmsg, "pywxdump": _pywxdump,
}  # fmt: skip


def open_log(path: str) -> IO[str]:
    """Text mode, BOM-tolerant (WeChatMsg writes ``utf-8-sig``), universal newlines off so a
    quoted CSV field may hold a line break."""
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - the caller closes it
