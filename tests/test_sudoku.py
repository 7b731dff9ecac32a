"""Tests of the Sudoku task plugin: formats, messages, solver, generator, augmentation, data."""

from __future__ import annotations

import json
import random
from importlib import resources

import numpy as np
import pluggy
import pytest
from pydantic import ValidationError

from trm_hub import hookspecs
from trm_hub_plugins import sudoku as sudoku_plugin
from trm_hub_plugins.sudoku.augment import SudokuAugmenter, random_cell_maps, row_keys
from trm_hub_plugins.sudoku.data import build_dataset, held_out_set, puzzle_set, training_set
from trm_hub_plugins.sudoku.generate import BANDS, band_for, generate_items, generate_puzzle
from trm_hub_plugins.sudoku.geometry import geometry
from trm_hub_plugins.sudoku.recipe import CPU_PRESET, PAPER_PRESET, SIZE_DEFAULTS, SudokuRecipe, SudokuData
from trm_hub_plugins.sudoku.report import format_report, sudoku_report, valid_completions
from trm_hub_plugins.sudoku.schema import SudokuProblem, SudokuSolution
from trm_hub_plugins.sudoku.solver import count_solutions, effort, is_solution, solve
from trm_hub_plugins.sudoku.task import SudokuTask
from trm_hub_plugins.sudoku.tokens import to_digits, to_tokens

TASK = SudokuTask()

HARD_9 = [
    "4.....8.5.3..........7......2.....6.....8.4......1.......6.3.7.5..2.....1.4......",
    "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..",
    "..53.....8......2..7..1.5..4....53...1..7...6..32...8..6.5....9..4....3......97..",
]
PUZZLE_9 = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"
SOLUTION_9 = "534678912672195348198342567859761423426853791713924856961537284287419635345286179"


def cells(text: str) -> list[int]:
    return [0 if c in "._0" else int(c) for c in text]


def rows_of(flat: list[int], n: int) -> list[list[int]]:
    return [flat[r * n : (r + 1) * n] for r in range(n)]


def message(raw: dict) -> str:
    with pytest.raises(ValidationError) as info:
        SudokuProblem.model_validate(raw)
    return str(info.value)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRM_HUB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


# formats


def test_every_format_parses_to_the_same_grid():
    grid = rows_of(cells(PUZZLE_9), 9)
    row_strings = [PUZZLE_9[r * 9 : (r + 1) * 9] for r in range(9)]
    forms = [
        {"puzzle": PUZZLE_9},
        {"grid": PUZZLE_9.replace(".", "0")},
        {"sudoku": PUZZLE_9.replace(".", "_")},
        {"puzzle": "\n".join(row_strings)},
        {"puzzle": row_strings},
        {"grid": [" ".join(r) for r in row_strings]},
        {"sudoku": grid},
        {"puzzle": [[v or None for v in row] for row in grid]},
        {"grid": [[str(v) if v else "." for v in row] for row in grid]},
        {"task": "sudoku", "puzzle": PUZZLE_9},
    ]
    for raw in forms:
        problem = TASK.parse(raw)
        assert problem.grid == grid, raw
        assert problem.n == 9 and problem.givens == 30


@pytest.mark.parametrize("n", [4, 6, 9])
def test_each_size_parses_with_its_box_shape(n):
    solution = solve([0] * (n * n), n).solutions[0]
    puzzle = [v if i % 3 else 0 for i, v in enumerate(solution)]
    problem = TASK.parse({"puzzle": "".join(str(v) if v else "." for v in puzzle)})
    assert problem.n == n
    assert problem.box == {4: (2, 2), 6: (2, 3), 9: (3, 3)}[n]
    assert TASK.model_name(problem) == f"sudoku-{n}x{n}"


def test_normalised_problem_round_trips_through_json():
    problem = TASK.parse({"puzzle": PUZZLE_9})
    again = TASK.parse(json.loads(problem.model_dump_json(exclude_none=True)))
    assert again == problem


