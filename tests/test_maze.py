"""Tests of the maze plugin: formats, bad input, BFS and checker, generator, augmentation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pluggy
import pytest
from pydantic import ValidationError

import trm_hub_plugins.maze as maze_plugin
from trm_hub import hookspecs
from trm_hub.overrides import resolve_config
from trm_hub_plugins.maze.augment import dihedral, dihedral_permutations
from trm_hub_plugins.maze.data import canonical_keys, held_out_set, train_mazes
from trm_hub_plugins.maze.evaluation import length_bin, report
from trm_hub_plugins.maze.generate import generate
from trm_hub_plugins.maze.recipe import MazeData, MazeRecipe
from trm_hub_plugins.maze.solver import batch_distances, distances, shortest_path
from trm_hub_plugins.maze.task import MazeTask
from trm_hub_plugins.maze.tokens import GOAL, OPEN, PAD, PATH, START, WALL, encode_batch, step_limit

EXAMPLES = Path(maze_plugin.__file__).parent / "examples"

ROWS = [
    "#########",
    "#S  #   #",
    "### # # #",
    "#   # # #",
    "# ### # #",
    "#     #G#",
    "#########",
]


RECIPE = MazeRecipe.model_validate(MazeRecipe.presets["cpu"])  # canvas 15, as the shipped model's


@pytest.fixture
def task() -> MazeTask:
    return MazeTask()


def lay_path(task: MazeTask, problem, path) -> np.ndarray:
    """The canvas a perfect model would output for `path`."""
    side = RECIPE.data.canvas
    tokens = task.encode(problem, RECIPE).reshape(side, side).copy()
    for r, c in path[1:-1]:
        tokens[r, c] = PATH
    return tokens.reshape(-1)


# ---------------------------------------------------------------- mazes made other ways

def recursive_division(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Walls of an odd-sized maze drawn by recursive division (walls on even lines, gaps on odd)."""
    walls = np.zeros((height, width), dtype=bool)
    walls[[0, -1], :] = True
    walls[:, [0, -1]] = True

    def divide(top: int, left: int, bottom: int, right: int) -> None:
        rows, cols = bottom - top, right - left
        if rows < 3 or cols < 3:
            return
        horizontal = rows > cols or (rows == cols and rng.random() < 0.5)
        if horizontal:
            line = rng.choice(np.arange(top + 2, bottom - 1, 2))
            gap = rng.choice(np.arange(left + 1, right, 2))
            walls[line, left:right + 1] = True
            walls[line, gap] = False
            divide(top, left, line, right)
            divide(line, left, bottom, right)
        else:
            line = rng.choice(np.arange(left + 2, right - 1, 2))
            gap = rng.choice(np.arange(top + 1, bottom, 2))
            walls[top:bottom + 1, line] = True
            walls[gap, line] = False
            divide(top, left, bottom, line)
            divide(top, line, bottom, right)

    divide(0, 0, height - 1, width - 1)
    return walls


