"""Follow-up questions → standalone search queries, only when they depend on the history."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import prompts
from assistant.answer.backend import History

if TYPE_CHECKING:  # imported when a model is used: `search` and quotes never pay for it
    from langchain_core.language_models.chat_models import BaseChatModel

logger = logging.getLogger(__name__)


_DEPENDENT = re.compile(
    r"^(?:那|那么|还有|另外|此外|其中|然后|再)|呢[？?]?$|这[个些项点条方]|该[项文意]|上述|前面|刚才|"
    r"它们?|其[中他余]|第[一二三四五六七八九十\d]+[点条项个部]|这方面|那方面|具体怎么")


def depends_on_history(question: str, history: History) -> bool:
    """Cheap test: a follow-up cue, or a question too short to stand on its own."""
    if not history:
        return False
    return bool(_DEPENDENT.search(question.strip())) or len(question.strip()) <= 6


def rule_rewrite(question: str, history: History, terms_of: Callable[[str], list[str]]) -> str:
    """Carry the topic terms of the last question that the follow-up does not repeat."""
    last = history[-1][0]
    own = set(terms_of(question))
    carried = [t for t in terms_of(last) if t not in own and len(t) > 1]
    return " ".join(carried[:6] + [question.strip()])


def llm_rewrite(question: str, history: History, model: BaseChatModel) -> str:
    from langchain_core.messages import HumanMessage, SystemMessage

    system, user = prompts.load("rewrite")
    turns = "\n".join(f"问：{q}\n答：{a[:120]}" for q, a in history[-2:])
    reply = model.invoke([SystemMessage(system),
                          HumanMessage(user.format(history=turns, question=question))])
    text = str(reply.content).strip().splitlines()[0] if str(reply.content).strip() else ""
    return text.strip("“”\"' ") or question
