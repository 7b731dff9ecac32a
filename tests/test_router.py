"""Router: explicit key, claim hook, fitted classifier, rejection, storage, refit on task-set change."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from pydantic import field_validator

from conftest import run_cli
from trm_hub import router
from trm_hub.hookspecs import hookimpl
from trm_hub.plugins import create_plugin_manager, register_plugin
from trm_hub.router.features import featurize
from trm_hub.router.fit import refusal, screen
from trm_hub.router.model import RouterModel
from trm_hub.router.shapes import HELD_OUT, generic_shapes
from trm_hub.task import Problem, Task

CASES = Path(__file__).parent / "router_cases"
BUILTIN = {"sudoku", "maze", "arc", "molecule"}
COLOURS = ["red", "green", "blue", "yellow", "black", "white"]
WORDS = ["cold", "cord", "card", "ward", "warm", "word", "wore", "core", "bore", "bare", "barn", "born"]


class CountsProblem(Problem):
    counts: list[int]
    target: int | None = None

    @field_validator("counts")
    @classmethod
    def _small(cls, v: list[int]) -> list[int]:
        if not 3 <= len(v) <= 12 or any(not 0 <= x <= 20 for x in v):
            raise ValueError("counts must be 3 to 12 numbers from 0 to 20")
        return v


class TallyTask(Task):
    """Small counting puzzles: a list of counts and an optional target."""

    name = "tally"
    version = "1.0"
    Problem = CountsProblem

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        rng = random.Random(seed)
        for _ in range(n):
            counts = [rng.randint(0, 20) for _ in range(rng.randint(3, 12))]
            yield {"counts": counts} if rng.random() < 0.5 else {"counts": counts, "target": rng.randint(0, 60)}


class LadderProblem(Problem):
    start: str
    end: str
    words: list[str] = []


class LadderTask(Task):
    """Word ladders: change one letter at a time from start to end."""

    name = "ladder"
    version = "1.0"
    Problem = LadderProblem

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        rng = random.Random(seed)
        for _ in range(n):
            a, b = rng.sample(WORDS, 2)
            out: dict[str, Any] = {"start": a, "end": b}
            if rng.random() < 0.6:
                out["words"] = rng.sample(WORDS, rng.randint(3, len(WORDS)))
            yield out


class PaintProblem(Problem):
    canvas: list[list[str]]


class PaintTask(Task):
    """Colour-fill puzzles on a canvas of colour names."""

    name = "paint"
    version = "1.0"
    Problem = PaintProblem

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        rng = random.Random(seed)
        for _ in range(n):
            h, w = rng.randint(2, 8), rng.randint(2, 8)
            yield {"canvas": [[rng.choice(COLOURS) for _ in range(w)] for _ in range(h)]}


class ClockProblem(Problem):
    time: str
    zone: str


class ClockTask(Task):
    """A third party's task: times of day with a time zone."""

    name = "clock"
    version = "0.3"
    Problem = ClockProblem

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        rng = random.Random(seed)
        zones = ["UTC", "Europe/Oslo", "America/Lima", "Asia/Tokyo", "Africa/Nairobi"]
        for _ in range(n):
            yield {"time": f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}", "zone": rng.choice(zones)}


class SilentTask(Task):
    """A task that gives the router no examples."""

    name = "silent"
    version = "1.0"


def accepted_by(problem: Any, tasks: dict[str, Task]) -> str | None:
    return next((name for name, task in tasks.items() if refusal(problem, task) is None), None)


def small_tasks() -> dict[str, Task]:
    return {t.name: t for t in (TallyTask(), LadderTask(), PaintTask())}


def case_files() -> list[Path]:
    return sorted(CASES.glob("*.json"))


