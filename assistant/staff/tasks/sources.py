"""Where a 任务清单's passages come from — a stored document, a file read directly, or one
section of either — and `task_table`, which the CLI and the UI call."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.core.types import Passage
from assistant.documents.library import document_passages
from assistant.staff.tasks.rules import TaskTable, extract_rules, heading_parts

if TYPE_CHECKING:
    from langchain_core.language_models.chat_models import BaseChatModel

    from vectorstore.knowledge_base import KnowledgeBase


class Components(Protocol):
    """What a task list needs from the composition root (Services has it)."""

    settings: Settings

    @property
    def kb(self) -> KnowledgeBase: ...

    def chat_model(self, backend: str) -> BaseChatModel: ...

    def context_budget(self, backend: str) -> int: ...


def in_section(passages: list[Passage], section: str) -> list[Passage]:
    """The passages whose heading path mentions `section` (e.g. 重点任务, 二、, 保障措施)."""
    wanted = "".join(section.split())
    if not wanted:
        return passages
    picked = [p for p in passages if wanted in "".join(p.heading.split())]
    if not picked:
        parts = list(dict.fromkeys(heading_parts(p, 1)[0] for p in passages if heading_parts(p, 1)))
        raise ConfigError(f"no section of the document matches --section {section!r}; its "
                          f"parts are: {'；'.join(parts[:12]) or '（无标题结构）'}")
    return picked


def task_table(services: Components, source: str, section: str = "",
               backend: str | None = None) -> TaskTable:
    """The task breakdown of one document (or one section of it), by rules or by a model."""
    passages = in_section(document_passages(services.kb, services.settings, source), section)
    title = passages[0].title if passages else Path(source).stem
    backend = backend or services.settings.llm.mode
    if backend == "extractive":
        return TaskTable(title, tuple(extract_rules(passages)), section, "rules")
    from assistant.staff.tasks.llm import extract_llm

    rows, notes = extract_llm(passages, services.chat_model(backend),
                              services.context_budget(backend))
    if not rows:
        rows = extract_rules(passages)
        notes += ("模型没有给出可核对的任务行，改用规则抽取。",)
    return TaskTable(title, tuple(rows), section, backend, tuple(notes))
