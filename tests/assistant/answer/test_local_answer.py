"""The real bundled GGUF model answers through the chain with a valid, verified citation."""

import shutil
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.services import Services

DATA = Path(__file__).resolve().parents[2] / "data"
pytestmark = pytest.mark.slow


def test_local_model_answers_with_a_verified_citation(tmp_path):
    shutil.copy(DATA / "speech.txt", tmp_path / "乡村振兴推进会讲话.txt")
    settings = Settings(store={"path": tmp_path / "kb"}, embedding={"mode": "hash"},
                        llm={"mode": "local", "n_ctx": 2048, "max_tokens": 96,
                             "local_context_chars": 700})
    services = Services(settings)
    services.ingest([tmp_path / "乡村振兴推进会讲话.txt"])
    answer = services.ask("到今年年底，全市农村卫生厕所普及率要达到多少？")
    assert answer.backend == "local", answer.text  # not the extractive fallback
    assert "85%" in answer.text
    assert answer.citations
    cited = {c.n: c.passage.text for c in answer.citations}
    assert any("85%" in text for text in cited.values())