def expected_of(path: Path) -> str | None:
    label = path.name.split("--")[0]
    return None if label == "none" else label


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    where = tmp_path_factory.mktemp("router-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(router.CACHE_ENV, str(where))
        router.forget_loaded()
        yield where
    router.forget_loaded()


@pytest.fixture(scope="module")
def small(cache: Path) -> dict[str, Task]:
    tasks = small_tasks()
    router.router_for(tasks, quiet=True)
    return tasks


def test_router_code_names_no_task() -> None:
    pattern = re.compile(r"sudoku|maze|\barc\b|molecule|smiles", re.IGNORECASE)
    modules = sorted(Path(router.__file__).parent.glob("*.py"))
    assert len(modules) >= 4
    for module in modules:
        assert not pattern.search(module.read_text()), f"{module.name} names a task"


@pytest.mark.parametrize(
    "value",
    [None, 0, -3.5, True, "", "text with spaces", [], {}, [[]], [1, "a", None, [2]], {"a": {"b": {"c": [[1, 2], [3, 4]]}}},
     {"x": "ünïcødé ✓"}, {"deep": json.loads("[" * 60 + "]" * 60)}, {"big": list(range(10_000))},
     {"huge": 10**400, "nan": float("nan"), "grid": [[10**400, -1], [float("inf"), 0]]}],
)
def test_featurize_any_json_value(value: Any) -> None:
    f = featurize(value)
    assert f and f == featurize(value)
    assert all(isinstance(name, str) and name for name in f)


def test_grid_features_do_not_depend_on_the_key() -> None:
    grid = [[1, 0, 2], [0, 3, 0], [2, 0, 1]]
    a = {k for k in featurize({"board": grid}) if k.startswith("g")}
    b = {k for k in featurize({"anything": grid}) if k.startswith("g")}
    assert a == b and "g:side=3" in a and "g:max=3" in a and "g:rowuniq" in a


def test_routes_held_out_examples_of_each_task(small: dict[str, Task]) -> None:
    for name, task in small.items():
        problems = list(task.routing_examples(40, seed=4242))
        decisions = router.decide(problems, small)
        assert [d.task for d in decisions] == [name] * len(problems), [d.reason for d in decisions if d.task != name][:3]
        assert all(0.0 < d.confidence <= 1.0 and set(d.scores) == set(small) for d in decisions)


def test_rejects_kinds_of_input_never_seen_in_fitting(small: dict[str, Task]) -> None:
    problems = [p for _, p in generic_shapes(100, seed=77, kinds=HELD_OUT)]
    decisions = router.decide(problems, small)
    rejected = sum(d.task is None for d in decisions)
    assert rejected >= 95, [(p, d.reason) for p, d in zip(problems, decisions) if d.task][:3]


def test_rejects_hand_written_out_of_scope_problems(small: dict[str, Task]) -> None:
    problems = [json.loads(p.read_text()) for p in case_files()]
    decisions = router.decide(problems, small)
    wrong = [(p.name, d.reason) for p, d in zip(case_files(), decisions) if d.task is not None]
    assert not wrong


def test_no_task_fits_names_the_closest_tasks_with_scores(small: dict[str, Task]) -> None:
    (d,) = router.decide([{"question": "What is the tallest mountain in Europe?"}], small)
    assert d.task is None
    assert d.reason.startswith("no task fits") and "closest:" in d.reason and "\n" not in d.reason
    assert re.search(r"(tally|ladder|paint) \d\.\d\d", d.reason)
    assert set(d.scores) == set(small)


def test_explicit_task_key_wins(small: dict[str, Task]) -> None:
    problems = [
        {"task": "ladder", "counts": [1, 2, 3]},
        {"task": "Paint", "canvas": [["red"]]},
        {"task": "ladr", "start": "cold", "end": "warm"},
        {"task": 3, "counts": [1, 2, 3]},
        {"task": None, "counts": [4, 5, 6, 7]},
    ]
    a, b, c, d, e = router.decide(problems, small)
    assert (a.task, a.confidence, a.reason) == ("ladder", 1.0, 'explicit "task" key')
    assert b.task == "paint"
    assert c.task is None and c.reason == "unknown task 'ladr' (did you mean 'ladder'?); known: ladder, paint, tally"
    assert d.task is None and "must name a task" in d.reason
    assert e.task == "tally"


def test_without_task_key() -> None:
    problem = {"task": "tally", "counts": [1, 2, 3]}
    assert router.without_task_key(problem) == {"counts": [1, 2, 3]}
    assert problem == {"task": "tally", "counts": [1, 2, 3]}
    assert router.without_task_key([1, 2]) == [1, 2]


class ClaimsLadders:
    """A plugin that claims problems holding a 'ladder_hint' key."""

    @hookimpl
    def claim_problem(self, problem: Any) -> str | None:
        if isinstance(problem, dict) and "ladder_hint" in problem:
            return problem["ladder_hint"]
        return None


class BrokenClaim:
    """A plugin whose claim_problem hook fails."""

    @hookimpl
    def claim_problem(self, problem: Any) -> str | None:
        raise RuntimeError("boom")


def test_claim_problem_hook_comes_after_the_explicit_key(small: dict[str, Task]) -> None:
    pm = create_plugin_manager(builtins=False, installed=False)
    register_plugin(pm, ClaimsLadders(), "claims-ladders")
    a, b, c = router.decide(
        [
            {"ladder_hint": "ladder", "counts": [1, 2, 3]},
            {"ladder_hint": "ladder", "task": "tally", "counts": [1, 2, 3]},
            {"ladder_hint": "no-such-task", "counts": [1, 2, 3, 4]},
        ],
        small,
        pm,
    )
    assert a.task == "ladder" and "claim_problem" in a.reason
    assert b.task == "tally" and b.reason == 'explicit "task" key'
    assert c.reason.startswith("router") or c.task is None


def test_failing_claim_hook_falls_back_to_the_classifier(small: dict[str, Task], capsys: pytest.CaptureFixture) -> None:
    pm = create_plugin_manager(builtins=False, installed=False)
    register_plugin(pm, BrokenClaim(), "broken-claim")
    decisions = router.decide([{"counts": [1, 2, 3, 4]}, {"counts": [5, 6, 7]}], small, pm)
    assert [d.task for d in decisions] == ["tally", "tally"]
    err = capsys.readouterr().err
    assert err.count("claim_problem hook failed") == 1 and "boom" in err


def test_batch_keeps_order_and_accepts_any_json(small: dict[str, Task]) -> None:
    problems: list[Any] = [{"counts": [1, 2, 3]}, [1, 2, 3], "hello", None, {"canvas": [["red", "blue"]] * 3}, {}]
    decisions = router.decide(problems, small)
    assert [d.task for d in decisions] == ["tally", None, None, None, "paint", None]
    assert router.decide([], small) == []


def test_no_tasks_installed() -> None:
    (d,) = router.decide([{"counts": [1, 2, 3]}], {})
    assert d.task is None and "no tasks are installed" in d.reason


def test_new_task_set_refits_once_and_routes_the_new_task(small: dict[str, Task], cache: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    tasks = {**small, "clock": ClockTask()}
    problems = list(ClockTask().routing_examples(20, seed=555))
    decisions = router.decide(problems + [{"counts": [3, 4, 5]}], tasks)
    assert [d.task for d in decisions] == ["clock"] * 20 + ["tally"]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "clock" in err[0] and "refit the router" in err[0] and str(cache) in err[0]
    assert router.cache_path(tasks).is_file()

    router.decide(problems[:1], tasks)
    router.forget_loaded()
    again = router.decide(problems[:3], tasks)
    assert [d.task for d in again] == ["clock"] * 3
    assert capsys.readouterr().err == ""


def test_router_file_is_plain_json_and_round_trips(small: dict[str, Task], tmp_path: Path) -> None:
    model = router.router_for(small)
    path = model.save(tmp_path / "r.json")
    doc = json.loads(path.read_text())
    assert doc["format"] == "trm-hub-router/2" and [t for t, _ in doc["tasks"]] == sorted(small)
    again = RouterModel.load(path)
    problems = list(TallyTask().routing_examples(5, 1)) + [{"text": "hi"}]
    assert [v.__dict__ for v in again.verdicts(problems)] == [v.__dict__ for v in model.verdicts(problems)]

    doc["format"] = "something-else"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="not a router file"):
        RouterModel.load(path)
    doc["format"] = "trm-hub-router/2"
    doc["arrays"]["coef"]["dtype"] = "|O"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="unsupported type"):
        RouterModel.load(path)