def kruskal(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Walls of an odd-sized maze made by Kruskal's algorithm over the rooms (union-find)."""
    rr, rc = (height - 1) // 2, (width - 1) // 2
    parent = list(range(rr * rc))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    walls = np.ones((height, width), dtype=bool)
    walls[1::2, 1::2] = False
    edges = [(r, c, r, c + 1) for r in range(rr) for c in range(rc - 1)]
    edges += [(r, c, r + 1, c) for r in range(rr - 1) for c in range(rc)]
    for k in rng.permutation(len(edges)):
        r0, c0, r1, c1 = edges[k]
        a, b = find(r0 * rc + c0), find(r1 * rc + c1)
        if a != b:
            parent[a] = b
            walls[r0 + r1 + 1, c0 + c1 + 1] = False
    return walls


def drawn(walls: np.ndarray, start, goal) -> list[str]:
    board = np.where(walls, "#", " ").astype("<U1")
    board[start], board[goal] = "S", "G"
    return ["".join(row) for row in board]


# ---------------------------------------------------------------- formats

def test_every_format_normalises_to_the_same_problem(task):
    grid = [[1 if ch == "#" else 0 for ch in row] for row in ROWS]
    forms = [
        {"maze": ROWS},
        {"grid": ROWS},
        {"maze": "\n".join(ROWS)},
        {"maze": "\n" + "\n".join(ROWS) + "\n"},
        {"maze": "\r\n".join(ROWS)},
        {"maze": [r.replace(" ", ".") for r in ROWS]},
        {"maze": [list(r) for r in ROWS]},
        {"grid": grid, "start": [1, 1], "goal": [5, 7]},
        {"maze": grid, "start": [1, 1], "goal": [5, 7]},
        {"maze": ROWS, "start": [1, 1]},
        {"maze": [r.replace("S", " ") for r in ROWS], "start": [1, 1]},
        {"task": "maze", "maze": ROWS},
    ]
    for raw in forms:
        p = task.parse(raw)
        assert (p.grid, p.start, p.goal) == (grid, (1, 1), (5, 7)), raw
        assert p.rows() == ROWS


def test_normalised_problem_round_trips(task):
    p = task.parse({"maze": ROWS})
    assert task.parse(p.model_dump()) == p
    assert json.loads(p.model_dump_json())["start"] == [1, 1]


@pytest.mark.parametrize("raw, message", [
    ({"maze": ROWS[:4] + ["#   # #"] + ROWS[5:]}, "row 4 has 7 cells, expected 9"),
    ({"maze": ["#####", "#S x#", "#G  #", "#####"]}, "unknown character 'x' at row 1, column 3"),
    ({"maze": ["#####", "#  G#", "#####"]}, "no start 'S'"),
    ({"maze": ["#####", "#S  #", "#####"]}, "no goal 'G'"),
    ({"maze": ["###########", "#S G #   G#", "###########"]}, r"two goals 'G' at \(1, 3\) and \(1, 9\)"),
    ({"maze": ["#S###", "#S G#", "#####"]}, r"two starts 'S' at \(0, 1\) and \(1, 1\)"),
    ({"grid": [[1, 0], [0, 0]], "start": [0, 0], "goal": [1, 1]}, r"start \(0, 0\) is on a wall"),
    ({"grid": [[0, 0], [0, 1]], "start": [0, 0], "goal": [1, 1]}, r"goal \(1, 1\) is on a wall"),
    ({"grid": [[0, 0], [0, 0]], "start": [0, 0]}, "needs \"start\" and \"goal\""),
    ({"grid": [[0, 2], [0, 0]], "start": [0, 0], "goal": [1, 1]}, "unknown value 2 at row 0, column 1"),
    ({"grid": [[0, 0], [0, 0]], "start": [0, 5], "goal": [1, 1]}, r"start \(0, 5\) is outside the 2x2 maze"),
    ({"grid": [[0, 0], [0, 0]], "start": [0, 0], "goal": [0, 0]}, "same cell"),
    ({"grid": [[0, 0], [0, 0]], "start": "a1", "goal": [1, 1]}, "start must be \\[row, col\\]"),
    ({"maze": ROWS, "grid": ROWS}, "not both"),
    ({"maze": ROWS, "size": 9}, "unknown key 'size'"),
    ({"maze": []}, "the maze is empty"),
    ({"maze": ""}, "the maze is empty"),
    ({"maze": ["#S#", [0, 1, 0]]}, "all be strings or all be lists"),
    ({"maze": ["#S G#"], "start": [0, 3]}, r"start given twice: 'S' at \(0, 1\) and start \(0, 3\)"),
    ({"puzzle": ROWS}, "needs \"maze\" or \"grid\""),
    ({"maze": 7}, "row strings, one newline-joined string, or a 0/1 grid"),
])
def test_bad_input_gets_a_clear_message(task, raw, message):
    with pytest.raises(ValidationError, match=message) as info:
        task.parse(raw)
    assert len(info.value.errors()) == 1


def test_a_maze_larger_than_the_canvas_goes_on_its_own_canvas_up_to_the_limit(task):
    rng = np.random.default_rng(3)
    walls = kruskal(rng, 21, 17)
    problem = task.parse({"maze": drawn(walls, (1, 1), (19, 15))})
    tokens = task.encode(problem, RECIPE).reshape(21, 21)
    assert tokens[1, 1] == START and tokens[19, 15] == GOAL and (tokens[:, 17:] == PAD).all()
    assert task.encode(task.parse({"maze": ROWS}), RECIPE).size == RECIPE.data.canvas ** 2
    own = RECIPE.model_copy(update={"data": RECIPE.data.model_copy(update={"own_canvas": True})})
    small = task.parse({"maze": ROWS})
    assert task.encode(small, own).size == max(small.height, small.width) ** 2
    assert (task.encode(problem, own) == tokens.reshape(-1)).all()
    huge = task.parse({"maze": drawn(kruskal(rng, 65, 65), (1, 1), (63, 63))})
    with pytest.raises(ValueError, match=r"this maze is 65x65; the maze model answers mazes up to 63x63"):
        task.encode(huge, RECIPE)


def test_step_limit_grows_with_the_canvas():
    assert step_limit(8, 15, 15) == 8 and step_limit(8, 9, 15) == 8
    assert step_limit(8, 21, 15) == 12 and step_limit(8, 41, 15) == 22


def test_a_grid_model_answers_another_square_canvas_as_a_model_built_for_it():
    import torch

    from trm_hub.config import ModelConfig
    from trm_hub.model import TRM

    def config(side: int) -> ModelConfig:
        return ModelConfig(vocab_size=6, seq_len=side * side, grid=(side, side), hidden_size=16, expansion=2.0,
                           mixer="conv", pos_encodings="none", T=1, n=2, halt_max_steps=3, halt_input="mean")

    torch.manual_seed(0)
    small = TRM(config(5))
    large = TRM(config(7))
    large.load_state_dict(small.state_dict())
    inputs = torch.randint(1, 6, (4, 49))
    assert small.accepts_length(49) and not small.accepts_length(48)
    got, want = small.infer(inputs, adaptive=False), large.infer(inputs, adaptive=False)
    assert torch.equal(got.outputs, want.outputs) and torch.allclose(got.q_halt, want.q_halt)
    with pytest.raises(ValueError, match="reads 25 tokens per problem, not 48"):
        small.infer(torch.ones(1, 48, dtype=torch.long))


def test_encoding_follows_the_checkpoint_it_is_given_not_the_last_one_read():
    task = MazeTask()
    thirty = task.checkpoint({"train": {"data": {"canvas": 30}}, "model": {"grid": [30, 30]}}).recipe
    older = task.checkpoint({"model": {"grid": [21, 21]}}).recipe  # a recipe that names no canvas
    assert (thirty.data.canvas, older.data.canvas) == (30, 21)
    problem = task.parse({"maze": ROWS})
    assert task.encode(problem, thirty).size == 900 and task.encode(problem, older).size == 441
    assert task.encode(problem, thirty).size == 900
    assert MazeTask(canvas=15).encode(problem, thirty).size == 225, "a canvas given to the task wins"


def test_a_checkpoint_whose_recipe_does_not_validate_is_one_clear_error():
    from trm_hub.errors import HubError

    with pytest.raises(HubError, match=r"the checkpoint's training recipe.*data\.canvas") as info:
        MazeTask().checkpoint({"train": {"data": {"canvas": 2}}})
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- BFS and the checker

def test_bfs_answer_verifies_and_is_drawn(task):
    p = task.parse({"maze": ROWS})
    s = task.solve_exact(p)
    assert task.verify(p, s) and s.note is None
    assert s.path[0] == (1, 1) and s.path[-1] == (5, 7) and len(s.path) - 1 == 22
    assert sum(row.count("o") for row in s.maze) == len(s.path) - 2
    assert s.maze == ["#########", "#Soo#ooo#", "###o#o#o#", "#ooo#o#o#", "#o###o#o#",
                      "#ooooo#G#", "#########"]


def test_checker_accepts_any_shortest_path_and_rejects_a_longer_connected_one(task):
    rows = ["#########",
            "#S  #   #",
            "# # # # #",
            "# #   # #",
            "# ##### #",
            "#      G#",
            "#########"]
    p = task.parse({"maze": rows})
    best = task.solve_exact(p).path
    assert len(best) - 1 == 10
    other = [(1, 1), (1, 2), (1, 3), (2, 3), (3, 3), (3, 4), (3, 5), (2, 5), (1, 5), (1, 6),
             (1, 7), (2, 7), (3, 7), (4, 7), (5, 7)]
    down = [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1), (5, 2), (5, 3), (5, 4), (5, 5), (5, 6),
            (5, 7)]
    assert task.verify(p, task.Solution(path=down, maze=p.rows(down)))
    longer = task.Solution(path=other, maze=p.rows(other))
    assert task.explain(p, longer) == "the path takes 14 steps; the shortest takes 10"
    assert not task.verify(p, longer)
    looped = task.parse({"maze": ["#######", "#S    #", "# ### #", "#    G#", "#######"]})
    top = [(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (2, 5), (3, 5)]
    bottom = [(1, 1), (2, 1), (3, 1), (3, 2), (3, 3), (3, 4), (3, 5)]
    assert task.verify(looped, task.Solution(path=top, maze=looped.rows(top)))
    assert task.verify(looped, task.Solution(path=bottom, maze=looped.rows(bottom)))


@pytest.mark.parametrize("path, reason", [
    ([(1, 1), (1, 2), (1, 3), (2, 3)], "ends at"),
    ([(1, 2), (1, 3)], "begins at"),
    ([(1, 1), (1, 3), (1, 4), (1, 5), (2, 5), (3, 5)], "jumps from"),
    ([(1, 1), (2, 1), (2, 2), (2, 3), (2, 4), (2, 5), (3, 5)], "on a wall"),
    ([], "empty"),
])
def test_checker_says_why(task, path, reason):
    p = task.parse({"maze": ["#######", "#S    #", "# ### #", "#    G#", "#######"]})
    sol = task.Solution(path=path, maze=p.rows(path))
    assert not task.verify(p, sol)
    assert reason in task.explain(p, sol)


def test_unreachable_goal_is_accepted_and_reported_by_the_checker(task):
    p = task.parse({"maze": ["#######", "#S #  #", "#  # G#", "#######"]})
    s = task.solve_exact(p)
    assert not task.verify(p, s)
    assert "cannot be reached" in s.note
    tokens = task.encode(p, RECIPE)
    decoded = task.decode(p, tokens)
    assert not task.verify(p, decoded) and "cannot be reached" in decoded.note


def test_batched_bfs_matches_single_bfs():
    rng = np.random.default_rng(0)
    batch = generate(rng, 60, 13, 17)
    dist = batch_distances(batch.walls, batch.starts)
    for i in range(len(batch)):
        assert (dist[i] == distances(batch.walls[i], tuple(batch.starts[i]))).all()
        path = shortest_path(batch.walls[i], tuple(batch.starts[i]), tuple(batch.goals[i]))
        assert len(path) - 1 == batch.lengths[i]
        assert all(batch.on_path[i][cell] for cell in path)


# ---------------------------------------------------------------- token codec

def test_decode_of_a_perfect_prediction_verifies(task):
    p = task.parse({"maze": ROWS})
    best = task.solve_exact(p).path
    tokens = lay_path(task, p, best)
    board = tokens.reshape(15, 15)
    assert board[1, 1] == START and board[5, 7] == GOAL and board[0, 0] == WALL
    assert (board[7:, :] == PAD).all() and (board[:, 9:] == PAD).all()
    s = task.decode(p, tokens)
    assert s.path == best and task.verify(p, s) and s.note is None


def test_decode_follows_the_marks_and_fails_on_branches_gaps_and_floods(task):
    p = task.parse({"maze": ["#########",
                             "#S  #   #",
                             "# # # # #",
                             "# #   # #",
                             "# ##### #",
                             "#      G#",
                             "#########"]})
    best = task.solve_exact(p).path
    assert best[:5] == [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)] and len(best) == 11
    stray = lay_path(task, p, best).reshape(15, 15)
    stray[2, 5] = PATH
    assert task.verify(p, task.decode(p, stray.reshape(-1)))
    spur = lay_path(task, p, best).reshape(15, 15)
    spur[1, 2] = PATH
    branched = task.decode(p, spur.reshape(-1))
    assert not task.verify(p, branched) and branched.path == [p.start]
    gap = lay_path(task, p, best).reshape(15, 15)
    gap[best[5]] = OPEN
    broken = task.decode(p, gap.reshape(-1))
    assert not task.verify(p, broken) and "not at the goal" in broken.note
    assert broken.path == best[:5]
    flood = task.encode(p, RECIPE).reshape(15, 15).copy()
    flood[flood == OPEN] = PATH
    assert not task.verify(p, task.decode(p, flood.reshape(-1)))
    nothing = task.decode(p, np.zeros(225, dtype=np.int64))
    assert nothing.path == [p.start] and not task.verify(p, nothing)
    through_wall = task.encode(p, RECIPE).reshape(15, 15).copy()
    for cell in [(1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (2, 7), (3, 7), (4, 7)]:
        through_wall[cell] = PATH
    cut = task.decode(p, through_wall.reshape(-1))
    assert not any(p.grid[r][c] for r, c in cut.path) and "not at the goal" in cut.note


def test_decode_takes_a_shortest_route_across_a_marked_room_and_refuses_detours(task):
    p = task.parse({"maze": ["#########",
                             "#S      #",
                             "#       #",
                             "#       #",
                             "#      G#",
                             "#########"]})
    band = task.encode(p, RECIPE).reshape(15, 15).copy()
    band[1:5, 1:8] = PATH
    across = task.decode(p, band.reshape(-1))
    assert task.verify(p, across) and len(across.path) == 10
    p = task.parse({"maze": ["#######",
                             "#S   G#",
                             "# ### #",
                             "#     #",
                             "#######"]})
    loop = task.encode(p, RECIPE).reshape(15, 15).copy()
    for r, c in [(1, 2), (1, 3), (1, 4), (2, 1), (3, 1), (3, 2), (3, 3), (3, 4), (3, 5), (2, 5)]:
        loop[r, c] = PATH
    detour = task.decode(p, loop.reshape(-1))
    assert not task.verify(p, detour) and detour.path == [p.start]


def test_batch_encoding_matches_single_encoding(task):
    rng = np.random.default_rng(1)
    batch = generate(rng, 20, 11, 13)
    inputs, labels = encode_batch(batch.walls, batch.starts, batch.goals, batch.on_path, 15)
    for i in range(len(batch)):
        p = task.parse({"grid": batch.walls[i].astype(int).tolist(),
                        "start": batch.starts[i].tolist(), "goal": batch.goals[i].tolist()})
        assert (inputs[i] == task.encode(p, RECIPE)).all()
        s = task.decode(p, labels[i])
        assert task.verify(p, s) and len(s.path) - 1 == batch.lengths[i]
        assert (labels[i].reshape(15, 15)[11:, :] == -100).all()


# ---------------------------------------------------------------- generator

def test_generator_is_seeded_and_paths_are_unique():
    a = generate(np.random.default_rng(5), 50, 15, 15)
    b = generate(np.random.default_rng(5), 50, 15, 15)
    c = generate(np.random.default_rng(6), 50, 15, 15)
    assert (a.walls == b.walls).all() and (a.goals == b.goals).all()
    assert not (a.walls == c.walls).all()
    assert (a.on_path.reshape(50, -1).sum(axis=1) == a.lengths + 1).all()


def test_rooms_and_several_shortest_paths_are_labelled_whole(task):
    batch = generate(np.random.default_rng(3), 60, 21, 21, rooms_fraction=1.0, unique_fraction=0.0)
    marked = batch.on_path.reshape(60, -1).sum(axis=1)
    assert (marked > batch.lengths + 1).mean() > 0.5
    rooms = [w for w in batch.walls if any((~w[r:r + 2, c:c + 2]).all() for r in range(20) for c in range(20))]
    assert len(rooms) == 60
    for i in range(60):
        p = task.parse({"grid": batch.walls[i].astype(int).tolist(), "start": batch.starts[i].tolist(),
                        "goal": batch.goals[i].tolist()})
        tokens = encode_batch(batch.walls[i:i + 1], batch.starts[i:i + 1], batch.goals[i:i + 1],
                              batch.on_path[i:i + 1], 21)[1][0]
        assert task.verify(p, task.decode(p, tokens))


def test_distance_labels_give_every_reachable_cell_its_class_and_decode_to_a_shortest_path(task):
    from trm_hub_plugins.maze.solver import batch_distances
    from trm_hub_plugins.maze.tokens import DIST0

    batch = generate(np.random.default_rng(4), 40, 17, 13, rooms_fraction=0.5, unique_fraction=0.0)
    to_goal = batch_distances(batch.walls, batch.goals)
    inputs, labels = encode_batch(batch.walls, batch.starts, batch.goals, batch.on_path, 17, to_goal=to_goal)
    for i in range(40):
        board, label = inputs[i].reshape(17, 17)[:, :13], labels[i].reshape(17, 17)[:, :13]
        reach = to_goal[i] >= 0
        assert (label[reach & (board == OPEN)] == DIST0 + to_goal[i][reach & (board == OPEN)] % 3).all()
        start, goal = tuple(int(v) for v in batch.starts[i]), tuple(int(v) for v in batch.goals[i])
        assert label[start] == DIST0 + batch.lengths[i] % 3 and label[goal] == GOAL
        assert (label[board == WALL] == WALL).all() and (label[~reach & (board == OPEN)] == OPEN).all()
        p = task.parse({"grid": batch.walls[i].astype(int).tolist(), "start": list(start), "goal": list(goal)})
        solution = task.decode(p, labels[i])
        assert task.verify(p, solution) and len(solution.path) == batch.lengths[i] + 1


def test_a_wrong_distance_class_gives_a_path_that_fails_with_a_reason(task):
    from trm_hub_plugins.maze.solver import batch_distances
    from trm_hub_plugins.maze.tokens import DIST0

    batch = generate(np.random.default_rng(8), 1, 15, 15)
    to_goal = batch_distances(batch.walls, batch.goals)
    _, labels = encode_batch(batch.walls, batch.starts, batch.goals, batch.on_path, 15, to_goal=to_goal)
    p = task.parse({"grid": batch.walls[0].astype(int).tolist(), "start": batch.starts[0].tolist(),
                    "goal": batch.goals[0].tolist()})
    path = task.decode(p, labels[0]).path
    broken = labels[0].reshape(15, 15).copy()
    cut = path[len(path) // 2]
    broken[cut] = DIST0 + (broken[cut] - DIST0 + 1) % 3
    solution = task.decode(p, broken.reshape(-1))
    assert not task.verify(p, solution) and "not at the goal" in solution.note
    assert solution.path == path[:len(path) // 2]


def test_distance_labels_set_the_vocabulary_and_say_so_in_the_export_settings(task):
    recipe = resolve_config(MazeRecipe, {"data": {"labels": "distance"}})
    assert recipe.model.vocab_size == 9
    settings = task.export_settings(recipe)
    assert settings["labels"] == "distance" and settings["vocabulary"]["distance_2_mod_3"] == 8
    with pytest.raises(Exception, match="data.labels"):
        resolve_config(MazeRecipe, {"data": {"labels": "distance"}, "model": {"vocab_size": 6}})


def test_default_generator_settings_still_draw_the_mazes_the_shipped_model_was_tested_on():
    import hashlib

    a = generate(np.random.default_rng(5), 30, 15, 15)
    digest = hashlib.blake2b(a.walls.tobytes() + a.starts.tobytes() + a.goals.tobytes(), digest_size=8)
    assert digest.hexdigest() == "71ad41e9f79e0f5c"


@pytest.mark.parametrize("size", [(7, 7), (9, 9), (15, 15), (9, 15), (14, 10), (5, 12), (30, 30)])
def test_generator_makes_every_size(size):
    batch = generate(np.random.default_rng(2), 20, *size)
    assert batch.walls.shape == (20, *size)
    assert (batch.lengths >= 1).all()
    rows = np.arange(20)
    assert not batch.walls[rows, batch.starts[:, 0], batch.starts[:, 1]].any()
    assert not batch.walls[rows, batch.goals[:, 0], batch.goals[:, 1]].any()


def _edges_and_nodes(walls: np.ndarray) -> tuple[int, int]:
    open_ = ~walls
    edges = (open_[1:, :] & open_[:-1, :]).sum() + (open_[:, 1:] & open_[:, :-1]).sum()
    return int(edges), int(open_.sum())


def test_perfect_mazes_are_trees_and_looped_ones_have_loops():
    rng = np.random.default_rng(4)
    perfect = generate(rng, 40, 15, 15, loop_fraction=0.0, door_fraction=0.0,
                       borderless_fraction=0.0)
    for w in perfect.walls:
        edges, nodes = _edges_and_nodes(w)
        assert edges == nodes - 1
    looped = generate(rng, 40, 15, 15, loop_fraction=1.0, max_loop_rate=0.3, door_fraction=0.0,
                      borderless_fraction=0.0)
    extra = [e - (n - 1) for e, n in (_edges_and_nodes(w) for w in looped.walls)]
    assert min(extra) >= 0 and np.mean(extra) > 2


def test_hard_mazes_have_longer_paths_and_more_choices():
    rng = np.random.default_rng(8)
    hard = generate(rng, 200, 15, 15, hard_fraction=1.0)
    easy = generate(rng, 200, 15, 15, hard_fraction=0.0)
    assert hard.lengths.mean() > 1.5 * easy.lengths.mean()
    assert hard.choices.mean() > easy.choices.mean()


def test_test_sets_are_fixed_and_disjoint_from_training():
    data = MazeData(canvas=9, train_size=600, test_per_size=150, test_sizes=[(9, 9), (7, 9)])
    tests = {s: held_out_set(data, s) for s in data.resolved_test_sizes()}
    again = held_out_set(data, (9, 9))
    assert (again.walls == tests[(9, 9)].walls).all()
    held_out = {k for b in tests.values() for k in canonical_keys(b)}
    assert len(held_out) == 300
    for seed in (0, 1):
        train = train_mazes(data, seed, held_out)
        keys = {k for b in train for k in canonical_keys(b)}
        assert sum(len(b) for b in train) >= 600
        assert not keys & held_out


def test_canonical_keys_are_symmetry_invariant():
    batch = generate(np.random.default_rng(9), 10, 9, 13)
    keys = canonical_keys(batch)
    turned = batch.take(np.arange(10))
    turned.walls = np.ascontiguousarray(np.rot90(batch.walls, 1, axes=(1, 2)))
    turned.starts = np.stack([12 - batch.starts[:, 1], batch.starts[:, 0]], axis=1)
    turned.goals = np.stack([12 - batch.goals[:, 1], batch.goals[:, 0]], axis=1)
    assert canonical_keys(turned) == keys


def test_build_dataset_shapes_and_labels():
    cfg = MazeRecipe.model_validate({**MazeRecipe.presets["cpu"],
                                     "data": {"canvas": 11, "train_size": 300, "test_per_size": 40}})
    data = MazeTask(canvas=11).build_dataset(cfg)
    assert data.train.inputs.shape == (300, 121) and data.train.labels.shape == (300, 121)
    assert data.test.inputs.shape == (120, 121) and len(data.problems) == 120
    for split in (data.train, data.test):
        assert ((split.labels == START).sum(axis=1) == 1).all()
        assert ((split.labels == GOAL).sum(axis=1) == 1).all()
        assert ((split.labels == PATH) <= (split.inputs == OPEN)).all()
    lengths = [len(shortest_path(np.array(p.grid, dtype=bool), p.start, p.goal)) - 2
               for p in data.problems]
    assert ((data.test.labels == PATH).sum(axis=1) == lengths).all()
    assert ((data.train.labels == -100) == (data.train.inputs == PAD)).all()
    assert data.augment is dihedral


# ---------------------------------------------------------------- augmentation

def _reread(tokens: np.ndarray, canvas: int):
    board = tokens.reshape(canvas, canvas)
    walls = (board == WALL) | (board == PAD)
    return walls, tuple(np.argwhere(board == START)[0]), tuple(np.argwhere(board == GOAL)[0])


def test_dihedral_permutations_are_the_eight_symmetries():
    perms = dihedral_permutations(6)
    assert len({p.tobytes() for p in perms}) == 8
    base = np.arange(36).reshape(6, 6)
    expected = {np.rot90(v, k).tobytes() for v in (base, base.T) for k in range(4)}
    assert {base.reshape(-1)[p].reshape(6, 6).tobytes() for p in perms} == expected


def test_augmentation_preserves_shortest_path_length():
    rng = np.random.default_rng(11)
    batch = generate(rng, 64, 11, 15)
    inputs, labels = encode_batch(batch.walls, batch.starts, batch.goals, batch.on_path, 15)
    aug_in, aug_lab = dihedral(inputs, labels, rng)
    assert not (aug_in == inputs).all()
    for i in range(64):
        walls, start, goal = _reread(aug_in[i], 15)
        path = shortest_path(walls, start, goal)
        assert len(path) - 1 == batch.lengths[i]
        marked = aug_lab[i].reshape(15, 15) == PATH
        assert marked.sum() == batch.lengths[i] - 1
        assert all(marked[c] for c in path[1:-1])


def test_augmentation_works_on_torch_tensors():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    batch = generate(rng, 8, 9, 9)
    inputs, labels = encode_batch(batch.walls, batch.starts, batch.goals, batch.on_path, 9)
    x, y = dihedral(torch.as_tensor(inputs), torch.as_tensor(labels), np.random.default_rng(1))
    a, b = dihedral(inputs, labels, np.random.default_rng(1))
    assert (x.numpy() == a).all() and (y.numpy() == b).all()


# ---------------------------------------------------------------- mazes from other generators

@pytest.mark.parametrize("make", [recursive_division, kruskal])
@pytest.mark.parametrize("size", [(7, 7), (15, 15), (11, 15), (21, 31)])
def test_mazes_from_other_generators_parse_solve_and_verify(task, make, size):
    rng = np.random.default_rng(sum(size))
    for _ in range(5):
        walls = make(rng, *size)
        open_cells = np.argwhere(~walls)
        start = tuple(int(v) for v in open_cells[rng.integers(len(open_cells))])
        dist = distances(walls, start)
        goal = tuple(int(v) for v in np.argwhere(dist == dist.max())[0])
        assert (dist[~walls] >= 0).all()
        for raw in ({"maze": drawn(walls, start, goal)},
                    {"maze": "\n".join(drawn(walls, start, goal))},
                    {"grid": walls.astype(int).tolist(), "start": list(start), "goal": list(goal)}):
            p = task.parse(raw)
            s = task.solve_exact(p)
            assert task.verify(p, s) and len(s.path) - 1 == dist.max()
        if max(size) <= RECIPE.data.canvas:
            assert task.verify(p, task.decode(p, lay_path(task, p, s.path)))


# ---------------------------------------------------------------- recipe, plugin, examples

def test_recipe_presets_take_shape_from_the_canvas():
    cpu = MazeRecipe.model_validate(MazeRecipe.presets["cpu"])
    assert cpu.model.mixer == "conv" and cpu.model.grid == (15, 15) and cpu.model.seq_len == 225
    assert cpu.model.vocab_size == 9 and cpu.data.labels == "distance" and cpu.data.canvas >= 15
    paper = MazeRecipe.model_validate(MazeRecipe.presets["paper"])
    m = paper.model
    assert (paper.data.canvas, m.seq_len, m.mixer, m.hidden_size, m.T, m.n, m.halt_max_steps) == (
        30, 900, "attention", 512, 3, 4, 16)
    bigger = MazeRecipe.model_validate({**MazeRecipe.presets["cpu"], "data": {"canvas": 31}})
    assert bigger.model.seq_len == 961 and bigger.model.grid == (31, 31)
    assert MazeRecipe.model_validate(bigger.model_dump()) == bigger
    with pytest.raises(ValidationError, match="does not match data.canvas=15"):
        MazeRecipe.model_validate({"model": {"seq_len": 100, "hidden_size": 64}})
    with pytest.raises(ValidationError, match="not within 3..15"):
        MazeData(test_sizes=[(17, 17)])


def test_plugin_registers_the_maze_task():
    pm = pluggy.PluginManager("trm_hub")
    pm.add_hookspecs(hookspecs)
    pm.register(maze_plugin)
    pm.check_pending()
    tasks = []
    pm.hook.register_tasks(register=tasks.append)
    assert [t.name for t in tasks] == ["maze"] and isinstance(tasks[0], MazeTask)


def test_routing_examples_are_varied_and_valid(task):
    examples = list(task.routing_examples(60, seed=3))
    assert len(examples) == 60
    assert examples == list(task.routing_examples(60, seed=3))
    kinds = set()
    sizes = set()
    for raw in examples:
        p = task.parse(raw)
        key = "maze" if "maze" in raw else "grid"
        kinds.add((key, type(raw[key]).__name__, type(raw[key][0]).__name__, "start" in raw))
        sizes.add((p.height, p.width))
    assert len(kinds) >= 5 and len(sizes) >= 10


@pytest.mark.parametrize("name", ["maze15.json", "maze_grid.json", "maze_text.json"])
def test_shipped_examples_parse_and_solve(task, name):
    p = task.parse(json.loads((EXAMPLES / name).read_text()))
    s = task.solve_exact(p)
    assert task.verify(p, s)
    assert task.encode(p, RECIPE).shape == (225,)


def test_report_of_perfect_predictions():
    task = MazeTask(canvas=11)
    cfg = MazeRecipe.model_validate({**MazeRecipe.presets["cpu"],
                                     "data": {"canvas": 11, "train_size": 10, "test_per_size": 30}})
    data = task.build_dataset(cfg)
    steps = np.full(len(data.test), 3)
    out = report(task, data.problems, data.test.labels.clip(min=0), data.test.labels, steps, 0.5)
    assert out["solved"] == 1.0 and out["exact"] == 1.0 and out["mean_steps"] == 3.0
    assert set(out["per_size"]) == {"9x9", "11x11", "9x11"}
    assert sum(v["n"] for v in out["per_path_length"].values()) == 90
    assert length_bin(25) == "20-39" and length_bin(0) == "unreachable"


def test_route_length_reads_the_route_decode_reads(task):
    from trm_hub_plugins.maze.views import route_length

    p = task.parse({"maze": ROWS})
    best = task.solve_exact(p).path
    given = task.encode(p, RECIPE)
    assert route_length(given, lay_path(task, p, best)) == len(best) - 1
    gap = lay_path(task, p, best).reshape(15, 15)
    gap[best[4]] = OPEN
    assert route_length(given, gap.reshape(-1)) is None
    through_wall = task.encode(p, RECIPE).reshape(15, 15).copy()
    for cell in [(1, 2), (1, 3), (1, 4), (1, 5), (1, 6), (2, 6), (3, 6), (4, 6), (5, 6)]:
        through_wall[cell] = PATH
    assert task.decode(p, through_wall.reshape(-1)).path[-1] != p.goal
    assert route_length(given, through_wall.reshape(-1)) is None


def test_views_must_be_one_to_eight_and_task_takes_them_from_the_checkpoint():
    with pytest.raises(ValidationError, match="views"):
        MazeData(views=9)
    old = {"model": {"grid": [15, 15]}}
    two = {"train": {"data": {"views": 2}}, "model": {"grid": [15, 15]}}
    assert MazeTask().views(MazeTask().checkpoint(old).recipe) == MazeData().views == 8
    assert MazeTask().views(MazeTask().checkpoint(two).recipe) == 2
    assert MazeTask(views=1).views(MazeTask().checkpoint(two).recipe) == 1


# ---------------------------------------------------------------- with a real (untrained) TRM

def _tiny_checkpoint(tmp_path: Path, canvas: int, labels: str = "path") -> tuple[Path, MazeRecipe]:
    from trm_hub.model import TRM, save_checkpoint

    cfg = MazeRecipe.model_validate({
        **MazeRecipe.presets["cpu"],
        "model": {"mixer": "conv", "pos_encodings": "none", "hidden_size": 16, "num_heads": 2,
                  "expansion": 2.0, "T": 1, "n": 1, "halt_max_steps": 2},
        "data": {"canvas": canvas, "labels": labels, "train_size": 10, "test_sizes": [(canvas, canvas), (7, canvas)],
                 "test_per_size": 12, "foreign_per_size": 3, "large_sizes": [7, 13], "large_per_size": 4},
    })
    model = TRM(cfg.model)
    meta = {"task": "maze", "task_version": MazeTask.version, "model_name": "maze",
            "train": cfg.model_dump(mode="json"), "metrics": {}, "step": 0}
    return save_checkpoint(tmp_path / "maze", model, meta), cfg


def test_solve_with_a_registered_checkpoint_adopts_its_canvas(tmp_path):
    from trm_hub.registry import Registry

    weights, _ = _tiny_checkpoint(tmp_path, 9)
    registry = Registry(shipped=tmp_path / "none.yaml", user=tmp_path / "registry.yaml")
    registry.record("maze", "maze", weights)
    task = MazeTask()
    answers = task.solve([task.parse({"maze": ROWS})], device="cpu", registry=registry)
    engine, checkpoint = task.load_engine(registry, "maze", "cpu")
    assert checkpoint.recipe.data.canvas == 9 and task.encode(task.parse({"maze": ROWS}), checkpoint.recipe).size == 81
    assert not any(isinstance(value, int) for value in vars(task).values()), "the task keeps no canvas of its own"
    assert len(answers) == 1 and answers[0].task == "maze"
    answer = answers[0]
    assert answer.solution.path[0] == (1, 1) and isinstance(answer.verified, bool)
    assert answer.verified == (answer.solution.note is None)
    assert 1 <= answer.steps <= 2
    larger = task.parse(json.loads((EXAMPLES / "maze_grid.json").read_text()))
    assert (larger.height, larger.width) == (11, 11)
    answer = task.solve([larger], device="cpu", registry=registry)[0]
    assert answer.solution.path[0] == larger.start and 1 <= answer.steps <= step_limit(2, 11, 9) == 3


def test_evaluate_reports_per_size_length_generator_and_timing(tmp_path):
    from trm_hub.train import evaluate

    weights, cfg = _tiny_checkpoint(tmp_path, 9)
    rep = evaluate(MazeTask(), cfg, checkpoint=weights)
    assert rep["task"] == "maze" and rep["canvas"] == 9 and rep["n"] == 24
    assert set(rep["per_size"]) == {"9x9", "7x9"}
    assert sum(g["n"] for g in rep["per_path_length"].values()) == 24
    assert set(rep["other_generators"]) == {"wilson 9x9", "sidewinder 9x9", "division 9x9", "rooms 9x9"}
    large = rep["larger_than_canvas"]
    assert set(large) == {"ours 13x13", "rooms 13x13"}, "sizes within the canvas are skipped"
    assert all(g["n"] == 4 and g["step_limit"] == 3 and 1 <= g["mean_steps"] <= 3 for g in large.values())
    assert any(line.startswith("rooms 13x13") for line in rep["table"])
    assert rep["bfs_ms_per_maze"] > 0 and rep["trm_ms_per_maze"] > 0
    assert 1 <= rep["mean_steps"] <= 2 and 0.0 <= rep["solved"] <= 1.0
    assert any("time per maze" in line for line in rep["table"]) and rep["halt_threshold"] == 0.0


def test_a_distance_label_model_trains_and_is_evaluated(tmp_path):
    from trm_hub.train import evaluate, train
    from trm_hub_plugins.maze.data import build
    from trm_hub_plugins.maze.tokens import DIST0

    _, cfg = _tiny_checkpoint(tmp_path, 9, labels="distance")
    data = build(cfg)
    assert data.train.labels.max() == DIST0 + 2 and (data.train.labels == DIST0).any()
    cfg = cfg.model_copy(update={"steps": 3, "batch_size": 4, "eval_every": 0, "compile": False,
                                 "out_dir": str(tmp_path / "run")})
    weights = train(MazeTask(), cfg)
    rep = evaluate(MazeTask(), cfg, checkpoint=weights)
    assert rep["n"] == 24 and 0.0 <= rep["solved"] <= 1.0 and 0.0 <= rep["exact"] <= 1.0


def test_evaluate_with_own_canvas_answers_each_size_on_its_own_canvas(tmp_path):
    import torch

    from trm_hub.model import load_checkpoint
    from trm_hub.train import evaluate
    from trm_hub.train.evaluate import predict
    from trm_hub_plugins.maze.data import held_out_sets, to_split
    from trm_hub_plugins.maze.evaluation import answer_on_canvases
    from trm_hub_plugins.maze.views import answer_views

    weights, cfg = _tiny_checkpoint(tmp_path, 13)
    data = cfg.data.model_copy(update={"own_canvas": True, "test_sizes": [(5, 5), (9, 7), (13, 13)],
                                       "test_per_size": 6, "foreign_per_size": 0, "large_per_size": 0})
    rep = evaluate(MazeTask(), cfg.model_copy(update={"data": data}), checkpoint=weights)
    assert rep["own_canvas"] and "each maze on a canvas of its own size" in rep["table"][0]
    assert set(rep["per_size"]) == {"5x5", "9x7", "13x13"} and rep["n"] == 18

    model, _ = load_checkpoint(weights)
    batches = list(held_out_sets(data).values())

    def run(inputs):
        return predict(model, inputs, batch_size=256, infer=lambda x: answer_views(model, x, data.views))

    outputs, labels, steps, _ = answer_on_canvases(run, batches, 13, own=True)
    padded, _, _, _ = answer_on_canvases(run, batches, 13, own=False)
    assert [len(o) for o in outputs] == [25] * 6 + [81] * 6 + [169] * 6
    assert [len(o) for o in padded] == [169] * 18
    place = 0
    for batch in batches:
        side = max(batch.walls.shape[1:])
        split = to_split([batch], side)
        direct = np.asarray(answer_views(model, torch.as_tensor(split.inputs), data.views).outputs)
        for k in range(len(batch)):
            assert (outputs[place] == direct[k]).all() and (labels[place] == split.labels[k]).all()
            place += 1
    assert (np.asarray(outputs[12:]) == np.asarray(padded[12:])).all(), "a 13x13 maze is on the same canvas either way"


# ---------------------------------------------------------------- the shipped model

def test_shipped_example_is_routed_and_solved_by_the_shipped_weights(task):
    from trm_hub.pipeline import route
    from trm_hub.registry import Registry

    weights = Registry.load().weights_for("maze", "maze")
    assert weights.name == "maze.safetensors" and weights.parent == Path(maze_plugin.__file__).parent / "weights"
    raw = json.loads((EXAMPLES / "maze15.json").read_text())
    out = route(raw, device="cpu")
    assert out["task"] == "maze" and out["verified"] is True, out
    problem = task.parse(raw)
    path = [tuple(cell) for cell in out["solution"]["path"]]
    assert path[0] == problem.start and path[-1] == problem.goal
    assert len(path) == len(task.solve_exact(problem).path)
    assert 1 <= out["steps"] <= 8 and out["solution"]["note"] is None


def test_views_keep_the_shortest_route_the_shipped_model_proposes(monkeypatch):
    import torch

    monkeypatch.setenv("TRM_HUB_PRECISION", "float32")  # one precision for passes of every size

    from trm_hub.registry import Registry
    from trm_hub_plugins.maze.data import to_problems, to_split
    from trm_hub_plugins.maze.views import answer_views, route_length, route_of

    task = MazeTask()
    model, meta = task.load_model(Registry.load().weights_for("maze", "maze"), "cpu")
    batch = held_out_set(MazeData(test_seed=7, test_per_size=48), (15, 15))
    inputs = torch.as_tensor(to_split([batch], 15).inputs)
    problems = to_problems(batch)
    perm = dihedral_permutations(15)
    each, q_halt = [], []
    for view in range(8):
        result = model.infer(inputs[:, perm[view]], halt_threshold=2.0)
        each.append(result.outputs.numpy()[:, np.argsort(perm[view])])
        q_halt.append(result.q_halt.numpy())
    one = answer_views(model, inputs, 1, 2.0).outputs
    eight = answer_views(model, inputs, 8, 2.0).outputs
    assert (one == each[0]).all()
    chunked = model.infer(inputs, halt_threshold=2.0, rows=20, precision="float32")  # auto picks per pass
    whole = model.infer(inputs, halt_threshold=2.0, precision="float32")
    assert (chunked.outputs == whole.outputs).all() and (chunked.steps == whole.steps).all()
    given = inputs.numpy()
    for i, problem in enumerate(problems):
        lengths = [n for n in (route_length(given[i], e[i]) for e in each) if n is not None]
        assert route_length(given[i], eight[i]) == (min(lengths) if lengths else route_length(given[i], one[i]))
        if task.verify(problem, task.decode(problem, one[i])):
            assert task.verify(problem, task.decode(problem, eight[i]))
    for settle_q in (None, 2.0):  # agreement alone, and with the Q head sure (the model's logits reach 3)
        waves = answer_views(model, inputs, 8, 2.0, first=2, settle_q=settle_q).outputs
        settled = 0
        for i in range(len(problems)):
            first_two = [route_of(given[i], e[i]) for e in each[:2]]
            agree = first_two[0] is not None and first_two[0] == first_two[1]
            if agree and (settle_q is None or min(q_halt[0][i], q_halt[1][i]) > settle_q):
                settled += 1
                assert route_of(given[i], waves[i]) == first_two[0]
            else:
                assert route_length(given[i], waves[i]) == route_length(given[i], eight[i])
        assert settled > 0
