"""Chinese tokens for BM25 and term matching: jieba with a dictionary of policy terms."""

from __future__ import annotations

import hashlib
import io
import logging
import marshal
import os
import re
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

VERSION = 2  # bump when the rules below change: every lexical index is then rebuilt
_KEEP = re.compile(r"[\w\u4e00-\u9fff]")
STOPWORDS = frozenset(
    "的 了 和 与 及 以及 或 是 在 对 为 把 被 将 等 有 哪些 什么 怎么 如何 怎样 多少 哪个 哪 吗 呢 "
    "请问 请 要 会 能 可以 应 应当 一个 这个 那个 其 之 中 上 下 由 从 向 于 就 都 也 还 并 "
    "而 则 个 些 这 那 其中 进行 关于 是否 有关 方面 什么样 分别 多大 具体 情况 哪几 几 讲话 "
    "文件 提出 主要 如何 为什么 怎么样 哪里".split()
)


class Tokenizer:
    """jieba search-mode tokens, lower-cased, punctuation and stopwords dropped."""

    def __init__(self, user_dict: str = "") -> None:
        self._user_dict = user_dict
        self._jieba = None
        self._lock = threading.Lock()

    def _load(self):  # noqa: ANN202 - jieba has no types
        with self._lock:
            if self._jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                words = [(resources.files("vectorstore") / "policy_terms.txt").read_bytes()]
                if self._user_dict:
                    path = Path(self._user_dict)
                    if path.is_file():
                        words.append(path.read_bytes())
                    else:
                        logger.warning("user dictionary not found file=%s", path)
                self._jieba = _dictionary(jieba, words)
        return self._jieba

    def fingerprint(self) -> str:
        """What decides the tokens: the rules' version and the dictionaries' contents. An index
        built under another fingerprint would not match the queries' tokens."""
        digest = hashlib.sha256(str(VERSION).encode())
        digest.update((resources.files("vectorstore") / "policy_terms.txt").read_bytes())
        path = Path(self._user_dict) if self._user_dict else None
        if path is not None and path.is_file():
            digest.update(path.read_bytes())
        return f"{VERSION}:{digest.hexdigest()[:16]}"

    def tokens(self, text: str) -> list[str]:
        jieba = self._jieba or self._load()
        return [t for t in (w.strip().lower() for w in jieba.cut_for_search(text))
                if t and t not in STOPWORDS and _KEEP.search(t)]

    def terms(self, text: str) -> list[str]:
        """Distinct content terms in first-seen order (for term coverage and matching)."""
        return list(dict.fromkeys(self.tokens(text)))


def _dictionary(jieba, user_words: list[bytes]):  # noqa: ANN001, ANN202 - jieba has no types
    """A jieba tokenizer with the user dictionaries added, from a cache of its merged prefix
    dictionary when there is one: jieba's own start reads its cache with `marshal.load` from
    the file (~0.65 s) and then adds each user word; `marshal.loads` of the bytes takes ~0.17 s.
    The cache is keyed by jieba's version and dictionary and the user dictionaries' bytes."""
    from jieba import finalseg

    key = _jieba_key(jieba)
    for words in user_words:
        key.update(hashlib.sha256(words).digest())
    path = cache_dir() / f"jieba-{key.hexdigest()[:16]}.marshal"
    tok = jieba.Tokenizer()
    try:
        tok.FREQ, tok.total, forced = marshal.loads(path.read_bytes())
        if tok.total <= 0:
            raise ValueError("empty dictionary cache")
        tok.initialized = True
    except (OSError, ValueError, EOFError, TypeError):
        tok.initialize()
        before = set(finalseg.Force_Split_Words)
        for words in user_words:
            tok.load_userdict(io.BytesIO(words))
        forced = sorted(set(finalseg.Force_Split_Words) - before)  # words of frequency 0
        _write_atomically(path, marshal.dumps((tok.FREQ, tok.total, forced)))
    for word in forced:
        finalseg.add_force_split(word)
    return tok


def pos_tagger():  # noqa: ANN201 - jieba has no types
    """jieba's part-of-speech tagger on its own dictionary (no policy terms), both read from
    marshal caches: `jieba.posseg`'s own start reads the prefix dictionary (~0.7 s) and then
    every line of dict.txt again for the tags (~0.4 s), ~0.25 s from the caches."""
    with _POS_LOCK:
        if not _POS:
            import jieba
            import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            tok = _dictionary(jieba, [])
            tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
            tagger.tokenizer = tok
            tagger.word_tag_tab = _word_tags(jieba)
            _POS.append(tagger)
    return _POS[0]


_POS: list = []  # type: ignore[type-arg]
_POS_LOCK = threading.Lock()


def _jieba_key(jieba) -> Any:  # noqa: ANN001 - a hashlib object keyed by jieba's dictionary
    main_dict = _main_dict(jieba)
    return hashlib.sha256(f"{jieba.__version__}:{main_dict.stat().st_size}".encode())


def _main_dict(jieba) -> Path:  # noqa: ANN001
    return Path(jieba.__file__).parent / "dict.txt"


def _word_tags(jieba) -> dict[str, str]:  # noqa: ANN001
    """jieba's part-of-speech tag of every word of its dictionary, from a marshal cache."""
    main_dict = _main_dict(jieba)
    key = _jieba_key(jieba)
    path = cache_dir() / f"jieba-tags-{key.hexdigest()[:16]}.marshal"
    try:
        tags = marshal.loads(path.read_bytes())
        if isinstance(tags, dict):
            return tags
    except (OSError, ValueError, EOFError, TypeError):
        pass
    tags = {}
    for line in main_dict.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split(" ")
        if len(parts) == 3:
            tags[parts[0]] = parts[2]
    _write_atomically(path, marshal.dumps(tags))
    return tags


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policyqa" / "jieba"


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is a plain readable file
        os.replace(tmp, path)
    except OSError as exc:  # an unwritable cache only costs time at the next start
        logger.info("jieba dictionary not cached path=%s reason=%s", path, exc)