def test_corrupt_cached_router_is_refit(cache: Path, capsys: pytest.CaptureFixture) -> None:
    tasks = {"tally": TallyTask(), "paint": PaintTask()}
    router.cache_path(tasks).parent.mkdir(parents=True, exist_ok=True)
    router.cache_path(tasks).write_text("{not json")
    (d,) = router.decide([{"counts": [1, 2, 3]}], tasks)
    assert d.task == "tally"
    assert "refit the router" in capsys.readouterr().err
    assert RouterModel.load(router.cache_path(tasks)).tasks == ["paint", "tally"]


def test_router_fit_on_older_features_is_refit(cache: Path, capsys: pytest.CaptureFixture) -> None:
    tasks = {"ladder": LadderTask(), "paint": PaintTask()}
    router.decide([{"start": "cold", "end": "warm"}], tasks)
    capsys.readouterr()
    stale = RouterModel.load(router.cache_path(tasks))
    stale.features_version = 0
    stale.save(router.cache_path(tasks))
    router.forget_loaded()
    (d,) = router.decide([{"start": "cold", "end": "warm"}], tasks)
    assert d.task == "ladder" and "refit the router" in capsys.readouterr().err
    assert RouterModel.load(router.cache_path(tasks)).current


def test_a_schema_that_refuses_the_problem_passes_it_on(small: dict[str, Task]) -> None:
    a, b = router.decide([{"counts": [1, 2, 99]}, {"counts": [1, 2, 3], "target": 7}], small)
    assert a.task is None and a.reason.startswith("no task fits: tally refuses it: counts")
    assert a.scores["tally"] > 0.5 and "closest: tally" in a.reason
    assert b.task == "tally" and b.reason.startswith("router: tally")


