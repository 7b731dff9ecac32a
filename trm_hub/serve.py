"""The HTTP service: the CLI's answering pipeline over ASGI, per-model request batching, a web page."""

from __future__ import annotations

import asyncio
import html
import json
import os
import signal
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, AsyncIterator, Callable, Iterator, Sequence

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from trm_hub.errors import HubError, describe_error, one_line
from trm_hub.task import Answer, Task

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class ServeSettings(BaseModel):
    """How the service answers: device, request limits, batching."""

    model_config = ConfigDict(extra="forbid")

    device: str = "auto"
    max_body_bytes: int = Field(1_048_576, ge=1, description="largest request body accepted (413 above)")
    max_depth: int = Field(20, ge=1, description="deepest nesting of JSON arrays and objects accepted")
    batch_wait_ms: float = Field(5.0, ge=0, description="how long a batch waits for more problems")
    batch_size: int = Field(64, ge=1, description="most problems answered in one batch")
    workers: int | None = Field(None, ge=1, description="batches answered at once (default: 1 on a GPU, else one per core)")
    threads: int | None = Field(None, ge=1, description="CPU threads per batch, torch or onnxruntime (default: cores / workers)")
    registry_path: str | None = None


class ErrorBody(BaseModel):
    """Every error answer: one line."""

    error: str


