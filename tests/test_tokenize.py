from assistant.retrieval.tokenize import default_tokenizer


def test_synonyms_map_to_canonical_words() -> None:
    words = default_tokenizer().words("退钱啥时候到？refund 快点")
    assert "退款" in words and "退钱" not in words and "refund" not in words


def test_traditional_and_full_width_questions_meet_simplified_ones() -> None:
    tok = default_tokenizer()
    assert set(tok.words("優惠券怎麼用")) & set(tok.words("优惠券怎么用")) >= {"优惠券"}


def test_stopwords_dropped() -> None:
    assert default_tokenizer().words("请问一下你们的发货") == ("发货",)


def test_terms_add_bigrams_and_pinyin_for_typos() -> None:
    tok = default_tokenizer()
    typo, right = set(tok.terms("积份")), set(tok.terms("积分"))
    assert "p:jifen" in typo & right
    assert "b:积份" in typo


def test_weight_prefers_rare_words() -> None:
    tok = default_tokenizer()
    assert tok.weight("发票") > tok.weight("时间")