def test_task_without_routing_examples_is_reachable_only_by_name(cache: Path, capsys: pytest.CaptureFixture) -> None:
    tasks = {"tally": TallyTask(), "silent": SilentTask()}
    a, b = router.decide([{"counts": [1, 2, 3]}, {"task": "silent", "x": 1}], tasks)
    assert a.task == "tally" and b.task == "silent"
    err = capsys.readouterr().err
    assert "not routable" in err and "silent" in err and "routing_examples" in err


def test_no_routable_task_leaves_only_the_task_key(cache: Path, capsys: pytest.CaptureFixture) -> None:
    tasks = {"silent": SilentTask()}
    a, b = router.decide([{"x": 1}, {"task": "silent", "x": 1}], tasks)
    assert a.task is None and "no installed task can be routed to" in a.reason
    assert b.task == "silent"
    assert capsys.readouterr().err.count("cannot fit the router") == 1
    router.decide([{"x": 2}], tasks)
    assert capsys.readouterr().err == ""
    with pytest.raises(ValueError, match="no installed task gives routing examples"):
        router.fit_router(tasks, cache / "none.json")


class AnythingProblem(Problem):
    model_config = {"extra": "allow"}


class NotesTask(Task):
    """A task whose schema accepts any JSON object; its own problems are short notes."""

    name = "notes"
    Problem = AnythingProblem

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        rng = random.Random(seed)
        for _ in range(n):
            yield {"note": " ".join(rng.sample(WORDS + COLOURS, rng.randint(2, 8))), "pinned": rng.random() < 0.5}


def test_permissive_schema_does_not_empty_the_out_of_scope_set() -> None:
    drawn = list(generic_shapes(200, 3))
    kept, permissive = screen(drawn, {"notes": NotesTask(), "tally": TallyTask()})
    assert permissive == ["notes"]
    assert 0 < len(kept) and all(accepted_by(p, {"tally": TallyTask()}) is None for _, p in kept)


