"""`trm-hub serve`: the real server on a loopback port, spoken to over HTTP (bad requests included)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest

if os.environ.get("CI", "").lower() not in {"1", "true", "yes"}:
    pytest.importorskip("fastapi", reason="trm-hub serve needs the 'serve' extra (fastapi, uvicorn)")
    pytest.importorskip("uvicorn", reason="trm-hub serve needs the 'serve' extra (fastapi, uvicorn)")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "plugins").glob("*/examples/*.json"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
START_TIMEOUT = 120


class Server:
    """A `trm-hub serve` process on a free loopback port."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "trm_hub", "serve", "--port", "0", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
            env={**os.environ, **(env or {})},
        )
        self.log: list[str] = []
        found = threading.Event()

        def read() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                self.log.append(line)
                match = re.search(r"running on http://127\.0\.0\.1:(\d+)", line)
                if match:
                    self.port = int(match.group(1))
                    found.set()

        threading.Thread(target=read, daemon=True).start()
        began = time.monotonic()
        while not found.wait(0.2):
            if self.proc.poll() is not None or time.monotonic() - began > START_TIMEOUT:
                self.stop()
                raise RuntimeError("the server did not start:\n" + "".join(self.log))
        self.url = f"http://127.0.0.1:{self.port}"
        while self.request("GET", "/healthz")[0] != 200:
            if time.monotonic() - began > START_TIMEOUT:
                raise RuntimeError("the server never became healthy:\n" + "".join(self.log))
            time.sleep(0.2)

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """(status, parsed JSON or text) of one HTTP request."""
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=120) as response:
                status, raw, kind = response.status, response.read(), response.headers.get("content-type", "")
        except urllib.error.HTTPError as exc:
            status, raw, kind = exc.code, exc.read(), exc.headers.get("content-type", "")
        return status, json.loads(raw) if "json" in kind else raw.decode()

    def post(self, path: str, problem: Any) -> tuple[int, Any]:
        return self.request("POST", path, json.dumps(problem), {"Content-Type": "application/json"})

    def stop(self, sig: int | None = signal.SIGTERM) -> int:
        """Send `sig` (None: none, the server was already told to stop) and wait for the exit code."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One server for the module; a long batch wait so that concurrent requests surely share batches."""
    running = Server("--batch-wait-ms", "100", "--max-body-bytes", "200000", "--device", "cpu")
    yield running
    assert running.stop() == 0


def without_seconds(result: dict[str, Any]) -> dict[str, Any]:
    """An answer without its wall time, the one field that differs between two runs, flattened to
    {path: leaf}."""
    return floats_of({key: value for key, value in result.items() if key != "seconds"})


