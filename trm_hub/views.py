"""Answering a batch in several views of each problem: a task says how a view is made and undone,
and which views each problem needs; the answers come back in the problem's own frame."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from trm_hub.runtime import Engine, Result

ViewSettle = Callable[[int, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""`settle(step, views, rows, answers) -> stop`: after supervision step `step`, the views still
running, their problems, and their answers mapped back to the given frame; True where that view
stops now."""


class ViewAnswers:
    """Answers of a batch `given` [B, L] in up to `views` views, filled view range by view range.

    `to_view(v, rows)` gives view v of the given rows [len(rows), L]; `from_view(v, rows, out)`
    maps the model's outputs for them back to the given frame. `cpu_rows` caps the rows of one
    forward pass on a CPU; other keyword arguments go to every `engine.infer` call.
    """

    def __init__(self, engine: Engine, given: np.ndarray, views: int,
                 to_view: Callable[[int, np.ndarray], np.ndarray],
                 from_view: Callable[[int, np.ndarray, np.ndarray], np.ndarray],
                 cpu_rows: int | None = None, **infer: Any) -> None:
        batch, length = given.shape
        self.engine, self.length, self.to_view, self.from_view = engine, length, to_view, from_view
        self.infer = {**infer, "rows": cpu_rows if engine.device == "cpu" else None}
        self.answers = np.zeros((views, batch, length), dtype=np.int64)
        self.steps = np.zeros((views, batch), dtype=np.int64)
        self.q_halt = np.zeros((views, batch), dtype=np.float32)
        self.asked = np.zeros((views, batch), dtype=bool)

    def run(self, chosen: range, rows: np.ndarray, settle: ViewSettle | None = None, **infer: Any) -> None:
        """Answer the `chosen` views of the given `rows` in one engine call (`infer` overrides the
        keyword arguments given at construction). `settle` (`ViewSettle`), asked after every
        supervision step about the views still running, says which stop."""
        stacked = np.concatenate([self.to_view(v, rows) for v in chosen])
        if settle is not None:
            infer = {**infer, "settle": lambda step, index, outputs: settle(
                step, *self._in_given_frame(chosen, rows, index, outputs))}
        result = self.engine.infer(stacked, **{**self.infer, **infer})
        out = result.outputs.reshape(len(chosen), len(rows), self.length)
        for k, v in enumerate(chosen):
            self.answers[v, rows] = self.from_view(v, rows, out[k])
        self.steps[chosen.start:chosen.stop, rows] = result.steps.reshape(len(chosen), len(rows))
        self.q_halt[chosen.start:chosen.stop, rows] = result.q_halt.reshape(len(chosen), len(rows))
        self.asked[chosen.start:chosen.stop, rows] = True

    def _in_given_frame(self, chosen: range, rows: np.ndarray, index: np.ndarray,
                        outputs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Views, problems and answers in the given frame of rows `index` of a stacked call."""
        views, problems = chosen.start + index // len(rows), rows[index % len(rows)]
        answers = np.empty((len(index), self.length), dtype=np.int64)
        for v in np.unique(views):
            mine = views == v
            answers[mine] = self.from_view(int(v), problems[mine], outputs[mine].reshape(int(mine.sum()), -1))
        return views, problems, answers

    def kept(self, best: np.ndarray) -> Result:
        """The result of view `best[i]` for each problem i."""
        rows = np.arange(len(best))
        return Result(self.answers[best, rows], self.steps[best, rows], self.q_halt[best, rows])
