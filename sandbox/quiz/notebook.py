"""``check_yourself()``: a notebook's closing questions, answers folded away, never waiting for input."""

from __future__ import annotations

from sandbox.quiz.questions import Question, load_bank, select


def pick(questions: list[Question], count: int) -> list[Question]:
    """``count`` questions spread over the task statements: one per task in turn, in bank order."""
    by_task: dict[tuple[str, str], list[Question]] = {}
    for question in questions:
        by_task.setdefault((question.exam, question.task), []).append(question)
    picked: list[Question] = []
    queues = list(by_task.values())
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return picked


def render_markdown(questions: list[Question], notebook_stem: str) -> str:
    """The questions as Markdown; each answer and every option's explanation inside a <details> block."""
    if not questions:
        return (f"No bank questions are tagged for `{notebook_stem}` yet. "
                "Practise in a terminal with `sandbox quiz`.")
    parts = [f"Questions from the exam bank for `{notebook_stem}`. Decide on your answer before you "
             "open **Answer**; `sandbox quiz --notebook " + notebook_stem + "` asks them with spaced repetition.\n"]
    for number, question in enumerate(questions, 1):
        parts.append(f"**{number}. [{question.exam} {question.task}: {question.task_title}]** {question.question}\n")
        parts.extend(f"- **{option.key}.** {option.text}" for option in question.options)
        parts.append("")
        parts.append("<details><summary>Answer</summary>\n")
        parts.append(f"**Answer: {', '.join(question.answer)}**\n")
        for option in question.options:
            verdict = "right" if option.correct else "wrong"
            parts.append(f"- **{option.key}** ({verdict}): {option.explanation}")
        parts.append("")
        parts.append("See: " + ", ".join(f"`{ref}`" for ref in question.references))
        parts.append("\n</details>\n")
    return "\n".join(parts)


def check_yourself(notebook_stem: str, count: int = 4) -> None:
    """Show ``count`` bank questions for ``notebook_stem`` with their answers hidden.

    In Jupyter the Markdown is rendered (answers in a collapsible <details> block); elsewhere it is
    printed as text. It never asks for input, so executed notebooks run straight through.

    Example::

        from sandbox.quiz import check_yourself
        check_yourself("02_streaming_ingest")
    """
    text = render_markdown(pick(select(load_bank(), notebook=notebook_stem), count), notebook_stem)
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Markdown(text))
    else:
        print(text)