# bad input messages


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"puzzle": PUZZLE_9[:80]}, "expected 81 cells for a 9x9 sudoku, got 80"),
        ({"puzzle": "1234"}, "expected 16 cells for a 4x4 sudoku, got 4"),
        ({"puzzle": [PUZZLE_9[r * 9 : r * 9 + 9] for r in range(8)]}, "expected 4, 6 or 9 rows, got 8"),
        (
            {"puzzle": [PUZZLE_9[r * 9 : r * 9 + 9] if r != 2 else "53..7..." for r in range(9)]},
            "row 3 has 8 cells, expected 9",
        ),
        ({"grid": [[0] * 9] * 8 + [[0] * 8]}, "row 9 has 8 values, expected 9"),
        ({"puzzle": "5" + "." * 11 + "x" + "." * 68}, "symbol 'x' at row 2, column 4 is not a digit 1-9 or a blank"),
        ({"puzzle": "..5............."}, "symbol '5' at row 1, column 3 is not a digit 1-4 or a blank"),
        ({"grid": [[0, 0, 0, 7], [0] * 4, [0] * 4, [0] * 4]}, "value 7 at row 1, column 4 is not a digit 1-4"),
        ({"grid": [[0, True, 0, 0], [0] * 4, [0] * 4, [0] * 4]}, "value True at row 1, column 2"),
        ({"grid": ["1234", [1, 2, 3, 4], "....", "...."]}, "mix strings and lists"),
        ({"puzzle": 42}, "must be a string of cells, a list of row strings or a list of rows of numbers"),
        ({"puzzle": []}, "is empty"),
        ({"board": PUZZLE_9}, "needs a 'puzzle', 'grid' or 'sudoku' key"),
        ({"puzzle": PUZZLE_9, "grid": PUZZLE_9}, "give only one of"),
        ({"puzzle": PUZZLE_9, "size": 9}, "unexpected key(s) ['size']"),
    ],
)
def test_bad_input_messages(raw, expected):
    assert expected in message(raw)


def test_conflicting_givens_name_the_unit_and_digit():
    row = "." * 18 + "5...5...." + "." * 54
    assert "row 3 has two 5s" in message({"puzzle": row})
    column = "." * 81
    column = column[:1] + "7" + column[2:]
    column = column[:37] + "7" + column[38:]
    assert "column 2 has two 7s" in message({"puzzle": column})
    grid = ["1........", ".1......."] + ["." * 9] * 7
    assert "box 1 (rows 1-3, columns 1-3) has two 1s" in message({"puzzle": grid})
    six = ["1.....", "..1...", "......", "......", "......", "......"]
    assert "box 1 (rows 1-2, columns 1-3) has two 1s" in message({"grid": six})
    many = "3.3.3...." + "." * 72
    assert "row 1 has three 3s" in message({"puzzle": many})


def test_unsolvable_puzzle_without_direct_conflicts_is_rejected():
    rows = ["12345678.", "........."] + ["." * 9] * 7
    rows[4] = "........9"
    assert "the puzzle has no solution" in message({"puzzle": rows})


def test_wrong_task_key_is_rejected():
    assert "sudoku" in message({"task": "maze", "puzzle": PUZZLE_9})


# solver


def test_solver_solves_known_puzzle():
    result = solve(cells(PUZZLE_9), 9, limit=2)
    assert result.count == 1
    assert "".join(map(str, result.solutions[0])) == SOLUTION_9


@pytest.mark.parametrize("text", HARD_9)
def test_solver_on_hard_puzzles_finds_the_unique_solution(text):
    puzzle = cells(text)
    result = solve(puzzle, 9, limit=2)
    assert result.complete and result.count == 1
    assert is_solution(puzzle, result.solutions[0], 9)
    assert effort(puzzle, 9) > 0


def test_solver_counts_every_4x4_grid():
    assert count_solutions([0] * 16, 4, limit=1000) == 288


def test_solver_counts_multiple_and_no_solutions():
    assert count_solutions([0] * 81, 9) == 2
    conflict = cells(PUZZLE_9)
    conflict[2] = 5
    assert count_solutions(conflict, 9) == 0


def test_solver_guess_limit_marks_incomplete_search():
    result = solve([0] * 81, 9, limit=10**6, max_guesses=5)
    assert not result.complete


def test_is_solution_rejects_broken_grids():
    solution = cells(SOLUTION_9)
    puzzle = cells(PUZZLE_9)
    assert is_solution(puzzle, solution, 9)
    swapped = solution.copy()
    swapped[0], swapped[1] = swapped[1], swapped[0]
    assert not is_solution([0] * 81, swapped, 9)
    other = solve([0] * 81, 9).solutions[0]
    assert not is_solution(puzzle, other, 9)
    assert not is_solution(puzzle, solution[:80], 9)


# generator


@pytest.mark.parametrize("n", [4, 6, 9])
def test_generated_puzzles_are_unique_and_in_their_band(n):
    for band in BANDS[n].values():
        count = 3 if band.name in ("extreme", "hardest", "searched") else 6
        puzzles, solutions, guesses = generate_items(n, band.name, "test" if band.held_out_only else "train", 7, 0, count)
        for p, s, g in zip(puzzles.tolist(), solutions.tolist(), guesses.tolist()):
            assert count_solutions(p, n) == 1
            assert is_solution(p, s, n)
            givens = sum(1 for v in p if v)
            assert band.accepts(givens, g)
            assert effort(p, n) == g
            assert band_for(n, givens, g) == (band.name if band.standard else "extreme")


