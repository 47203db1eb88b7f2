"""jieba tokens with the policy terms and a user dictionary, also when the merged dictionary is
read back from its cache by a later start."""

import jieba

from vectorstore.tokenize import STOPWORDS, Tokenizer, cache_dir

TEXT = "推进专精特新企业发展，深化放管服改革，推动县域经济高质量发展，落实河长制"


def plain_jieba(*dictionaries) -> list[str]:
    """The same tokens from a jieba built the ordinary way (no cache)."""
    from importlib import resources

    tok = jieba.Tokenizer()
    with resources.as_file(resources.files("vectorstore") / "policy_terms.txt") as terms:
        tok.load_userdict(str(terms))
    for extra in dictionaries:
        tok.load_userdict(str(extra))
    return [w.lower() for w in tok.cut_for_search(TEXT)
            if w.strip() and w not in STOPWORDS and w not in "，"]


def test_a_cached_dictionary_gives_the_tokens_jieba_gives(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    user = tmp_path / "terms.txt"
    user.write_text("县域经济高质量发展 20 n\n", encoding="utf-8")
    built = Tokenizer(str(user)).tokens(TEXT)
    (cached,) = cache_dir().glob("jieba-*.marshal")
    reread = Tokenizer(str(user)).tokens(TEXT)
    assert reread == built == plain_jieba(user)
    assert {"专精特新", "放管服", "河长制", "县域经济高质量发展"} <= set(reread)

    user.write_text("县域经济 20 n\n", encoding="utf-8")  # another dictionary, another cache
    assert "县域经济高质量发展" not in Tokenizer(str(user)).tokens(TEXT)
    assert len(list(cache_dir().glob("jieba-*.marshal"))) == 2

    cached.write_bytes(b"garbage")
    user.write_text("县域经济高质量发展 20 n\n", encoding="utf-8")
    assert Tokenizer(str(user)).tokens(TEXT) == built  # rebuilt from the dictionaries


QUESTIONS = ("淮安市2016年GDP增长多少", "辽宁省政府工作报告提出了哪些目标",
             "甲县农村卫生厕所普及率", "内蒙古城市上路开发区", "XX市乡村振兴推进会讲话")


def test_the_cached_part_of_speech_tagger_tags_as_jieba_posseg_does(tmp_path, monkeypatch):
    import jieba.posseg

    from vectorstore import tokenize

    reference = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    expected = [[tuple(p) for p in reference.cut(q)] for q in QUESTIONS]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for start in ("first start: caches written", "later start: caches read"):
        monkeypatch.setattr(tokenize, "_POS", [])
        tagger = tokenize.pos_tagger()
        assert [[tuple(p) for p in tagger.cut(q)] for q in QUESTIONS] == expected, start
        assert tagger.tokenizer.total > 0 and tagger.word_tag_tab == reference.word_tag_tab
    assert len(list(cache_dir().glob("jieba-*.marshal"))) == 2  # the dictionary, the tags