class RequestError(Exception):
    """A request that gets a JSON error with an HTTP status instead of an answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(one_line(message))
        self.status = status
        self.message = one_line(message)


def status_of(exc: BaseException) -> int:
    """HTTP status of a failure met while answering: the model's side (500) or the problem's (422)."""
    from trm_hub.registry import RegistryError

    if isinstance(exc, (RegistryError, FileNotFoundError)):
        return 500
    if isinstance(exc, (HubError, ValueError)) and not isinstance(exc, (KeyError, UnicodeError)):
        return 422
    return 500


def json_depth(value: Any) -> int:
    """Deepest nesting of lists and dicts in a parsed JSON value (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def read_problem(body: bytes, max_depth: int) -> dict[str, Any]:
    """One problem object from a request body, or a RequestError (400) saying what is wrong."""
    from trm_hub.pipeline import JSONL_HINT, InputError, parse_problems

    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RequestError(400, "the request body is not UTF-8 text") from None
    try:
        items, many = parse_problems(text, "the request body", jsonl=False)
    except InputError as exc:
        raise RequestError(400, str(exc).replace(JSONL_HINT, " (send one problem per request)")) from None
    except RecursionError:
        raise RequestError(400, f"the request body nests deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise RequestError(400, f"invalid JSON in the request body: {exc}") from None
    if many:
        raise RequestError(400, f"send one problem per request (the body holds {len(items)} JSON lines)")
    problem = items[0]
    if not isinstance(problem, dict):
        raise RequestError(400, getattr(problem, "message", "a problem must be a JSON object"))
    if json_depth(problem) > max_depth:
        raise RequestError(400, f"the request body nests deeper than {max_depth} levels")
    return problem


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing (413) one over `limit` bytes before reading all of it."""
    declared = request.headers.get("content-length")
    too_big = f"the request body is larger than the limit of {limit} bytes"
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, too_big)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, too_big)
        chunks.append(chunk)
    return b"".join(chunks)


Key = tuple[str, str]
Outcome = Answer | BaseException


class Batcher:
    """Gathers concurrent problems for one model into batches, answered in a pool of worker threads.

    A batch closes when `size` problems wait or `wait` seconds after a worker is free for it, so
    requests that arrive while every worker is busy join the next batch."""

    def __init__(self, answer: Callable[[Task, list[Any]], Sequence[Outcome]], wait: float, size: int,
                 workers: int = 1) -> None:
        self._answer = answer
        self._wait, self._size = wait, size
        self._queues: dict[Key, asyncio.Queue[tuple[Any, asyncio.Future[Outcome]]]] = {}
        self._loops: dict[Key, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._free: asyncio.Semaphore | None = None
        self.workers = workers
        self.worker = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="trm-hub-answer")
        self.sizes: dict[int, int] = {}

    async def submit(self, key: Key, task: Task, problem: Any) -> Outcome:
        """The answer (or the exception met) for one parsed problem, answered with its batch."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            self._loops[key] = asyncio.create_task(self._gather(task, queue), name=f"batch {key[0]}/{key[1]}")
        queue.put_nowait((problem, future))
        return await future

    async def _gather(self, task: Task, queue: asyncio.Queue[tuple[Any, asyncio.Future[Outcome]]]) -> None:
        loop = asyncio.get_running_loop()
        if self._free is None:
            self._free = asyncio.Semaphore(self.workers)
        while True:
            batch = [await queue.get()]
            await self._free.acquire()
            deadline = loop.time() + self._wait
            while len(batch) < self._size:
                if not queue.empty():
                    batch.append(queue.get_nowait())
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(queue.get(), remaining))
                except TimeoutError:
                    break
            live = [(problem, future) for problem, future in batch if not future.done()]
            if not live:
                self._free.release()
                continue
            self.sizes[len(live)] = self.sizes.get(len(live), 0) + 1
            running = asyncio.create_task(self._run(task, live))
            self._running.add(running)
            running.add_done_callback(self._running.discard)

    async def _run(self, task: Task, live: list[tuple[Any, asyncio.Future[Outcome]]]) -> None:
        assert self._free is not None
        try:
            outcomes = await asyncio.get_running_loop().run_in_executor(
                self.worker, self._answer, task, [problem for problem, _ in live])
        except Exception as exc:
            outcomes = [exc for _ in live]
        finally:
            self._free.release()
        for (_, future), outcome in zip(live, outcomes):
            if not future.done():
                future.set_result(outcome)

    async def close(self) -> None:
        """Stop gathering, let the batches in hand finish, then stop the workers."""
        for gather in self._loops.values():
            gather.cancel()
        await asyncio.gather(*self._loops.values(), return_exceptions=True)
        await asyncio.gather(*self._running, return_exceptions=True)
        self.worker.shutdown(wait=True)


def cpu_cores() -> int:
    """CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def uses_gpu(device: str) -> bool:
    from trm_hub.runtime import wants_cuda

    return wants_cuda(device) or device.startswith("mps")


def worker_count(settings: ServeSettings) -> int:
    """Batches answered at once: as asked, else one on a GPU and one per CPU core."""
    if settings.workers is not None:
        return settings.workers
    return 1 if uses_gpu(settings.device) else cpu_cores()


@dataclass
class Hub:
    """What the service keeps loaded: tasks, their plugins, the registry and each model's state."""

    settings: ServeSettings
    tasks: dict[str, Task] = field(default_factory=dict)
    plugins: dict[str, str] = field(default_factory=dict)
    pm: Any = None
    registry: Any = None
    models: dict[str, dict[str, str | None]] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    workers: int = 1
    ready: bool = False

    def load(self) -> None:
        """Load the tasks, the router and every registered model once (a model that fails is noted)."""
        from trm_hub.plugins import collect_tasks, get_plugin_manager
        from trm_hub.registry import Registry
        from trm_hub.router import router_for

        self.pm = get_plugin_manager()
        registered = collect_tasks(self.pm)
        self.tasks = {name: entry.task for name, entry in registered.items()}
        self.plugins = {name: entry.plugin for name, entry in registered.items()}
        self.registry = Registry.load(self.settings.registry_path)
        from trm_hub.runtime import has_torch

        if has_torch() and not uses_gpu(self.settings.device):
            import torch

            torch.set_num_threads(self.settings.threads or max(1, cpu_cores() // self.workers))
        router_for(self.tasks, quiet=True)
        for name, task in sorted(self.tasks.items()):
            self.models[name] = {}
            for model_name in sorted(self.registry.entries(name)):
                try:
                    engine, _ = task.load_engine(self.registry, model_name, self.settings.device)
                    if engine.runtime == "onnx":
                        engine.threads = self.settings.threads or max(1, cpu_cores() // self.workers)
                    self.models[name][model_name] = None
                except Exception as exc:
                    self.models[name][model_name] = describe_error(exc)
                    print(f"trm-hub serve: model {name}/{model_name} is unavailable: {describe_error(exc)}",
                          file=sys.stderr)
        self.examples = shipped_examples(self.tasks, self.plugins, self.pm)
        self.warm_up()
        self.ready = True

    def warm_up(self) -> None:
        """Answer each shipped example once, so that no client pays for a model's first call."""
        from trm_hub.pipeline import parse_for, solve_parsed

        for example in self.examples:
            try:
                task = self.tasks[example["task"]]
                solve_parsed(task, [parse_for(task, example["problem"])], self.settings.device, self.registry)
            except Exception:
                continue

    def answer(self, task: Task, problems: list[Any]) -> list[Outcome]:
        """Answer one batch (in the worker thread), as the CLI does."""
        from trm_hub.pipeline import debugging, solve_parsed

        outcomes = solve_parsed(task, problems, self.settings.device, self.registry)
        if debugging():
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    traceback.print_exception(outcome, file=sys.stderr)
        return outcomes

    def prepare_route(self, raw: dict[str, Any]) -> tuple[Task, Any, float | None]:
        """Route a problem and validate it for its task (in a thread): (task, problem, confidence)."""
        from trm_hub.pipeline import decide_tasks, no_fit_message

        decision = decide_tasks([raw], self.tasks, self.pm)[0]
        if isinstance(decision, Exception):
            raise RequestError(500, describe_error(decision))
        if decision.task is None:
            raise RequestError(422, no_fit_message(decision))
        task = self.tasks[decision.task]
        return task, self.validate(task, raw), decision.confidence

    def validate(self, task: Task, raw: dict[str, Any]) -> Any:
        """The task's parsed problem, or a RequestError (422) naming what does not fit its schema."""
        from trm_hub.pipeline import parse_for

        try:
            return parse_for(task, raw)
        except Exception as exc:
            raise RequestError(status_of(exc), describe_error(exc)) from None

    def task_rows(self) -> list[dict[str, Any]]:
        """Every task with its plugin, description and models (loaded, or why not)."""
        return [
            {
                "name": name,
                "plugin": self.plugins.get(name),
                "description": task.describe(),
                "models": [
                    {"name": model, "loaded": error is None, **({"error": error} if error else {})}
                    for model, error in self.models.get(name, {}).items()
                ],
                "pictures": type(task).pictures is not Task.pictures,
            }
            for name, task in sorted(self.tasks.items())
        ]


def drawings(task: Task, problem: Any, solution: Any) -> list[str]:
    """The task's SVG drawings of a problem and its solution; none when drawing fails (the answer stands)."""
    try:
        return [str(image) for image in task.pictures(problem, solution)]
    except Exception as exc:
        print(f"trm-hub serve: task '{task.name}' could not draw its answer: {describe_error(exc)}", file=sys.stderr)
        return []


def shipped_examples(tasks: dict[str, Task], plugins: dict[str, str], pm: Any) -> list[dict[str, Any]]:
    """The example problems each task's plugin package ships in its `examples/` folder."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for name in sorted(tasks):
        module = getattr(pm.get_plugin(plugins.get(name, "")), "__name__", None) if pm is not None else None
        if not module or module in seen:
            continue
        seen.add(module)
        try:
            folder = resources.files(module) / "examples"
            files = sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
        except (FileNotFoundError, NotADirectoryError, ModuleNotFoundError, TypeError):
            continue
        for file in files:
            try:
                problem = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(problem, dict):
                found.append({"name": file.name[: -len(".json")], "task": name, "problem": problem})
    return found


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": one_line(message)}, status_code=status)


PROBLEM_BODY = {
    "required": True,
    "content": {"application/json": {
        "schema": {"type": "object", "description": "one problem, as `trm-hub route` reads it"},
        "example": {"puzzle": "341.1..3......3."},
    }},
}
ERRORS = {
    400: {"model": ErrorBody, "description": "invalid JSON, not one object, or nested too deeply"},
    413: {"model": ErrorBody, "description": "the body is over the size limit"},
    422: {"model": ErrorBody, "description": "the problem fails its schema, fits no task, or cannot be answered"},
    500: {"model": ErrorBody, "description": "the model failed (one line)"},
}
ANSWER = {200: {"description": "the same JSON object `trm-hub route` prints (`seconds` is this request's share)"}}


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    """The ASGI app: models load at start-up (in the worker thread) and stay loaded."""
    hub = Hub(settings or ServeSettings())
    hub.workers = worker_count(hub.settings)
    batcher = Batcher(hub.answer, hub.settings.batch_wait_ms / 1000, hub.settings.batch_size, hub.workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.get_running_loop().run_in_executor(batcher.worker, hub.load)
        loading.add_done_callback(_report_failed_load)
        app.state.loading = loading
        try:
            yield
        finally:
            await batcher.close()

    app = FastAPI(
        title="trm-hub",
        summary="Structured reasoning problems answered by tiny recursive models.",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.hub, app.state.batcher = hub, batcher

    @app.exception_handler(RequestError)
    async def request_error(request: Request, exc: RequestError) -> JSONResponse:
        return error_response(exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        print(f"trm-hub serve: internal error: {type(exc).__name__}: {one_line(str(exc))}", file=sys.stderr)
        return error_response(500, f"internal error: {type(exc).__name__}: {exc}")

    async def loaded() -> None:
        if not hub.ready:
            try:
                await asyncio.shield(app.state.loading)
            except Exception as exc:
                raise RequestError(500, f"the hub failed to load: {describe_error(exc)}") from None

    async def named_problem(task: str, request: Request) -> tuple[Task, Any]:
        """The named task (404 when unknown) and the request's problem validated by its schema."""
        from trm_hub.pipeline import unknown_task_message

        await loaded()
        if task not in hub.tasks:
            raise RequestError(404, unknown_task_message(task, hub.tasks))
        raw = read_problem(await read_body(request, hub.settings.max_body_bytes), hub.settings.max_depth)
        chosen = hub.tasks[task]
        return chosen, await run_in_threadpool(hub.validate, chosen, raw)

    async def answered(key: Key, task: Task, problem: Any, confidence: float | None, pictures: bool) -> JSONResponse:
        outcome = await batcher.submit(key, task, problem)
        if isinstance(outcome, BaseException):
            return error_response(status_of(outcome), describe_error(outcome))
        outcome.confidence = confidence
        body = outcome.to_json()
        if pictures:
            body["pictures"] = await run_in_threadpool(drawings, task, problem, outcome.solution)
        return JSONResponse(body)

    @app.post("/v1/route", summary="Route a problem to its task and answer it",
              openapi_extra={"requestBody": PROBLEM_BODY}, responses={**ANSWER, **ERRORS})
    async def route(request: Request, pictures: bool = False) -> JSONResponse:
        """What `trm-hub route` prints for the problem; 422 when no task fits (with the closest tasks).
        With `?pictures=true` the answer also carries the task's SVG drawings of the problem and its
        solution (`pictures`, what the web page shows)."""
        raw = read_problem(await read_body(request, hub.settings.max_body_bytes), hub.settings.max_depth)
        await loaded()
        task, problem, confidence = await run_in_threadpool(hub.prepare_route, raw)
        key = (task.name, await run_in_threadpool(task.model_name, problem))
        return await answered(key, task, problem, confidence, pictures)

    @app.post("/v1/solve/{task}", summary="Answer a problem with a named task (no router)",
              openapi_extra={"requestBody": PROBLEM_BODY},
              responses={**ANSWER, **ERRORS, 404: {"model": ErrorBody, "description": "unknown task"}})
    async def solve(task: str, request: Request, pictures: bool = False) -> JSONResponse:
        """What `trm-hub solve TASK` prints for the problem (confidence is null); `?pictures=true` adds
        the task's SVG drawings of the problem and its solution."""
        chosen, problem = await named_problem(task, request)
        key = (chosen.name, await run_in_threadpool(chosen.model_name, problem))
        return await answered(key, chosen, problem, None, pictures)

    @app.post("/v1/draw/{task}", summary="SVG drawings of a problem by its task (no answer drawn)",
              openapi_extra={"requestBody": PROBLEM_BODY},
              responses={200: {"description": '{"images": [svg, ...]} (empty when the task draws none)'},
                         **ERRORS, 404: {"model": ErrorBody, "description": "unknown task"}})
    async def draw(task: str, request: Request) -> JSONResponse:
        """The task's pictures of the problem, as SVG text."""
        chosen, problem = await named_problem(task, request)
        try:
            images = await run_in_threadpool(chosen.pictures, problem)
        except Exception as exc:
            raise RequestError(status_of(exc), describe_error(exc)) from None
        return JSONResponse({"images": list(images)})

    @app.get("/v1/tasks", summary="Installed tasks and their models")
    async def tasks() -> JSONResponse:
        """Each task: plugin, description, models (loaded or the reason not), whether it draws pictures."""
        await loaded()
        return JSONResponse(hub.task_rows())

    @app.get("/v1/examples", summary="The example problems the task plugins ship")
    async def examples() -> JSONResponse:
        """[{"name", "task", "problem"}], as the web page offers them."""
        await loaded()
        return JSONResponse(hub.examples)

    @app.get("/healthz", summary="200 once every model is loaded",
             responses={503: {"model": ErrorBody, "description": "still loading"}})
    async def healthz() -> JSONResponse:
        """{"status": "ok", models loaded, models unavailable, batches answered by size}."""
        if not hub.ready:
            if app.state.loading.done() and app.state.loading.exception() is not None:
                return error_response(500, f"the hub failed to load: {describe_error(app.state.loading.exception())}")
            return error_response(503, "loading models")
        models = [f"{t}/{m}" for t, row in hub.models.items() for m, error in row.items() if error is None]
        missing = {f"{t}/{m}": error for t, row in hub.models.items() for m, error in row.items() if error}
        return JSONResponse({"status": "ok", "models": models, "unavailable": missing,
                             "batches": {str(k): v for k, v in sorted(batcher.sizes.items())}})

    @app.get("/", response_class=HTMLResponse, summary="The web page: send a problem, see its answer drawn")
    async def page() -> HTMLResponse:
        return HTMLResponse(_page())

    @app.get("/docs", response_class=HTMLResponse, summary="This page: every route of the OpenAPI document")
    async def docs() -> HTMLResponse:
        return HTMLResponse(openapi_page(app.openapi()))

    return app


def _report_failed_load(loading: asyncio.Future[None]) -> None:
    if not loading.cancelled() and loading.exception() is not None:
        print(f"trm-hub serve: the hub failed to load: {describe_error(loading.exception())}", file=sys.stderr)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("trm-hub")
    except PackageNotFoundError:
        return "0"


def _page() -> str:
    return (resources.files("trm_hub") / "static" / "index.html").read_text(encoding="utf-8")


def openapi_page(spec: dict[str, Any]) -> str:
    """The OpenAPI document as one plain HTML page (no scripts, nothing fetched)."""
    esc = html.escape
    rows = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            responses = "".join(
                f"<li><code>{esc(code)}</code> {esc(str(r.get('description', '')))}</li>"
                for code, r in op.get("responses", {}).items()
            )
            body = "<p>Body: one JSON problem object.</p>" if "requestBody" in op else ""
            rows.append(
                f"<section><h2><code>{esc(method.upper())} {esc(path)}</code></h2>"
                f"<p><b>{esc(op.get('summary', ''))}</b></p><p>{esc(op.get('description', ''))}</p>"
                f"{body}<ul>{responses}</ul></section>"
            )
    info = spec.get("info", {})
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>trm-hub API</title>"
        "<style>body{font:15px system-ui,sans-serif;max-width:52em;margin:2em auto;padding:0 1em}"
        "section{border-top:1px solid #ccc}code{background:#f3f3f3;padding:0 .2em}</style></head><body>"
        f"<h1>{esc(info.get('title', 'API'))} {esc(info.get('version', ''))}</h1>"
        f"<p>{esc(info.get('summary', ''))} The machine-readable document is "
        "<a href='/openapi.json'>/openapi.json</a>; errors are <code>{\"error\": \"...\"}</code>.</p>"
        + "".join(rows) + "</body></html>"
    )


@contextmanager
def _no_signal_replay(server: Any) -> Iterator[None]:
    """SIGINT/SIGTERM ask the server to finish in-flight requests and stop, then the process exits 0."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.signal(sig, server.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def run(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, settings: ServeSettings | None = None,
        log_level: str = "info") -> None:
    """Serve until SIGINT or SIGTERM, finishing the requests in flight."""
    import uvicorn

    config = uvicorn.Config(create_app(settings), host=host, port=port, log_level=log_level,
                            timeout_graceful_shutdown=None, lifespan="on")
    server = uvicorn.Server(config)
    server.capture_signals = lambda: _no_signal_replay(server)  # type: ignore[method-assign]
    server.run()
    if not server.started:
        raise SystemExit(1)
