"""The eval suites measure paraphrase, not recall of memorised text: no question may be a
near copy of a phrasing of the entry it expects (the issue asks for questions "phrased
differently from every similar entry"). Guards the sample knowledge as it grows."""

from pathlib import Path

import pytest

from assistant.knowledge.loader import load_knowledge
from assistant.knowledge.models import FaqEntry
from assistant.text import fold
from evals import answers, retrieval
from evals.dataset import load_jsonl
from tests.conftest import SAMPLE_KNOWLEDGE

#: Character-bigram Jaccard at or above which two texts count as one phrasing reworded
#: slightly ("开票入口" / "开票入口在哪" is 0.6; the suites' closest honest pair is 0.41).
NEAR_COPY = 0.45


def bigrams(text: str) -> frozenset[str]:
    chars = "".join(ch for ch in fold(text) if ch.isalnum())
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1)) or frozenset([chars])


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b)


def test_bigram_jaccard_spots_a_reworded_copy() -> None:
    assert jaccard(bigrams("开票入口"), bigrams("开票入口在哪")) >= NEAR_COPY
    assert jaccard(bigrams("開票入口在哪？"), bigrams("开票入口在哪")) == 1.0
    assert jaccard(bigrams("发票开错了怎么重开"), bigrams("小程序登录不上怎么办")) < NEAR_COPY


@pytest.mark.parametrize(
    ("data", "model"), [(retrieval.DEFAULT_DATA, retrieval.RetrievalCase), (answers.DEFAULT_DATA, answers.AnswerCase)]
)
def test_no_eval_question_copies_a_phrasing_of_its_entry(
    data: Path, model: type[retrieval.RetrievalCase | answers.AnswerCase]
) -> None:
    phrasings = {
        item.id: [bigrams(p) for p in (item.question, *item.similar)]
        for item in load_knowledge(SAMPLE_KNOWLEDGE).items
        if isinstance(item, FaqEntry)
    }
    dataset = load_jsonl(data, model)
    assert dataset.errors == []
    copies = []
    for case in dataset.cases:
        question = bigrams(case.question)
        for entry in case.expected_ids:
            closest = max(jaccard(question, p) for p in phrasings[entry])
            if closest >= NEAR_COPY:
                copies.append((case.id, entry, round(closest, 2)))
    assert copies == []