def alike(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same answer, numbers to 1e-6, relative or absolute (a problem answered in a pass of other
    rows may differ in the last float32 bits: onnxruntime takes another kernel for a pass of one
    row, and a molecule's spread over its views, about 0.002, then differs by about 1e-8)."""
    left, right = without_seconds(a), without_seconds(b)
    return left.keys() == right.keys() and all(
        math.isclose(x, right[k], rel_tol=1e-6, abs_tol=1e-6) if isinstance(x, float) else x == right[k]
        for k, x in left.items())


def floats_of(value: Any, path: str = "") -> dict[str, Any]:
    """A JSON value flattened to {path: leaf}, so that pytest.approx compares every number in it."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in floats_of(item, f"{path}/{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in floats_of(item, f"{path}/{i}").items()} or {path: "[]"}
    return {path: value}


def cli_answers(*args: str, stdin: str) -> list[dict[str, Any]]:
    done = subprocess.run([sys.executable, "-m", "trm_hub", *args, "--jsonl", "-"], input=stdin,
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_route_answers_every_shipped_example_as_the_cli_prints_it(server: Server):
    problems = [json.loads(path.read_text()) for path in EXAMPLES]
    expected = cli_answers("route", stdin="".join(json.dumps(p) + "\n" for p in problems))
    for path, problem, cli in zip(EXAMPLES, problems, expected):
        status, answer = server.post("/v1/route", problem)
        assert status == 200, (path.name, answer)
        assert alike(answer, cli), path.name
        assert isinstance(answer["seconds"], float) and answer["seconds"] >= 0


def test_solve_answers_as_trm_hub_solve(server: Server):
    problem = json.loads((ROOT / "plugins/maze/examples/maze_text.json").read_text())
    cli = cli_answers("solve", "maze", stdin=json.dumps(problem) + "\n")[0]
    status, answer = server.post("/v1/solve/maze", problem)
    assert status == 200 and answer["confidence"] is None and answer["verified"] is True
    assert alike(answer, cli)


def test_tasks_health_examples_and_every_route_documented(server: Server):
    status, tasks = server.request("GET", "/v1/tasks")
    assert status == 200
    by_name = {row["name"]: row for row in tasks}
    assert {"sudoku", "maze", "arc", "molecule"} <= set(by_name)
    assert {m["name"] for m in by_name["sudoku"]["models"]} == {"sudoku-4x4", "sudoku-6x6", "sudoku-9x9"}
    assert all(m["loaded"] for row in tasks for m in row["models"])
    assert all(by_name[name]["pictures"] is True for name in ("sudoku", "maze", "arc", "molecule"))
    status, health = server.request("GET", "/healthz")
    assert status == 200 and health["status"] == "ok" and "maze/maze" in health["models"] and not health["unavailable"]
    status, examples = server.request("GET", "/v1/examples")
    assert status == 200
    assert {e["name"] for e in examples} == {p.stem for p in EXAMPLES}
    status, spec = server.request("GET", "/openapi.json")
    assert status == 200
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    for path, method in [("/v1/route", "POST"), ("/v1/solve/{task}", "POST"), ("/v1/draw/{task}", "POST"),
                         ("/v1/tasks", "GET"), ("/v1/examples", "GET"), ("/healthz", "GET"), ("/", "GET"),
                         ("/docs", "GET")]:
        assert (path, method) in documented
    assert {"400", "413", "422", "500"} <= set(spec["paths"]["/v1/route"]["post"]["responses"])
    status, page = server.request("GET", "/docs")
    assert status == 200 and all(path in page for path in spec["paths"])
    status, page = server.request("GET", "/")
    assert status == 200 and "<script>" in page and "http://" not in page.replace("http://www.w3.org", "")


def test_molecule_pictures_are_svg_drawings(server: Server):
    status, drawn = server.post("/v1/draw/molecule", {"smiles": ["CCO", "c1ccccc1O"]})
    assert status == 200 and len(drawn["images"]) == 2
    assert all(image.startswith("<svg") and image.rstrip().endswith("</svg>") for image in drawn["images"])
    status, drawn = server.post("/v1/draw/sudoku", json.loads((ROOT / "plugins/sudoku/examples/sudoku4.json").read_text()))
    assert status == 200 and len(drawn["images"]) == 1 and 'class="given"' in drawn["images"][0]
    assert 'class="filled"' not in drawn["images"][0], "no answer drawn without one"
    status, drawn = server.post("/v1/draw/molecule", {"smiles": "C1CC"})
    assert status == 422 and "invalid SMILES" in drawn["error"]


@pytest.mark.parametrize("example", ["sudoku9", "maze15", "molecule"])
def test_answers_carry_the_tasks_drawings_of_problem_and_answer_when_asked(server: Server, example: str):
    problem = json.loads(next(path for path in EXAMPLES if path.stem == example).read_text())
    status, plain = server.post("/v1/route", problem)
    assert status == 200 and "pictures" not in plain
    status, drawn = server.post("/v1/route?pictures=true", problem)
    assert status == 200
    pictures = drawn.pop("pictures")
    assert alike(drawn, plain)
    assert pictures and all(p.startswith("<svg") and p.rstrip().endswith("</svg>") for p in pictures)
    solution = plain["solution"]
    mark = {"sudoku": 'class="filled"', "maze": 'class="path"',
            "molecule": f"{solution.get('predictions', [{}])[0].get('value', 0):.3f}"}[plain["task"]]
    assert mark in "".join(pictures)
    status, solved = server.post(f"/v1/solve/{plain['task']}?pictures=true", problem)
    assert status == 200 and solved["pictures"] == pictures


NESTED = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "method, path, body, status, words",
    [
        ("POST", "/v1/route", "{", 400, "invalid JSON in the request body"),
        ("POST", "/v1/route", "", 400, "empty"),
        ("POST", "/v1/route", b"\xff\xfe\x00", 400, "not UTF-8"),
        ("POST", "/v1/route", "[1, 2]", 400, "must be a JSON object, got a list (send one problem per request)"),
        ("POST", "/v1/route", '{"puzzle": "1234"}\n{"puzzle": "1234"}', 400, "one problem per request"),
        ("POST", "/v1/route", NESTED, 400, "nests deeper than 20 levels"),
        ("POST", "/v1/route", '{"a":' * 30 + "1" + "}" * 30, 400, "nests deeper than 20 levels"),
        ("POST", "/v1/route", json.dumps({"smiles": "C" * 300_000}), 413, "larger than the limit of 200000 bytes"),
        ("POST", "/v1/route", '{"colour": "blue", "size": 3}', 422, "no task fits"),
        ("POST", "/v1/route", '{"a": 1e99999, "b": -Infinity}', 422, "no task fits"),
        ("POST", "/v1/route", '{"a": NaN}', 422, "no task fits"),
        ("POST", "/v1/route", '{"a": ' + "1" * 5000 + "}", 400, "invalid JSON in the request body"),
        ("POST", "/v1/route", '{"task": "sudoku", "puzzle": "12"}', 422, "not a valid sudoku problem"),
        ("POST", "/v1/route", '{"task": "nope", "x": 1}', 422, "unknown task 'nope'"),
        ("POST", "/v1/solve/molecule", '{"smiles": "C1CC"}', 422, "invalid SMILES 'C1CC'"),
        ("POST", "/v1/solve/sudoku", '{"smiles": "CCO"}', 422, "not a valid sudoku problem"),
        ("POST", "/v1/solve/nope", "{}", 404, "unknown task 'nope' (known tasks: arc, maze, molecule, sudoku)"),
        ("POST", "/v1/solve/arc", json.dumps({"train": [{"input": [[1] * 30] * 30, "output": [[1]]}],
                                              "test": [{"input": [[1] * 31] * 3}]}), 422, "test"),
        ("GET", "/v1/route", None, 405, "Method Not Allowed"),
        ("GET", "/nowhere", None, 404, "Not Found"),
    ],
)
def test_bad_requests_get_one_line_json_errors(server: Server, method, path, body, status, words):
    got, answer = server.request(method, path, body)
    assert got == status, answer
    assert set(answer) == {"error"} and words in answer["error"] and "\n" not in answer["error"]
    assert server.request("GET", "/healthz")[0] == 200


def test_no_fit_error_names_the_closest_tasks(server: Server):
    status, answer = server.post("/v1/route", {"puzzle": "12"})
    assert status == 422 and re.search(r"no task fits: .*\(closest: \w+ \d\.\d\d", answer["error"])


def test_a_body_over_the_limit_is_refused_without_a_declared_length(server: Server):
    import http.client

    chunk = b" " * 50_000
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(5)) + b"0\r\n\r\n"
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.putrequest("POST", "/v1/route")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.putheader("Content-Type", "application/json")
        conn.endheaders()
        try:
            conn.send(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = conn.getresponse()
        assert response.status == 413 and "larger than the limit" in json.loads(response.read())["error"]
    finally:
        conn.close()
    assert server.request("GET", "/healthz")[0] == 200


def test_concurrent_requests_share_batches_and_get_the_answers_they_get_alone(server: Server):
    from trm_hub.plugins import load_tasks

    sudoku = load_tasks()["sudoku"]
    problems = list(sudoku.routing_examples(12, 3)) + [json.loads(p.read_text()) for p in EXAMPLES]
    alone = [server.post("/v1/route", p) for p in problems]
    before = server.request("GET", "/healthz")[1]["batches"]
    with ThreadPoolExecutor(len(problems)) as pool:
        together = list(pool.map(lambda p: server.post("/v1/route", p), problems))
    after = server.request("GET", "/healthz")[1]["batches"]
    for (s1, a), (s2, b) in zip(alone, together):
        assert s1 == s2 == 200 and alike(a, b)
    grown = {int(size): count - before.get(size, 0) for size, count in after.items()}
    assert max(size for size, count in grown.items() if count > 0) > 1


@pytest.fixture
def broken_registry(tmp_path: Path) -> Path:
    """A user registry whose sudoku-4x4 entry expects another sha256 than its weights file has."""
    path = tmp_path / "registry.yaml"
    path.write_text(
        "tasks:\n  sudoku:\n    models:\n      sudoku-4x4:\n"
        "        weights: trm_hub_plugins.sudoku:weights/sudoku-4x4.safetensors\n"
        f"        sha256: '{'0' * 64}'\n"
    )
    return path


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopping_finishes_the_request_in_flight_and_exits_0(sig, broken_registry: Path):
    slow = Server("--batch-wait-ms", "1500", "--registry", str(broken_registry), "--device", "cpu")
    signalled = False
    try:
        status, health = slow.request("GET", "/healthz")
        assert "does not match the registry" in health["unavailable"]["sudoku/sudoku-4x4"]
        status, answer = slow.post("/v1/route", json.loads((ROOT / "plugins/sudoku/examples/sudoku4.json").read_text()))
        assert status == 500 and "does not match the registry" in answer["error"] and "\n" not in answer["error"]
        problem = json.loads((ROOT / "plugins/sudoku/examples/sudoku6.json").read_text())
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(slow.post, "/v1/route", problem)
            time.sleep(0.5)
            assert not pending.done()
            slow.proc.send_signal(sig)
            signalled = True
            status, answer = pending.result(timeout=60)
        assert status == 200 and answer["verified"] is True
    finally:
        code = slow.stop(None if signalled else signal.SIGTERM)  # one signal: a second during teardown kills
    assert code == 0, "".join(slow.log)
    assert any("Finished server process" in line for line in slow.log)


def chromium(url: str, *flags: str) -> str:
    """Headless Chromium on a URL (the page runs its scripts first); stdout."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=20000", *flags, url],
            capture_output=True, text=True, timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium browser installed (apt-get install chromium)")
@pytest.mark.parametrize("example, task, drawn", [
    ("sudoku9", "sudoku", 'class="given"'),
    ("maze15", "maze", 'class="path"'),
    ("arc_task", "arc", "attempt 1"),
    ("molecule", "molecule", "<svg"),
])
def test_the_page_draws_each_tasks_answer_in_a_real_browser(server: Server, tmp_path: Path, example, task, drawn):
    dom = chromium(f"{server.url}/?example={example}", "--dump-dom")
    assert f'data-answered="{task}"' in dom, dom[-3000:]
    assert drawn in dom and 'id="verified"' in dom and "verified: " in dom
    shot = tmp_path / f"{example}.png"
    chromium(f"{server.url}/?example={example}", "--window-size=1200,820", f"--screenshot={shot}")
    assert shot.stat().st_size > 10_000


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium browser installed (apt-get install chromium)")
def test_the_page_shows_an_error_plainly(server: Server):
    dom = chromium(f"{server.url}/?example=sudoku4&task=maze", "--dump-dom")
    assert 'id="error"' in dom and "422: not a valid maze problem" in dom
