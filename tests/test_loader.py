import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.knowledge.loader import load_knowledge
from tests.conftest import SAMPLE_KNOWLEDGE

GOOD_YAML = """community: shop
entries:
  - id: s-001
    question: 怎么退货？
    similar: [能退吗, 不想要了怎么退, 退货流程]
    answer: 在订单页点申请退货。
    tags: [退货, 618]
  - id: s-002
    question: 运费多少
    answer: 满99包邮。
"""


def test_sample_knowledge_is_complete_and_valid() -> None:
    result = load_knowledge(SAMPLE_KNOWLEDGE)
    assert result.errors == []
    faqs = [i for i in result.items if i.__class__.__name__ == "FaqEntry"]
    scripts = [i for i in result.items if i.__class__.__name__ == "Script"]
    assert len(faqs) >= 150 and all(len(f.similar) >= 3 for f in faqs)  # type: ignore[attr-defined]
    assert len(scripts) >= 60
    assert {c.id for c in result.communities} == {"mombaby", "course"}


def test_yaml_file_with_community_default(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    result = load_knowledge(path)
    assert result.errors == []
    assert [i.id for i in result.items] == ["s-001", "s-002"]
    assert all(i.community == "shop" for i in result.items)
    assert result.items[0].tags == ["退货", "618"]


def test_bad_entries_are_reported_with_line_and_the_rest_loaded(tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    path.write_text(
        GOOD_YAML + "  - id: s-003\n    question: 缺答案\n  - id: s-001\n    question: 重复\n    answer: x\n",
        encoding="utf-8",
    )
    result = load_knowledge(path)
    assert [i.id for i in result.items] == ["s-001", "s-002"]
    reasons = {e.line: e.reason for e in result.errors}
    assert "answer" in reasons[11] and "Field required" in reasons[11]
    assert "duplicate id 's-001'" in reasons[13]


def test_jsonl_bad_lines_do_not_stop_good_ones(tmp_path: Path) -> None:
    path = tmp_path / "faq.jsonl"
    lines = [
        json.dumps({"id": "j-1", "question": "发票怎么开", "similar": ["开票"], "answer": "在订单页申请"}),
        "{not json",
        json.dumps({"id": "bad id!", "question": "q", "answer": "a"}),
        json.dumps(["a list"]),
        json.dumps({"id": "j-2", "question": "客服电话", "answer": "400-000-0000"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_knowledge(path, community="shop")
    assert [i.id for i in result.items] == ["j-1", "j-2"]
    assert [e.line for e in result.errors] == [2, 3, 4]
    assert all(i.community == "shop" for i in result.items)


def test_broken_yaml_reports_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "faq").mkdir()
    (tmp_path / "faq" / "broken.yaml").write_text("entries:\n  - id: [unclosed\n", encoding="utf-8")
    (tmp_path / "faq" / "good.yaml").write_text(GOOD_YAML, encoding="utf-8")
    result = load_knowledge(tmp_path)
    assert len(result.items) == 2
    assert len(result.errors) == 1 and result.errors[0].file.endswith("broken.yaml")
    assert result.errors[0].line is not None


def test_script_slots_must_match_body(tmp_path: Path) -> None:
    (tmp_path / "w.md").write_text(
        "---\nid: w-1\nkind: welcome\ntitle: 欢迎\nslots: [nickname]\n---\n欢迎{nickname}和{group_name}\n",
        encoding="utf-8",
    )
    result = load_knowledge(tmp_path / "w.md")
    assert result.items == []
    assert "undeclared ['group_name']" in result.errors[0].reason


def test_missing_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    result = load_knowledge(tmp_path / "nope")
    assert result.items == [] and "no such file" in result.errors[0].reason


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.dictionaries(st.sampled_from(["id", "question", "answer", "similar"]), st.text(max_size=10)),
        ),
        max_size=8,
    )
)
def test_any_jsonl_content_loads_or_reports_every_line(tmp_path_factory, rows) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("prop") / "faq.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    lines = [ln.replace("\n", " ").replace("\r", " ") for ln in lines]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = load_knowledge(path)
    non_blank = sum(1 for ln in lines if ln.strip())
    assert len(result.items) + len(result.errors) == non_blank
