"""Prompt templates as data: one Markdown file per task with `## system` and `## user` parts."""

from __future__ import annotations

from importlib import resources

TASKS = ("qa", "outline", "draft", "rewrite", "tasks")


def load(task: str) -> tuple[str, str]:
    """(system prompt, user template) of a task; the user template has {placeholders}."""
    if task not in TASKS:
        raise ValueError(f"unknown prompt {task!r}; known: {', '.join(TASKS)}")
    text = (resources.files("prompts") / f"{task}.md").read_text(encoding="utf-8")
    system, _, user = text.partition("## user\n")
    return system.removeprefix("## system\n").strip(), user.strip()