def test_generator_is_seeded_and_splits_use_different_streams():
    a = generate_items(6, "hard", "test", 0, 0, 5)
    b = generate_items(6, "hard", "test", 0, 0, 5)
    c = generate_items(6, "hard", "train", 0, 0, 5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    tail = generate_items(6, "hard", "test", 0, 3, 5)
    assert np.array_equal(a[0][3:], tail[0])


def test_generate_puzzle_honours_givens_and_effort():
    rng = random.Random(3)
    p = generate_puzzle(9, rng, (30, 32))
    assert 30 <= p.givens <= 32
    q = generate_puzzle(9, rng, (20, 27), min_guesses=2)
    assert q.guesses >= 2 and count_solutions(q.puzzle, 9) == 1


# augmentation


def _valid_pairs(inputs: np.ndarray, labels: np.ndarray, n: int) -> bool:
    digits_in = np.where(inputs == 1, 0, inputs - 1)
    digits_out = labels - 1
    return bool(valid_completions(digits_in, digits_out, n).all())


@pytest.mark.parametrize("n", [4, 6, 9])
def test_augmentation_preserves_validity(n):
    puzzles, solutions, _ = generate_items(n, "medium", "train", 1, 0, 8)
    x, y = to_tokens(np.repeat(puzzles, 16, 0)), to_tokens(np.repeat(solutions, 16, 0))
    aug = SudokuAugmenter(n, n + 2)
    ax, ay = aug(x, y, np.random.default_rng(0))
    assert ax.shape == x.shape and ax.dtype == x.dtype
    assert _valid_pairs(ax, ay, n)
    assert ((ax == 1).sum(1) == (x == 1).sum(1)).all()
    assert len({r.tobytes() for r in ax}) > len(puzzles)
    for r in range(len(ax)):
        assert count_solutions((np.where(ax[r] == 1, 0, ax[r] - 1)).tolist(), n) == 1


def test_6x6_augmentation_never_transposes():
    maps = random_cell_maps(6, 500, np.random.default_rng(1))
    geo = geometry(6)
    boxes = np.asarray(geo.box_of)
    for m in maps:
        for box in range(6):
            sources = {int(boxes[m[i]]) for i in range(36) if boxes[i] == box}
            assert len(sources) == 1


def test_augmentation_keeps_ignored_labels_and_held_out_puzzles():
    puzzles, solutions, _ = generate_items(4, "easy", "train", 2, 0, 4)
    x, y = to_tokens(puzzles), to_tokens(solutions)
    y[:, 0] = -100
    ax, ay = SudokuAugmenter(4, 6)(x, y, 5)
    assert ((ay == -100).sum(1) == 1).all()
    blocked = {r.astype(np.uint8).tobytes() for r in SudokuAugmenter(4, 6)(x, y, 5)[0]}
    bx, _ = SudokuAugmenter(4, 6, blocked)(x, y, 5)
    assert np.array_equal(bx, x)


# codec, verify, routing, examples


@pytest.mark.parametrize("n", [4, 6, 9])
def test_encode_decode_round_trip(n):
    p = generate_puzzle(n, random.Random(n), BANDS[n]["medium"].givens)
    problem = SudokuProblem.from_cells(p.puzzle, n)
    tokens = TASK.encode(problem, TASK.recipe.model_validate(TASK.recipe.presets["cpu"]))
    assert tokens.shape == (n * n,)
    assert set(tokens.tolist()) <= set(range(1, n + 2))
    solution = TASK.decode(problem, to_tokens(p.solution))
    assert solution.grid == rows_of(p.solution, n)
    assert TASK.verify(problem, solution)
    blank_prediction = TASK.decode(problem, tokens)
    assert blank_prediction.grid == problem.grid
    assert not TASK.verify(problem, blank_prediction)


def test_decode_never_overwrites_givens():
    problem = TASK.parse({"puzzle": PUZZLE_9})
    wrong = np.full(81, 2 + 8)
    grid = TASK.decode(problem, wrong).grid
    flat = [v for row in grid for v in row]
    assert all(g == f for g, f in zip(problem.flat, flat) if g)
    assert all(f == 9 for g, f in zip(problem.flat, flat) if not g)
    with pytest.raises(ValueError, match="expected 81 predicted tokens"):
        TASK.decode(problem, np.zeros(80, dtype=int))


def test_verify_checks_shape_givens_and_rules():
    problem = TASK.parse({"puzzle": PUZZLE_9})
    assert TASK.verify(problem, SudokuSolution(grid=rows_of(cells(SOLUTION_9), 9)))
    assert not TASK.verify(problem, SudokuSolution(grid=rows_of(cells(SOLUTION_9), 9)[:8]))
    assert TASK.solve_exact(problem).grid == rows_of(cells(SOLUTION_9), 9)


def test_routing_examples_are_valid_varied_and_seeded():
    examples = list(TASK.routing_examples(300, seed=11))
    assert examples == list(TASK.routing_examples(300, seed=11))
    assert examples != list(TASK.routing_examples(300, seed=12))
    sizes, keys, forms, with_task = set(), set(), set(), 0
    for raw in examples:
        problem = TASK.parse(raw)
        sizes.add(problem.n)
        key = next(k for k in raw if k != "task")
        keys.add(key)
        value = raw[key]
        forms.add("string" if isinstance(value, str) else "rows" if isinstance(value[0], str) else "ints")
        with_task += "task" in raw
        json.dumps(raw)
    assert sizes == {4, 6, 9}
    assert keys == {"puzzle", "grid", "sudoku"}
    assert forms == {"string", "rows", "ints"}
    assert 0 < with_task < len(examples)


@pytest.mark.parametrize("n", [4, 6, 9])
def test_shipped_examples_have_unique_solutions(n):
    text = resources.files("trm_hub_plugins.sudoku").joinpath(f"examples/sudoku{n}.json").read_text()
    problem = TASK.parse(json.loads(text))
    assert problem.n == n
    assert count_solutions(problem.flat, n) == 1
    assert TASK.verify(problem, TASK.solve_exact(problem))


def test_plugin_registers_the_task():
    pm = pluggy.PluginManager("trm_hub")
    pm.add_hookspecs(hookspecs)
    pm.register(sudoku_plugin)
    pm.check_pending()
    registered = []
    pm.hook.register_tasks(register=registered.append)
    assert [t.name for t in registered] == ["sudoku"]


# recipe and data


def test_recipe_follows_data_size():
    nine = SudokuRecipe.model_validate(CPU_PRESET)
    assert (nine.model.seq_len, nine.model.vocab_size, nine.model_name) == (81, 11, "sudoku-9x9")
    four = SudokuRecipe.model_validate({**CPU_PRESET, "data": {"size": 4}})
    assert (four.model.seq_len, four.model.vocab_size, four.model_name) == (16, 6, "sudoku-4x4")
    assert four.model.hidden_size == 64 and four.data.train_puzzles == 3000
    tuned = SudokuRecipe.model_validate(
        {**CPU_PRESET, "steps": 7, "model": {**CPU_PRESET["model"], "hidden_size": 32}, "data": {"size": 6}}
    )
    assert (tuned.steps, tuned.model.hidden_size, tuned.model.seq_len) == (7, 32, 36)
    assert SudokuRecipe.model_validate(tuned.model_dump()) == tuned
    bare = SudokuRecipe.model_validate({"data": {"size": 6}})
    assert (bare.model.seq_len, bare.model.grid, bare.steps) == (36, (6, 6), SIZE_DEFAULTS[6]["steps"])


def test_paper_preset_has_the_papers_settings():
    cfg = SudokuRecipe.model_validate(PAPER_PRESET)
    m = cfg.model
    assert (m.mixer, m.hidden_size, m.T, m.n, m.halt_max_steps) == ("mlp", 512, 3, 6, 16)
    assert (cfg.batch_size, cfg.lr, cfg.weight_decay, cfg.ema, cfg.ema_rate) == (768, 1e-4, 1.0, True, 0.999)
    assert (cfg.data.train_puzzles, cfg.data.augmentations) == (1000, 1000)


def test_recipe_rejects_unknown_bands():
    with pytest.raises(ValidationError, match="unknown band"):
        SudokuRecipe.model_validate({**CPU_PRESET, "data": {"size": 4, "train_bands": ["extreme"]}})


def test_build_dataset_keeps_test_puzzles_out_of_training(cache):
    cfg = SudokuRecipe.model_validate(
        {**CPU_PRESET, "data": {"size": 4, "train_puzzles": 300, "test_puzzles": 40}}
    )
    data = TASK.build_dataset(cfg)
    assert data.train.inputs.shape == (300, 16) and data.test.inputs.shape == (120, 16)
    assert len(data.problems) == 120
    full_test = held_out_set(4, list(BANDS[4]), 1000)
    held = {r.tobytes() for r in to_tokens(full_test.puzzles)}
    assert not held & {r.tobytes() for r in data.train.inputs}
    assert _valid_pairs(data.train.inputs, data.train.labels, 4)
    assert _valid_pairs(data.test.inputs, data.test.labels, 4)
    x, y = data.augment(data.train.inputs, data.train.labels, np.random.default_rng(0))
    assert _valid_pairs(x, y, 4)
    assert not held & {r.tobytes() for r in x}
    again = build_dataset(cfg)
    assert np.array_equal(again.train.inputs, data.train.inputs)
    assert np.array_equal(again.test.inputs, data.test.inputs)
    assert np.array_equal(data.test.inputs, to_tokens(full_test.puzzles[:120]))
    assert list(full_test.bands[:6]) == ["easy", "medium", "hard"] * 2
    assert any(cache.rglob("*.npz"))


def test_build_dataset_materialises_fixed_augmentations(cache):
    cfg = SudokuRecipe.model_validate(
        {**CPU_PRESET, "data": {"size": 4, "train_puzzles": 12, "test_puzzles": 5,
                                "augmentations": 3, "augment": False, "test_bands": ["hard"]}}
    )
    data = TASK.build_dataset(cfg)
    assert data.augment is None
    assert data.train.inputs.shape == (48, 16) and data.test.inputs.shape == (5, 16)
    assert _valid_pairs(data.train.inputs, data.train.labels, 4)
    assert np.array_equal(data.train.inputs[:12], to_tokens(training_set(4, list(BANDS[4]), 12, 0, set()).puzzles))


def test_another_test_seed_gives_fixed_validation_puzzles_apart_from_the_test_set():
    test = held_out_set(9, ["easy"], 8, cache=False)
    valid = held_out_set(9, ["easy"], 8, cache=False, seed=7)
    assert np.array_equal(valid.puzzles, held_out_set(9, ["easy"], 8, cache=False, seed=7).puzzles)
    assert not set(map(bytes, valid.puzzles)) & set(map(bytes, test.puzzles))
    cfg = SudokuRecipe.model_validate(
        {**CPU_PRESET, "data": {"size": 9, "train_puzzles": 4, "test_puzzles": 8, "test_seed": 7,
                                "test_bands": ["easy"], "cache": False}}
    )
    assert np.array_equal(TASK.build_dataset(cfg).test.inputs, to_tokens(valid.puzzles))


def test_report_counts_solved_puzzles_per_band_and_givens():
    test = held_out_set(4, list(BANDS[4]), 10, cache=False)
    predicted = to_tokens(test.solutions)
    predicted[np.flatnonzero(test.bands == "easy")[:5]] = 1
    report = sudoku_report(4, test.puzzles, test.solutions, predicted, np.full(30, 2), 0.01)
    assert report["count"] == 30
    assert report["exact_accuracy"] == pytest.approx(25 / 30)
    assert report["bands"]["easy"]["exact_accuracy"] == pytest.approx(0.5)
    assert report["bands"]["hard"]["exact_accuracy"] == 1.0
    assert sum(g["count"] for g in report["givens"].values()) == 30
    assert report["timing"]["solver_ms_per_puzzle"] > 0
    assert "sudoku-4x4" in format_report(report)


def test_evaluate_reports_an_untrained_checkpoint(cache):
    import torch

    from trm_hub.model import TRM

    cfg = SudokuRecipe.model_validate(
        {**CPU_PRESET, "model": {**CPU_PRESET["model"], "hidden_size": 16, "halt_max_steps": 2},
         "data": {"size": 4, "test_puzzles": 4}}
    )
    model = TRM(cfg.model).eval()
    meta = {"task": "sudoku", "train": cfg.model_dump(mode="json")}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        report = TASK.evaluate(model, meta, cfg)
    finally:
        torch.set_num_threads(threads)
    assert report["model"] == "sudoku-4x4" and report["count"] == 12
    assert set(report["bands"]) == {"easy", "medium", "hard"}
    assert 1 <= report["mean_steps"] <= 2
    assert report["timing"]["trm_ms_per_puzzle"] > 0 and report["timing"]["solver_ms_per_puzzle"] > 0
    assert any("time per puzzle" in line for line in report["table"])


def test_the_eval_report_judges_the_hardest_band_apart_and_gives_the_vote_beside_the_checker():
    from trm_hub.overrides import OverrideError, resolve_config
    from trm_hub.registry import SHIPPED_REGISTRY, Registry

    assert SudokuData().bands("train") == SudokuData().bands("test") == ["easy", "medium", "hard", "extreme"]
    with pytest.raises(OverrideError, match=r"data.train_bands names \['hardest'\]: held-out-only bands are never trained on"):
        resolve_config(SudokuRecipe, {"data": {"train_bands": ["extreme", "hardest"]}})
    model, meta = TASK.load_model(Registry(SHIPPED_REGISTRY).weights_for("sudoku", "sudoku-9x9"), "cpu")
    cfg = resolve_config(SudokuRecipe, {"data": {"test_bands": ["easy"], "test_puzzles": 4, "judge_puzzles": 6,
                                                 "checked_views": 16, "test_seed": 7}})
    report = TASK.evaluate(model, meta, cfg)
    assert report["count"] == 4 and set(report["bands"]) == {"easy"}
    hardest = report["judged"]["hardest"]
    assert hardest["count"] == 6 and 17 <= hardest["mean_givens"] <= 24 and hardest["trm_ms_per_puzzle"] > 0
    assert hardest["exact_accuracy"] >= hardest["voted"] and report["exact_accuracy"] >= report["voted"]["exact_accuracy"]
    assert hardest["band"] == "17-24 givens, at least 30 guesses of the exact solver, searched for solver effort (1500 rounds)"
    assert any(line.startswith("hardest band (6 held-out puzzles, never trained on") for line in report["table"])
    assert any(line.startswith("model's own pick (vote of 8 views, no checker)") for line in report["table"])


def test_training_set_skips_excluded_and_repeated_puzzles():
    first = puzzle_set(4, "hard", "train", 3, 6, cache=False)
    blocked = set(row_keys(to_tokens(first.puzzles[:3])))
    kept = training_set(4, ["hard"], 6, 3, blocked, cache=False)
    assert np.array_equal(kept.puzzles[:3], first.puzzles[3:])
    keys = set(row_keys(to_tokens(kept.puzzles)))
    assert len(keys) == 6 and not keys & blocked


def test_parallel_generation_matches_serial():
    serial = puzzle_set(4, "easy", "train", 9, 600, cache=False)
    parallel = puzzle_set(4, "easy", "train", 9, 600, workers=2, cache=False)
    assert np.array_equal(serial.puzzles, parallel.puzzles)
    few = puzzle_set(4, "easy", "train", 9, 30, workers=2, cache=False)
    assert np.array_equal(serial.puzzles[:30], few.puzzles)


def test_impossible_givens_request_fails_fast():
    with pytest.raises(ValueError, match="the fewest possible is 17"):
        generate_puzzle(9, random.Random(0), (10, 12))


# shipped models

SHIPPED_SIZES = [4, 6]  # sudoku-9x9 is too weak to solve its hard example (see the test below)


@pytest.mark.parametrize("n", SHIPPED_SIZES)
def test_shipped_examples_route_through_the_shipped_weights(n):
    from trm_hub.pipeline import route_items
    from trm_hub.registry import SHIPPED_REGISTRY, Registry

    registry = Registry(SHIPPED_REGISTRY)
    assert f"sudoku-{n}x{n}" in registry.entries("sudoku")
    problem = json.loads(resources.files("trm_hub_plugins.sudoku").joinpath(f"examples/sudoku{n}.json").read_text())
    [result] = route_items([problem], device="cpu", registry=registry)
    assert result["task"] == "sudoku" and result["verified"] is True and result["steps"] >= 1
    puzzle = SudokuProblem.model_validate(problem)
    grid = [v for row in result["solution"]["grid"] for v in row]
    assert is_solution(puzzle.flat, grid, n)


def test_shipped_9x9_model_answers_the_example_and_says_whether_it_is_right():
    from trm_hub.pipeline import route_items
    from trm_hub.registry import SHIPPED_REGISTRY, Registry

    registry = Registry(SHIPPED_REGISTRY)
    assert "sudoku-9x9" in registry.entries("sudoku")
    problem = json.loads(resources.files("trm_hub_plugins.sudoku").joinpath("examples/sudoku9.json").read_text())
    puzzle = SudokuProblem.model_validate(problem)
    [result] = route_items([problem], device="cpu", registry=registry)
    grid = [v for row in result["solution"]["grid"] for v in row]
    assert result["task"] == "sudoku" and 1 <= result["steps"] <= 8
    assert all(g == v for g, v in zip(puzzle.flat, grid) if g)
    assert result["verified"] is is_solution(puzzle.flat, grid, 9)


@pytest.mark.parametrize("n", [4, 6, 9])
def test_view_maps_start_with_the_puzzle_as_given_and_keep_solutions_valid(n):
    from trm_hub_plugins.sudoku.augment import apply_maps, undo_maps
    from trm_hub_plugins.sudoku.views import view_maps

    test = held_out_set(n, [list(BANDS[n])[0]], 3, cache=False)
    cells, digits = view_maps(to_tokens(test.puzzles), 5)
    assert cells.shape == (5, 3, n * n) and np.array_equal(cells[0, 0], np.arange(n * n))
    again = view_maps(to_tokens(test.puzzles), 5)
    assert np.array_equal(cells, again[0]) and np.array_equal(digits, again[1])
    alone = view_maps(to_tokens(test.puzzles[2:3]), 5)
    assert np.array_equal(alone[0][:, 0], cells[:, 2]) and np.array_equal(alone[1][:, 0], digits[:, 2])
    assert not np.array_equal(cells[1:, 0], cells[1:, 1])
    solutions = to_tokens(test.solutions)
    for v in range(5):
        moved = apply_maps(solutions, cells[v], digits[v])
        assert _valid_pairs(apply_maps(to_tokens(test.puzzles), cells[v], digits[v]), moved, n)
        assert np.array_equal(undo_maps(moved, cells[v], digits[v]), solutions)


def test_views_keep_the_grid_most_views_of_the_shipped_9x9_model_give():
    import torch

    from trm_hub.registry import SHIPPED_REGISTRY, Registry
    from trm_hub_plugins.sudoku.augment import apply_maps, undo_maps
    from trm_hub_plugins.sudoku.views import answer_views, view_maps

    model, meta = TASK.load_model(Registry(SHIPPED_REGISTRY).weights_for("sudoku", "sudoku-9x9"), "cpu")
    inputs = to_tokens(held_out_set(9, ["medium", "hard"], 4, seed=7).puzzles)
    cells, digits = view_maps(inputs, 8)
    each = []
    for v in range(8):
        out = model.infer(torch.as_tensor(apply_maps(inputs, cells[v], digits[v])), halt_threshold=2.0).outputs.numpy()
        each.append(undo_maps(out, cells[v], digits[v]))
    one = answer_views(model, torch.as_tensor(inputs), 1, 2.0).outputs
    eight = answer_views(model, torch.as_tensor(inputs), 8, 2.0).outputs
    assert np.array_equal(one, each[0])
    for i in range(len(inputs)):
        counts = [sum(np.array_equal(a[i], b[i]) for b in each) for a in each]
        assert any(np.array_equal(eight[i], a[i]) for a in each)
        assert sum(np.array_equal(eight[i], b[i]) for b in each) == max(counts)
    waves = answer_views(model, torch.as_tensor(inputs), 8, 2.0, first=2).outputs
    for i in range(len(inputs)):
        if np.array_equal(each[0][i], each[1][i]):
            assert np.array_equal(waves[i], each[0][i])
        else:
            assert np.array_equal(waves[i], eight[i])
    old = TASK.checkpoint({"model": meta["model"]}).recipe
    four = TASK.checkpoint({**meta, "train": {**meta["train"], "data": {**meta["train"]["data"], "views": 4}}}).recipe
    assert TASK.views(old) == SudokuData().views == 8 and old.data.size == 9, "a recipe that names no size"
    assert SudokuTask(views=1).views(four) == 1
    assert TASK.views(four) == 4


def test_the_checker_on_tokens_accepts_exactly_the_grids_that_decode_to_a_solution():
    from trm_hub_plugins.sudoku.views import valid_grids

    for n in (4, 6, 9):
        test = held_out_set(n, ["hard"], 6, seed=7)
        given, solved = to_tokens(test.puzzles), to_tokens(test.solutions)
        swapped = solved.copy()
        swapped[:, [0, 1]] = swapped[:, [1, 0]]
        relabelled = np.where(solved == 2, 3, np.where(solved == 3, 2, solved))
        answers = np.stack([solved, swapped, relabelled, given])
        problems = [SudokuProblem.model_validate({"grid": p.reshape(n, n).tolist()}) for p in test.puzzles]
        expected = np.array([[TASK.verify(p, TASK.decode(p, a)) for p, a in zip(problems, row)] for row in answers])
        assert np.array_equal(valid_grids(given, answers), expected)
        assert expected[0].all() and not expected[3].any() and not expected.all()


def test_checked_views_keep_a_valid_model_grid_and_spend_views_only_where_none_is_valid():
    from trm_hub.registry import SHIPPED_REGISTRY, Registry
    from trm_hub.runtime import as_engine
    from trm_hub_plugins.sudoku.views import answer_views, valid_grids, waves

    assert waves(2, 8, 0) == [2, 8] and waves(2, 8, 64) == [2, 4, 8, 16, 32, 64] and waves(8, 8, 20) == [8, 16, 20]
    assert waves(3, 8, 20) == [3, 6, 8, 16, 20] and waves(8, 8, 0) == [8]
    model, _ = TASK.load_model(Registry(SHIPPED_REGISTRY).weights_for("sudoku", "sudoku-9x9"), "cpu")
    engine = as_engine(model)
    rows_asked = []

    class CountingEngine:
        """The shipped engine, counting the rows it is asked."""

        runtime, device, config = engine.runtime, engine.device, engine.config

        def infer(self, inputs, **kw):
            rows_asked.append(len(inputs))
            return engine.infer(inputs, **kw)

    inputs = to_tokens(held_out_set(9, ["extreme"], 24, seed=7).puzzles)
    voted = answer_views(engine, inputs, 8, 2.0, first=2).outputs
    result = answer_views(CountingEngine(), inputs, 8, 2.0, first=2, checked=32)
    checked = result.outputs
    ok_voted, ok_checked = valid_grids(inputs, voted), valid_grids(inputs, checked)
    assert ok_checked.sum() >= ok_voted.sum() and (ok_checked | ~ok_voted).all()
    assert rows_asked[0] == 2 * len(inputs) and sum(rows_asked) < 32 * len(inputs)
    # the halting head stops no view under the checker: a view stops before step 8 only at a valid
    # grid (or a sibling's), so puzzles left unsolved kept a view that ran all 8 steps
    assert (result.steps[~ok_checked] == 8).all() and (result.steps[ok_checked] < 8).any()


def test_answering_settings_are_overridden_per_call_and_checked(tmp_path):
    from conftest import one_line_error, run_cli

    from trm_hub.registry import SHIPPED_REGISTRY, Registry

    engine, checkpoint = TASK.load_engine(Registry(SHIPPED_REGISTRY), "sudoku-9x9", "cpu")
    assert checkpoint.recipe.data.checked_views == 256, "the shipped metadata records the checker's views"
    fast = checkpoint.answering(["data.views=1", "data.checked_views=0"])
    assert (fast.recipe.data.views, fast.recipe.data.checked_views) == (1, 0) and fast.meta is checkpoint.meta
    assert checkpoint.answering(()) is checkpoint and checkpoint.recipe.data.views == 8
    puzzles = held_out_set(9, ["hard"], 16, seed=7).puzzles
    problems = [SudokuProblem.from_cells(p.tolist(), 9) for p in puzzles]
    one_view = TASK.answer_with(engine, fast, problems)
    direct = engine.infer(to_tokens(puzzles), halt_threshold=checkpoint.recipe.halt_threshold).outputs
    assert [a.solution for a in one_view] == [TASK.decode(p, row) for p, row in zip(problems, direct)]

    path = tmp_path / "puzzle.json"
    path.write_text(json.dumps({"puzzle": "".join(map(str, puzzles[0].tolist()))}))
    done = run_cli("route", str(path), "--set", "data.views=1", "--set", "data.checked_views=0")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["solution"] == one_view[0].solution.model_dump()
    assert "data.views: Input should be greater than or equal to 1" in one_line_error(run_cli("route", str(path), "--set", "data.views=0"))
    assert "model.* cannot be set when answering" in one_line_error(run_cli("solve", "sudoku", str(path), "--set", "model.T=4"))


def test_checked_views_give_a_puzzle_the_same_answer_alone_and_in_a_batch():
    """The checker stops views across passes that run side by side in threads; the kept view (its
    grid, steps and halting logit) still depends only on the puzzle."""
    from trm_hub.registry import Registry
    from trm_hub_plugins.sudoku.views import answer_views

    engine, _ = TASK.load_engine(Registry.load(), "sudoku-9x9", "cpu", runtime="onnx")
    inputs = to_tokens(held_out_set(9, ["extreme"], 12, seed=7).puzzles)
    batch = answer_views(engine, inputs, 8, 0.0, first=2, checked=32)
    for i in range(len(inputs)):
        alone = answer_views(engine, inputs[i:i + 1], 8, 0.0, first=2, checked=32)
        assert np.array_equal(alone.outputs[0], batch.outputs[i])
        assert alone.steps[0] == batch.steps[i]
        # the same view: its halting logit agrees up to the rounding of passes of other sizes
        assert np.isclose(alone.q_halt[0], batch.q_halt[i], rtol=1e-2, atol=1e-3)
