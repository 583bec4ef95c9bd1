import subprocess
import sys

import numpy as np

from assistant.retrieval.embedding import HashingEmbedder

TEXTS = ["下单后多久发货？", "優惠券怎麼用", "PPT课的作业在哪交", ""]


def test_vectors_are_unit_length_and_empty_text_is_zero() -> None:
    vectors = HashingEmbedder(dim=256).embed(TEXTS)
    assert vectors.shape == (4, 256)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    assert not vectors[3].any()


def test_paraphrase_is_closer_than_unrelated_question() -> None:
    v = HashingEmbedder().embed(["快递什么时候发货", "几天能发出来", "发票怎么开"])
    assert v[0] @ v[1] > v[0] @ v[2]


def test_multi_line_document_counts_each_line_once() -> None:
    emb = HashingEmbedder()
    doc = emb.embed(["发票怎么开\n发票怎么开\n发票怎么开"])[0]
    assert np.allclose(doc, emb.embed(["发票怎么开"])[0], atol=1e-6)


def test_embedding_is_identical_in_a_fresh_process() -> None:
    """A persisted index is only valid if another process embeds the same text the same way
    (Python's salted ``hash()`` would break this)."""
    here = HashingEmbedder().embed(TEXTS).tolist()
    code = (
        "import json; from assistant.retrieval.embedding import HashingEmbedder; "
        f"print(json.dumps(HashingEmbedder().embed({TEXTS!r}).tolist()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert np.allclose(np.array(here), np.array(__import__("json").loads(out.stdout)), atol=1e-7)
