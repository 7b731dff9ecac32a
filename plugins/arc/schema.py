"""ARC problem and solution schemas, with grid checks that name the offending place."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from trm_hub.task import Problem, Solution

MAX_SIDE = 30
NUM_COLOURS = 10
MAX_ATTEMPTS = 2

Grid = list[list[int]]


def _is_colour_value(value: Any) -> bool:
    """True for an integer (not a bool) value."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iu"


def check_grid(value: Any, where: str, max_side: int = MAX_SIDE) -> Grid:
    """Return `value` as a rectangular grid of colours 0-9 no larger than max_side, or raise ValueError."""
    if hasattr(value, "tolist") and not isinstance(value, list):
        value = value.tolist()
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a grid (a list of rows of colours 0-9), got {type(value).__name__}")
    if not value:
        raise ValueError(f"{where} is an empty grid; a grid needs at least one row and one column")
    for r, row in enumerate(value):
        if not isinstance(row, list):
            raise ValueError(f"{where}: row {r} must be a list of colours 0-9, got {type(row).__name__}")
        if not row:
            raise ValueError(f"{where}: row {r} is empty; a grid needs at least one column")
    width = len(value[0])
    for r, row in enumerate(value):
        if len(row) != width:
            raise ValueError(
                f"{where} is ragged: row {r} has {len(row)} cells but row 0 has {width}; rows must be equally long"
            )
    if len(value) > max_side or width > max_side:
        raise ValueError(f"{where} is {len(value)}x{width}; ARC grids are at most {max_side}x{max_side}")
    for r, row in enumerate(value):
        for c, cell in enumerate(row):
            if not _is_colour_value(cell) or not 0 <= cell < NUM_COLOURS:
                raise ValueError(
                    f"{where}: colour {cell!r} at row {r}, column {c} is outside 0-{NUM_COLOURS - 1}"
                )
    return [[int(cell) for cell in row] for row in value]


def _check_pairs(items: Any, name: str, need_output: bool) -> list[dict[str, Any]]:
    """Validate a list of {"input", "output"} pairs (output optional when need_output is False)."""
    if not isinstance(items, list):
        raise ValueError(f"'{name}' must be a list of {{\"input\", \"output\"}} pairs, got {type(items).__name__}")
    pairs = []
    for i, item in enumerate(items):
        where = f"{name}[{i}]"
        wanted = "'input' and 'output' grids" if need_output else "an 'input' grid (and optionally 'output')"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be an object with {wanted}, got {type(item).__name__}")
        extra = sorted(set(item) - {"input", "output"})
        if extra:
            raise ValueError(f"{where} has unexpected key(s) {extra}; a pair has only 'input' and 'output'")
        if "input" not in item or (need_output and "output" not in item):
            raise ValueError(f"{where} needs {wanted}")
        pair = {"input": check_grid(item["input"], f"{where}.input")}
        if item.get("output") is not None:
            pair["output"] = check_grid(item["output"], f"{where}.output")
        pairs.append(pair)
    return pairs


class ArcTrainPair(BaseModel):
    """A demonstration pair."""

    model_config = ConfigDict(extra="forbid")

    input: Grid
    output: Grid


class ArcTestItem(BaseModel):
    """A test input, with its output when it is known (then answers can be verified)."""

    model_config = ConfigDict(extra="forbid")

    input: Grid
    output: Grid | None = None


class ArcProblem(Problem):
    """An ARC task: demonstration pairs and the test inputs to answer."""

    train: list[ArcTrainPair]
    test: list[ArcTestItem]

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"an ARC task must be an object with 'train' and 'test', got {type(data).__name__}")
        extra = sorted(set(data) - {"train", "test"})
        if extra:
            raise ValueError(f"unexpected key(s) {extra}; an ARC task has only 'train' and 'test'")
        if "train" not in data:
            raise ValueError("an ARC task needs 'train': a list of {\"input\", \"output\"} demonstration pairs")
        if "test" not in data:
            raise ValueError("an ARC task needs 'test': a list of {\"input\"} grids to answer")
        train = _check_pairs(data["train"], "train", need_output=True)
        test = _check_pairs(data["test"], "test", need_output=False)
        if not train:
            raise ValueError("an ARC task needs at least one demonstration pair in 'train'")
        if not test:
            raise ValueError("an ARC task needs at least one test input in 'test'")
        return {"train": train, "test": test}

    def to_json(self) -> dict[str, Any]:
        """The task in ARC's JSON format (test outputs only where known)."""
        return self.model_dump(mode="json", exclude_none=True)


class ArcSolution(Solution):
    """Up to two attempted output grids for each test input, best first.

    `votes[i][j]` views voted for `attempts[i][j]`; `confidence[i][j]` is their mean Q-halt
    probability. `views` is how many augmented views were voted over, `puzzle_ids` says how the
    views were identified ("trained": the task was trained on; "test-time trained": views
    learnt on the task's demonstrations; "blank": the blank identifier), `ttt` the test-time
    training summary. `select` says how the attempts were chosen among the views' answers: "vote" (most
    views, ties to the higher summed Q-halt probability), "vote+experts" (most views, ties to the
    higher `log_probability`: the candidate's log-probability summed over the views) or "experts"
    (highest `log_probability`).
    """

    attempts: list[list[Grid]]
    votes: list[list[int]] | None = None
    confidence: list[list[float]] | None = None
    log_probability: list[list[float]] | None = None
    select: Literal["vote", "vote+experts", "experts"] | None = None
    views: int | None = None
    puzzle_ids: Literal["trained", "test-time trained", "blank"] | None = None
    ttt: dict[str, float | int] | None = None

    @field_validator("attempts", mode="before")
    @classmethod
    def _check(cls, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise ValueError("'attempts' must be a non-empty list with one list of grids per test input")
        checked = []
        for i, grids in enumerate(value):
            if not isinstance(grids, list):
                raise ValueError(f"attempts[{i}] must be a list of up to {MAX_ATTEMPTS} grids")
            if len(grids) > MAX_ATTEMPTS:
                raise ValueError(f"attempts[{i}] has {len(grids)} grids; at most {MAX_ATTEMPTS} are allowed")
            checked.append([check_grid(g, f"attempts[{i}][{j}]") for j, g in enumerate(grids)])
        return checked