def test_near_misses_a_permissive_schema_accepts_stay_rejected(cache: Path) -> None:
    tasks = {**small_tasks(), "notes": NotesTask()}
    near = [json.loads((CASES / f"none--{name}.json").read_text()) for name in ("bitmap-10x10", "small-int-table-6x6")]
    near += [p for _, p in generic_shapes(60, seed=91, kinds=("bitmap", "small_ints"))]
    assert all(accepted_by(p, {"notes": NotesTask()}) == "notes" for p in near)
    notes = list(NotesTask().routing_examples(20, seed=92))
    decisions = router.decide(near + notes, tasks)
    assert [d.task for d in decisions[:len(near)]] == [None] * len(near), [d.reason for d in decisions if d.task][:3]
    assert all("looks out of scope" in d.reason for d in decisions[:len(near)])
    assert [d.task for d in decisions[len(near):]] == ["notes"] * len(notes)


def test_fit_router_and_evaluate_router(cache: Path, tmp_path: Path) -> None:
    tasks = small_tasks()
    summary = router.fit_router(tasks, tmp_path / "fitted.json", n=80)
    assert summary["path"] == str(tmp_path / "fitted.json") and summary["tasks"] == sorted(tasks)
    model = RouterModel.load(tmp_path / "fitted.json")
    report = router.evaluate_router(tasks, n=40, model=model)
    assert set(report["accuracy"]) == set(tasks) and report["in_scope_accuracy"] >= 0.99
    assert report["rejection_rate"] >= 0.95
    assert len(report["confusion"]) == len(tasks) + 1 == len(report["labels"])
    assert report["latency_ms"]["single_p50"] > 0
    assert report["seed"] != model.info["seed"] and report["rejection_by_classifier_alone"] >= 0.95
    text = router.format_report(report)
    assert "confusion" in text and "out-of-scope rejected" in text and "p50" in text


def test_fit_router_without_tasks_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no tasks are installed"):
        router.fit_router({}, tmp_path / "r.json")


def builtin_tasks() -> dict[str, Task]:
    from trm_hub.plugins import load_tasks

    tasks = load_tasks(create_plugin_manager(installed=False))
    assert BUILTIN <= set(tasks), f"built-in task plugins missing: {', '.join(sorted(BUILTIN - set(tasks)))}"
    return tasks


def test_shipped_router_is_fit_for_the_builtin_tasks() -> None:
    tasks = builtin_tasks()
    model = RouterModel.load(router.SHIPPED_PATH)
    assert set(model.tasks) == BUILTIN
    assert model.signature == router.signature({k: tasks[k] for k in BUILTIN})


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_hand_written_case_matches_the_task_schemas(path: Path) -> None:
    tasks = builtin_tasks()
    assert accepted_by(json.loads(path.read_text()), tasks) == expected_of(path)


@pytest.mark.parametrize("path", case_files(), ids=lambda p: p.stem)
def test_hand_written_case_is_routed_by_the_shipped_router(path: Path, cache: Path) -> None:
    tasks = builtin_tasks()
    (d,) = router.decide([json.loads(path.read_text())], tasks)
    assert d.task == expected_of(path), d.reason


def test_route_refits_once_after_a_plugin_is_installed(toy_site: Path, tmp_path: Path) -> None:
    builtin_tasks()
    env = {router.CACHE_ENV: str(tmp_path / "cache")}
    problem = tmp_path / "toy.json"
    problem.write_text('{"reverse": [1, 2, 3, 4]}')
    first = run_cli("route", "--dry-run", str(problem), site=toy_site, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["task"] == "toy_reverse"
    said = [line for line in first.stderr.splitlines() if "refit the router" in line]
    assert len(said) == 1 and "added toy_reverse" in said[0]

    case = CASES / "sudoku--string-dots-9x9.json"
    second = run_cli("route", "--dry-run", str(case), site=toy_site, env=env, timeout=300)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["task"] == "sudoku"
    assert "refit" not in second.stderr
