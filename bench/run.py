"""Run every benchmark and write bench/RESULTS.md (raw figures in bench/results/latest.json).

    python bench/run.py                      # full scale: seed, serve, load, close, upload, report
    python bench/run.py --scale small --duration 3
    python bench/run.py --reuse              # keep the seeded databases if their scale matches
    python bench/run.py --only http          # servers | http | drop | close | upload (repeatable)
    BENCH_SERVER=granian BENCH_WORKERS=2 python bench/run.py --only http   # the pages on another server

HTTP: the bench server serves bench/wsgi.py on 127.0.0.1 (BENCH_SERVER: gunicorn-sync, the
default since the 2026-12-02 comparison, or gunicorn-gthread, both with bench/gunicorn.conf.py; granian,
WSGI interface); wrk drives each page for a fixed
time at each concurrency; the bare route of the same server is the limit. Votes and checkouts are
POSTed by members logged in through session cookies made with the app's own session serializer and
CSRF tokens made by Flask-WTF (no password hashing in the loop). `servers` runs the bare route, the
vote and the edition page at 16 connections on each server model (SERVER_MODELS) and names the winner.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS_DIR = BENCH / "results"
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench import seed  # noqa: E402

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
GRANIAN = str(Path(PYTHON).with_name("granian"))
SITE_URL = os.environ.get("BENCH_DATABASE_URL", seed.DEFAULT_URL)
CLOSE_URL = os.environ.get("BENCH_CLOSE_DATABASE_URL", seed.DEFAULT_URL.replace("tirage_bench", "tirage_bench_close"))
UPLOAD_ROOT = str(RESULTS_DIR / "uploads")
BIND = os.environ.get("BENCH_BIND", "127.0.0.1:8800")
BASE = f"http://{BIND}"
SECRET_KEY = "bench-only-secret-key-0123456789abcdef"
# The bench server's settings. VOTE_RATE_LIMIT is raised: the default (120 a minute per member) is
# a defence against scripted voting, which is exactly what a load test is.
SERVER_ENV = {
    "TIRAGE_ENV": "development", "SECRET_KEY": SECRET_KEY, "PAYMENT_BACKEND": "sandbox",
    "VOTE_RATE_LIMIT": "1000000 per minute", "UPLOAD_ROOT": UPLOAD_ROOT, "STRIPE_SECRET_KEY": "",
    # One cache for every worker, as in production: Redis (the page cache lives there).
    "CACHE_REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"), "CACHE_KEY_PREFIX": "tirage-bench:",
}
PAGES = ("bare", "home", "gallery", "design", "vote_queue", "vote", "shop", "edition", "checkout")
# The anonymous pages, each compared with the bare route measured just before it (the same
# duration and connections): a machine whose speed drifts during the run (another tenant, the
# database's autovacuum after the seed) moves both figures of a pair alike.
PAIRED = ("home", "gallery", "design", "shop", "edition")
LABELS = {
    "bare": "bare route (the limit)", "home": "home", "gallery": "gallery, open round (48 a page)",
    "design": "design page", "vote_queue": "voting queue page", "vote": "vote (POST)", "shop": "shop",
    "edition": "edition page", "checkout": "checkout creation (sandbox)",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def libpq(url: str) -> str:
    return seed.libpq_url(url)


# ------------------------------------------------------------------ the machine

def sh(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    import importlib.metadata

    import gunicorn
    import PIL
    import sqlalchemy

    try:
        granian = importlib.metadata.version("granian")
    except importlib.metadata.PackageNotFoundError:
        granian = "not installed"

    try:  # `--only upload` needs no database: its figures do not wait for one to be seeded
        with psycopg.connect(libpq(SITE_URL)) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
            pg_settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                           for name in ("shared_buffers", "work_mem", "synchronous_commit", "fsync", "max_connections")}
    except psycopg.OperationalError:
        pg, pg_settings = "(not reached)", {}
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}", "distro": sh("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "python": platform.python_version(), "postgresql": pg, "postgresql_settings": pg_settings,
        "flask": importlib.metadata.version("flask"), "sqlalchemy": sqlalchemy.__version__,
        "gunicorn": gunicorn.__version__, "granian": granian, "pillow": PIL.__version__, "psycopg": psycopg.__version__,
        "wrk": sh("sh", "-c", "wrk -v 2>&1 | head -1"),
    }


# ------------------------------------------------------------------ datasets

def manifest_path(layout: str) -> Path:
    return RESULTS_DIR / f"dataset-{layout}.json"


def ensure_dataset(layout: str, url: str, scale: str, reuse: bool) -> dict:
    path = manifest_path(layout)
    if reuse and path.exists():
        manifest = json.loads(path.read_text())
        if manifest.get("scale") == scale and manifest.get("url") == url:
            log(f"reusing the {layout} dataset ({scale})")
            return manifest
    started = time.perf_counter()
    subprocess.run([PYTHON, str(BENCH / "seed.py"), "--scale", scale, "--layout", layout, "--database-url", url,
                    "--upload-root", UPLOAD_ROOT, "--manifest", str(path)], check=True, cwd=ROOT)
    manifest = json.loads(path.read_text())
    manifest["scale"] = scale
    manifest["seed_seconds"] = time.perf_counter() - started
    path.write_text(json.dumps(manifest))
    return manifest


# ------------------------------------------------------------------ the server

# The server models the bench knows (BENCH_SERVER), and their defaults (BENCH_WORKERS, BENCH_THREADS).
SERVER_KINDS = ("gunicorn-gthread", "gunicorn-sync", "granian")
# What `--only servers` compares (`--servers` or BENCH_SERVERS to change it): kind:workers[xthreads].
SERVER_MODELS = "gunicorn-sync:3,gunicorn-sync:5,gunicorn-gthread:3x4,gunicorn-gthread:2x4,granian:2x4,granian:3x4"


def server_model(kind: str | None = None, workers: int | None = None, threads: int | None = None) -> dict:
    """One way of serving the app: gunicorn's sync or gthread worker, or granian's WSGI interface
    (`threads` is then its --blocking-threads per worker). Unset parts come from BENCH_SERVER,
    BENCH_WORKERS and BENCH_THREADS, then 3 workers (× 4 threads where the model has threads)."""
    kind = kind or os.environ.get("BENCH_SERVER") or "gunicorn-sync"  # the winner of --only servers (RESULTS.md)
    if kind not in SERVER_KINDS:
        raise SystemExit(f"BENCH_SERVER={kind!r}: one of {', '.join(SERVER_KINDS)}")
    workers = workers or int(os.environ.get("BENCH_WORKERS") or 3)
    # A sync worker has one thread (gunicorn would quietly switch to gthread with more).
    threads = 1 if kind == "gunicorn-sync" else threads or int(os.environ.get("BENCH_THREADS") or 4)
    label = {"gunicorn-gthread": f"gunicorn gthread {workers} × {threads}",
             "gunicorn-sync": f"gunicorn sync {workers}",
             "granian": f"granian WSGI {workers} × {threads}"}[kind]
    return {"kind": kind, "workers": workers, "threads": threads, "label": label}


def server_models(spec: str) -> list[dict]:
    """`gunicorn-sync:3,granian:2x4` -> the models, in that order."""
    models = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        kind, _, size = item.partition(":")
        workers, _, threads = size.partition("x")
        models.append(server_model(kind, int(workers) if workers else None, int(threads) if threads else None))
    return models


class Server:
    def __init__(self, url: str, model: dict | None = None):
        self.model = model or server_model()
        self.env = dict(os.environ, **SERVER_ENV, DATABASE_URL=url, BENCH_BIND=BIND,
                        BENCH_SERVER=self.model["kind"], BENCH_WORKERS=str(self.model["workers"]),
                        BENCH_THREADS=str(self.model["threads"]))
        self.proc = None

    def command(self) -> list[str]:
        if self.model["kind"] == "granian":
            host, _, port = BIND.rpartition(":")
            return [GRANIAN, "--interface", "wsgi", "--host", host, "--port", port, "--http", "1", "--no-ws",
                    "--workers", str(self.model["workers"]), "--blocking-threads", str(self.model["threads"]),
                    "--backlog", "2048", "--log-level", "warning", "--no-access-log", "--working-dir", str(ROOT),
                    "bench.wsgi:app"]
        return [GUNICORN, "-c", str(BENCH / "gunicorn.conf.py"), "bench.wsgi:app"]  # the conf reads BENCH_SERVER

    def __enter__(self):
        flush_cache()
        name = self.model["label"]
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(BASE + "/bench/bare", timeout=2) as response:
                    if response.status == 200:
                        self.settle(deadline)
                        return self
            except OSError:
                time.sleep(0.3)
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited at start")
        self.__exit__()
        raise RuntimeError(f"{name} did not answer within 60 s")

    def settle(self, deadline: float) -> None:
        """Wait until every worker is up and idle: gunicorn forks its workers from the loaded app, but
        granian's workers each import it after the first one answers."""
        previous = self.cpu_seconds()
        while time.time() < deadline:
            time.sleep(0.5)
            now = self.cpu_seconds()
            if len(self.processes()) > self.model["workers"] and now - previous < 0.05:
                return
            previous = now

    def processes(self) -> list[int]:
        """The server's process and all its descendants (gunicorn's master and workers; granian's
        main process and the worker processes it spawns)."""
        parents = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
        tree, grew = {self.proc.pid}, True
        while grew:
            more = {pid for pid, ppid in parents.items() if ppid in tree} - tree
            tree |= more
            grew = bool(more)
        return sorted(tree)

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes (every thread of each): unlike wall-clock
        throughput, it hardly moves when something else on the machine competes for the cores."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.processes():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            try:  # anything of the server's session still alive (a worker left behind) goes too
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def flush_cache() -> None:
    """Each server starts with an empty shared cache (the page cache would outlive a re-seed)."""
    import redis

    client = redis.Redis.from_url(SERVER_ENV["CACHE_REDIS_URL"])
    keys = list(client.scan_iter(f"{SERVER_ENV['CACHE_KEY_PREFIX']}*"))
    if keys:
        client.delete(*keys)
    client.close()


def sessions(user_ids: list[int]) -> list[tuple[int, str, str]]:
    """(member id, session cookie, CSRF token) for each member, made the way a log-in makes them."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from app import create_app
    from app.accounts.models import User
    from app.extensions import db

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": SITE_URL, "SECRET_KEY": SECRET_KEY,
                                     "SERVER_NAME": None, "DEBUG": False, "UPLOAD_ROOT": UPLOAD_ROOT})
    serializer = app.session_interface.get_signing_serializer(app)
    out = []
    for uid in user_ids:
        # One request context (so one app context and one `g`) per member: Flask-WTF caches the
        # token in `g`, so a shared context would hand every member the first one's token.
        with app.test_request_context("/", headers={"User-Agent": "tirage-bench"},
                                      environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            login_user(db.session.get(User, uid))
            token = generate_csrf()
            out.append((uid, serializer.dumps(dict(session)), token))
    with app.app_context():
        db.engine.dispose()
    return out


def wrk(script: str, connections: int, duration: int, env: dict) -> dict:
    threads = min(connections, 2)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
           "-s", str(BENCH / "lua" / script), BASE + "/"]
    run_env = dict(os.environ, BENCH_LUA_DIR=str(BENCH / "lua"), BENCH_THREADS=str(threads), **env)
    done = subprocess.run(cmd, capture_output=True, text=True, env=run_env, timeout=duration + 120)
    line = next((line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no report:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.split(" ", 1)[1])
    seconds = result["duration_us"] / 1e6
    result["rps"] = result["requests"] / seconds
    result["ok_per_s"] = result["ok"] / seconds
    return result


def write_lines(path: Path, rows) -> str:
    path.write_text("".join("\t".join(str(v) for v in row) + "\n" for row in rows))
    return str(path)


def reset_reservations(manifest: dict) -> None:
    """Between checkout runs, give back what the previous run reserved (only the benchmark reserves)."""
    with psycopg.connect(libpq(SITE_URL)) as conn:
        conn.execute("UPDATE orders SET status = 'cancelled', closed_at = now() WHERE status = 'pending'")
        conn.execute("UPDATE edition_sizes SET reserved = 0 WHERE reserved > 0")


def http_benchmarks(manifest: dict, levels: list[int], duration: int, work: Path) -> dict:
    rnd = random.Random(1)
    pool = list(range(manifest["pool"][0], manifest["pool"][1] + 1))
    open_designs = manifest["open_round_designs"]
    with psycopg.connect(libpq(SITE_URL)) as conn:
        approved = [r[0] for r in conn.execute("SELECT id FROM designs WHERE status = 'approved' ORDER BY id")]
        editions = [r[0] for r in conn.execute("SELECT id FROM editions ORDER BY id")]
    log(f"making sessions for {len(pool)} members")
    logged_in = sessions(pool)
    cookie = {uid: c for uid, c, _ in logged_in}
    pages = max(1, -(-len(open_designs) // 48))
    inputs = {
        "bare": [("/bench/bare", "")],
        "home": [("/", "")],
        "gallery": [(f"/designs?page={p}", "") for p in range(1, pages + 1)],
        "design": [(f"/designs/{d}", "") for d in rnd.sample(approved, min(1000, len(approved)))],
        "vote_queue": [(f"/vote/{rnd.choice(open_designs)}", cookie[rnd.choice(pool)]) for _ in range(2000)],
        "shop": [("/shop", "")],
        "edition": [(f"/shop/editions/{e}", "") for e in editions],
    }
    files = {name: write_lines(work / f"{name}.tsv", rows) for name, rows in inputs.items()}
    # Voters: one disjoint slice of the pool per concurrency level, so every vote sent is a new row.
    slices = {level: logged_in[i::len(levels)] for i, level in enumerate(levels)}
    designs_file = write_lines(work / "designs.txt", [(d,) for d in open_designs])
    buyers_file = write_lines(work / "buyers.tsv", logged_in)

    results: dict = {name: {} for name in PAGES}
    acks_dir = work / "acks"
    acks_dir.mkdir(exist_ok=True)
    with Server(SITE_URL) as server:
        log("warming up")
        for name in inputs:
            wrk("get.lua", 4, 1, {"BENCH_INPUT": files[name]})
        for level in levels:
            for name in PAGES:
                warm_shared_pages({name: inputs[name]} if name in inputs else {})
                paired = wrk("get.lua", level, duration, {"BENCH_INPUT": files["bare"]}) if name in PAIRED else None
                cpu_before = server.cpu_seconds()
                if name == "vote":
                    env = {"BENCH_INPUT": write_lines(work / f"voters-{level}.tsv", slices[level]),
                           "BENCH_DESIGNS": designs_file, "BENCH_ACKS": str(acks_dir / f"c{level}")}
                    result = wrk("vote.lua", level, duration, env)
                elif name == "checkout":
                    reset_reservations(manifest)
                    result = wrk("checkout.lua", level, duration, {"BENCH_INPUT": buyers_file})
                else:
                    result = wrk("get.lua", level, duration, {"BENCH_INPUT": files[name]})
                result["server_cpu_ms"] = (server.cpu_seconds() - cpu_before) * 1000 / max(1, result["requests"])
                result["statements"] = result.get("statements", 0) / max(1, result["requests"])
                result["cache_hit_ratio"] = result.get("hits", 0) / max(1, result["requests"])
                if paired:
                    result["bare_rps"] = paired["rps"]
                results[name][level] = result
                log(f"c={level:<3} {name:<11} {result['rps']:8.1f} req/s  p50 {result['p50_us'] / 1000:7.1f} ms  "
                    f"p99 {result['p99_us'] / 1000:7.1f} ms  ok {result['ok']}  other {result['refused']}  "
                    f"errors {result['errors_connect'] + result['errors_read'] + result['errors_timeout']}  "
                    f"cpu {result['server_cpu_ms']:.1f} ms/req  {result['statements']:.1f} statements  "
                    f"cache hits {result['cache_hit_ratio']:.0%}")
    reset_reservations(manifest)
    integrity = vote_integrity(manifest, acks_dir)
    return {"pages": results, "integrity": integrity}


def warm_shared_pages(inputs: dict) -> None:
    """Every anonymous page of the inputs viewed once, as the pages of a drop have been by the time
    the crowd comes: what is measured is the page as most visitors get it (the cache column says
    how many did), not a first view of a thousand designs each within 10 s. Just before the page's
    own measurement, since a page is kept 60 s at most."""
    for name, rows in inputs.items():
        for path in dict.fromkeys(path for path, cookie in rows if not cookie and name != "bare"):
            with urllib.request.urlopen(BASE + path, timeout=10) as response:
                response.read()


def vote_integrity(manifest: dict, acks_dir: Path, voters: list[int] | None = None) -> dict:
    """Every acknowledged vote is in the database exactly once, with the score that was sent (among
    the votes of `voters` when given, else of the whole bench pool)."""
    acked: dict[tuple[int, int], int] = {}
    ack_count = 0
    unidentified = 0  # acknowledged without the X-Bench-Id echo: cannot be checked, so counted as a failure
    for path in acks_dir.glob("c*.*"):
        for line in path.read_text().split():
            if line.count(":") != 2:
                unidentified += 1
                continue
            voter, design, score = (int(x) for x in line.split(":"))
            acked[(voter, design)] = score
            ack_count += 1
    low, high = manifest["pool"]
    voters = voters if voters is not None else list(range(low, high + 1))
    with psycopg.connect(libpq(SITE_URL)) as conn:
        rows = conn.execute(
            "SELECT voter_id, design_id, score, count(*) OVER (PARTITION BY voter_id, design_id) FROM votes "
            "WHERE round_id = %s AND voter_id = ANY(%s)", (manifest["open_round"], voters)).fetchall()
        duplicates = conn.execute("SELECT count(*) FROM (SELECT 1 FROM votes GROUP BY design_id, voter_id "
                                  "HAVING count(*) > 1) d").fetchone()[0]
    stored = {(v, d): (s, n) for v, d, s, n in rows}
    missing = [k for k in acked if k not in stored]
    wrong = [k for k, s in acked.items() if k in stored and stored[k][0] != s]
    twice = [k for k, (_, n) in stored.items() if n != 1]
    return {"acknowledged": ack_count, "distinct_acknowledged": len(acked), "stored": len(stored),
            "missing": len(missing), "wrong_score": len(wrong), "stored_twice": len(twice) + duplicates,
            "stored_not_acknowledged": len(set(stored) - set(acked)), "unidentified": unidentified,
            "ok": not (missing or wrong or twice or duplicates or unidentified)}


# ------------------------------------------------------------------ server models

SERVER_PAGES = ("bare", "vote", "edition")


def delete_votes(manifest: dict, voters: list[int]) -> None:
    """The open round's votes of these members, so the next run's votes are all new rows (nothing in
    the database refers to a vote; tallies are computed from the votes themselves)."""
    with psycopg.connect(libpq(SITE_URL)) as conn:
        conn.execute("DELETE FROM votes WHERE round_id = %s AND voter_id = ANY(%s)", (manifest["open_round"], voters))


def servers_benchmark(manifest: dict, models: list[dict], connections: int, duration: int, work: Path) -> dict:
    """Each server model in turn on the same database: the bare route, the vote (POST) and the edition
    page (anonymous, from the shared page cache once rendered) at `connections` connections. Each
    model's votes come from its own slice of the bench pool, its votes of the open round deleted first,
    so every model writes new rows; every vote acknowledged is checked in the database afterwards.
    The slices' votes are deleted at the end, so what runs next finds the pool as it was seeded."""
    with psycopg.connect(libpq(SITE_URL)) as conn:
        editions = [r[0] for r in conn.execute("SELECT id FROM editions ORDER BY id")]
    pool = list(range(manifest["pool"][0], manifest["pool"][1] + 1))
    # Slice 0 warms every server up (its votes are updates after the first model); one slice per model.
    slices = [pool[i::len(models) + 1] for i in range(len(models) + 1)]
    log(f"making sessions for {len(pool)} members")
    logged_in = sessions(pool)
    files = {"bare": write_lines(work / "servers-bare.tsv", [("/bench/bare", "")]),
             "edition": write_lines(work / "servers-edition.tsv", [(f"/shop/editions/{e}", "") for e in editions])}
    designs_file = write_lines(work / "servers-designs.txt", [(d,) for d in manifest["open_round_designs"]])
    voters_files = [write_lines(work / f"servers-voters-{i}.tsv", logged_in[i::len(models) + 1])
                    for i in range(len(models) + 1)]
    out = []
    for i, model in enumerate(models, start=1):
        delete_votes(manifest, slices[i])
        acks_dir = work / f"servers-acks-{i}"
        acks_dir.mkdir()
        runs = {}
        log(f"server model {model['label']}")
        with Server(SITE_URL, model) as server:
            for name in ("bare", "edition"):
                wrk("get.lua", 4, 1, {"BENCH_INPUT": files[name]})
            wrk("vote.lua", 4, 1, {"BENCH_INPUT": voters_files[0], "BENCH_DESIGNS": designs_file,
                                   "BENCH_ACKS": str(work / f"servers-warm-{i}")})
            for name in SERVER_PAGES:
                cpu_before = server.cpu_seconds()
                if name == "vote":
                    result = wrk("vote.lua", connections, duration, {
                        "BENCH_INPUT": voters_files[i], "BENCH_DESIGNS": designs_file,
                        "BENCH_ACKS": str(acks_dir / f"c{connections}")})
                else:
                    result = wrk("get.lua", connections, duration, {"BENCH_INPUT": files[name]})
                result["server_cpu_ms"] = (server.cpu_seconds() - cpu_before) * 1000 / max(1, result["requests"])
                result["statements"] = result.get("statements", 0) / max(1, result["requests"])
                result["cache_hit_ratio"] = result.get("hits", 0) / max(1, result["requests"])
                runs[name] = result
                log(f"{model['label']:<24} {name:<8} {result['rps']:8.1f} req/s  ok {result['ok']}  "
                    f"p50 {result['p50_us'] / 1000:7.1f} ms  p99 {result['p99_us'] / 1000:7.1f} ms  "
                    f"other {result['refused']}  errors {result['errors_connect'] + result['errors_read'] + result['errors_timeout']}  "
                    f"cpu {result['server_cpu_ms']:.1f} ms/req  cache hits {result['cache_hit_ratio']:.0%}")
            processes = len(server.processes())
        integrity = vote_integrity(manifest, acks_dir, slices[i])
        out.append({**model, "processes": processes, "runs": runs, "integrity": integrity})
    delete_votes(manifest, pool)
    best = max(out, key=server_rank)
    return {"connections": connections, "duration": duration, "models": out, "winner": best["label"],
            "winner_model": {k: best[k] for k in ("kind", "workers", "threads", "label")}}


def server_rank(entry: dict) -> tuple:
    """The rule: most acknowledged votes a second at the compared concurrency, then the bare route's
    throughput (votes/s compared to the unit, so a tie is a tie and not noise in the decimals)."""
    return (round(entry["runs"]["vote"]["ok_per_s"]), entry["runs"]["bare"]["rps"])


# ------------------------------------------------------------------ the drop

def drop_benchmark(manifest: dict, shoppers: int, buyers: int, arrival: float) -> dict:
    """bench/drop.py against the server: one edition, many shoppers, stock checked after."""
    from bench.drop import run_drop

    with psycopg.connect(libpq(SITE_URL)) as conn:
        # The edition on sale with the least stock left that is still worth a sale.
        edition = conn.execute(
            "SELECT e.id FROM editions e JOIN edition_sizes s ON s.edition_id = e.id WHERE e.status = 'on_sale' "
            "GROUP BY e.id HAVING sum(s.quantity - s.reserved - s.sold) >= %s "
            "ORDER BY sum(s.quantity - s.reserved - s.sold), e.id LIMIT 1", (buyers,)).fetchone()
        if edition is None:
            raise RuntimeError("no edition on sale with stock for the drop")
        # A drop sells out: leave about one shirt per buyer, the rest held as if by earlier checkouts
        # (reset_reservations gives them back afterwards).
        conn.execute("UPDATE edition_sizes SET reserved = greatest(0, quantity - sold - ceil((quantity - sold) * %s::float "
                     "/ (SELECT sum(quantity - sold) FROM edition_sizes WHERE edition_id = %s))) WHERE edition_id = %s",
                     (buyers, edition[0], edition[0]))
        carts = conn.execute("SELECT user_id, edition_id, size, quantity, price_seen_cents FROM cart_lines").fetchall()
    low, high = manifest["pool"]
    members = list(range(max(low, high - buyers + 1), high + 1))
    log(f"the drop: {shoppers} shoppers on edition {edition[0]} within {arrival:.0f} s, {len(members)} buying")
    with Server(SITE_URL):
        result = run_drop(BASE, libpq(SITE_URL), edition[0], sessions(members), shoppers=shoppers, arrival=arrival)
    reset_reservations(manifest)
    with psycopg.connect(libpq(SITE_URL)) as conn:  # the checkout benchmark's carts, as seeded
        conn.execute("DELETE FROM cart_lines")
        with conn.cursor().copy("COPY cart_lines (user_id, edition_id, size, quantity, price_seen_cents) FROM STDIN") as copy:
            for row in carts:
                copy.write_row(row)
    log(f"the drop: {result}")
    return result


# ------------------------------------------------------------------ round close

# The limit: the one GROUP BY any tally needs (votes, score sum, "I'd buy it" count per design).
BARE_AGGREGATE = ("SELECT design_id, count(*), sum(score), count(*) FILTER (WHERE buy_intent) "
                  "FROM votes WHERE round_id = %s AND voided_at IS NULL GROUP BY design_id")


def close_benchmark(manifest: dict, repeat: int = 5) -> dict:
    """The close against the bare aggregate, measured in alternation (bare, close, bare, close...), so
    a busy moment of the machine falls on both; medians, the first of each left out (it warms)."""
    from app.extensions import db
    from app.rounds.lifecycle import close_round

    round_id = manifest["open_round"]
    app = seed.make_app(CLOSE_URL, UPLOAD_ROOT)
    bare, timings = [], []
    with psycopg.connect(libpq(CLOSE_URL)) as conn, app.app_context():
        votes, designs = conn.execute("SELECT count(*), count(DISTINCT design_id) FROM votes WHERE round_id = %s",
                                      (round_id,)).fetchone()
        conn.rollback()
        for attempt in range(repeat + 1):
            started = time.perf_counter()
            rows = conn.execute(BARE_AGGREGATE, (round_id,)).fetchall()
            bare.append(time.perf_counter() - started)
            conn.rollback()
            db.session.execute(sa.text("DELETE FROM round_results WHERE round_id = :r"), {"r": round_id})
            db.session.execute(sa.text("DELETE FROM audit_entries WHERE action = 'round.close'"))
            db.session.execute(sa.text("UPDATE rounds SET status = 'open', closed_at = NULL, mean_numerator = NULL, "
                                       "mean_denominator = NULL WHERE id = :r"), {"r": round_id})
            db.session.commit()
            db.session.expire_all()
            started = time.perf_counter()
            assert close_round(round_id, None)
            db.session.commit()
            timings.append(time.perf_counter() - started)
        results = db.session.execute(sa.text("SELECT count(*) FROM round_results WHERE round_id = :r"),
                                     {"r": round_id}).scalar()
        same, differing = same_ranking_as_the_published_rule(round_id)
        db.engine.dispose()
    bare, timings = bare[1:], timings[1:]
    return {"votes": votes, "designs": designs, "result_lines": results, "groups": len(rows),
            "same_as_python": same, "differing_lines": differing,
            "bare_seconds": statistics.median(bare), "bare_all": bare,
            "close_seconds": statistics.median(timings), "close_all": timings}


RESULT_COLUMNS = ("design_id", "rank", "score", "mean", "votes", "score_sum", "buy_count", "voters", "wilson",
                  "buy_by_size", "disqualified_at", "disqualified_reason", "is_winner")


def same_ranking_as_the_published_rule(round_id: int) -> tuple[bool, int]:
    """The close's lines (SQL, on PostgreSQL) against the published rule in Python (ranking.py, as
    SQLite computes them) on the same million votes, every line and column; then rolled back."""
    from app.extensions import db
    from app.rounds import tally
    from app.rounds.models import Round

    def lines():
        db.session.expire_all()
        return [tuple(getattr(r, c) for c in RESULT_COLUMNS) for r in tally.results(round_)]

    round_ = db.session.get(Round, round_id)
    closed = lines()
    tally.compute_results_python(round_)
    reference = lines()
    db.session.rollback()
    differing = sum(a != b for a, b in zip(closed, reference)) + abs(len(closed) - len(reference))
    return differing == 0 and len(closed) > 0, differing


# ------------------------------------------------------------------ upload

def upload_benchmark(rounds: int = 3) -> dict:
    """Issue 14's target: the rendering task against Pillow merely decoding the same file. The two are
    measured in alternation, `rounds` processes each (3 calls a process), so a busy moment of the
    machine falls on both; each figure is the median of the processes' medians. The pipeline alone
    (`process_print_file`, no app) is measured once for its memory."""
    artwork = RESULTS_DIR / "artwork-4500x5400.png"
    if not artwork.exists():
        subprocess.run([PYTHON, str(BENCH / "upload_probe.py"), "make", str(artwork)], check=True, cwd=ROOT)

    def probe(mode: str) -> dict:
        done = subprocess.run([PYTHON, str(BENCH / "upload_probe.py"), mode, str(artwork)], check=True,
                              capture_output=True, text=True, cwd=ROOT)
        return json.loads(done.stdout.strip().splitlines()[-1])

    runs = {"decode": [], "task": []}
    for _ in range(rounds):
        for mode in runs:
            runs[mode].append(probe(mode))
    out = {}
    for mode, results in runs.items():
        out[mode] = {**results[-1], "seconds": statistics.median(r["seconds"] for r in results),
                     "cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
                     "all_seconds": [t for r in results for t in r["all_seconds"]],
                     "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
                     "peak_increase_mb": max(r["peak_increase_mb"] for r in results)}
    out["pipeline"] = probe("pipeline")
    return out


# ------------------------------------------------------------------ the report

def fmt_ms(us: float) -> str:
    ms = us / 1000
    return f"{ms:.1f}" if ms < 100 else f"{ms:.0f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(data: dict) -> str:
    m = data["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` (`bench/run.py`) on {data['finished_at']}; raw figures in "
        "`bench/results/latest.json` (not committed). How to run and read them: `bench/README.md`.",
        "",
        "## The machine",
        "",
        f"- CPU: {m['cpu']}, **{m['cores']} cores**; memory {m['memory_gib']} GiB; {m['distro']} ({m['os']})",
        f"- Python {m['python']}, Flask {m['flask']}, SQLAlchemy {m['sqlalchemy']}, psycopg {m['psycopg']}, "
        f"gunicorn {m['gunicorn']}, granian {m.get('granian', '?')}, Pillow {m['pillow']}; {m['wrk']}",
        f"- PostgreSQL {m['postgresql']} on the same machine, stock settings: "
        + ", ".join(f"{k} {v}" for k, v in m["postgresql_settings"].items()),
        f"- Server of the pages under load and the drop: {server_line(data['server'])}; wrk on the same 2 cores "
        "over loopback (so the load tool takes its share of CPU).",
        f"- Load average (1, 5, 15 min) when the run started: {', '.join(f'{x:.1f}' for x in data['load_before'])}; "
        f"when it ended: {', '.join(f'{x:.1f}' for x in data['load_after'])} (above 0 before the start means "
        "something else was using the cores: the figures are then pessimistic).",
        f"- Bench server settings: debug off, sandbox payments, `VOTE_RATE_LIMIT={SERVER_ENV['VOTE_RATE_LIMIT']}` "
        "(raised from 120 per minute: the limit is there to stop scripted voting, which a load test is).",
        "",
    ]
    ds = data.get("dataset")
    if ds:
        c = ds["counts"]
        lines += [
            "## The data",
            "",
            f"Scale `{ds['scale']}`: {c['members']:,} members, {c['designs']:,} designs, {c['votes']:,} votes "
            f"(with \"I'd buy it\" and sizes), 12 published rounds and the open one "
            f"({len(ds['open_round_designs']):,} designs in the open round), {c['editions']} editions "
            f"({len(ds['on_sale_editions'])} on sale), {c['orders']:,} orders; seeded in {ds.get('seed_seconds', 0):.0f} s "
            "by `bench/seed.py` (COPY). The close benchmark uses a second database with one open round holding "
            "every design and vote.",
            "",
        ]
    http = data.get("http")
    if http:
        pages, levels = http["pages"], sorted({int(k) for v in http["pages"].values() for k in v})
        duration = data["duration"]
        lines += [
            "## Pages under load",
            "",
            _load_line(data, "http"),
            f"Each cell: requests/s, then p50 / p99 latency in ms, over {duration} s of wrk at that many "
            "connections; *ratio* is the page's throughput over the bare route's at the same concurrency (for the "
            "anonymous pages, the bare route measured just before that page: the figures of a pair meet the same "
            "moment of the machine; the bare route's row is its first run); "
            "*server CPU* is the server processes' CPU time per request (median over the levels; PostgreSQL's "
            "and wrk's CPU not included), the figure least disturbed by other load on the machine. "
            "Vote and checkout count only acknowledged requests (vote answered 200, order created 303).",
            "",
            "*statements* is the SQL statements per request and *cache* the share answered from the shared page "
            "cache (both averaged over every level).",
            "",
            "| page | " + " | ".join(f"c={lv} req/s | p50 / p99 | ratio" for lv in levels)
            + " | server CPU ms/req | statements | cache |",
            "|---|" + "---:|---:|---:|" * len(levels) + "---:|---:|---:|",
        ]
        for name in PAGES:
            cells = []
            for lv in levels:
                r = pages[name].get(lv) or pages[name].get(str(lv))
                bare = pages["bare"].get(lv) or pages["bare"].get(str(lv))
                if not r:
                    cells += ["", "", ""]
                    continue
                rate = r["ok_per_s"] if name in ("vote", "checkout") else r["rps"]
                cells += [f"{rate:,.0f}", f"{fmt_ms(r['p50_us'])} / {fmt_ms(r['p99_us'])}",
                          f"{rate / r.get('bare_rps', bare['rps']):.0%}"]
            cpu = [r.get("server_cpu_ms") for r in pages[name].values() if r.get("server_cpu_ms")]
            cells.append(f"{statistics.median(cpu):.1f}" if cpu else "")
            runs = list(pages[name].values())
            cells.append(f"{statistics.mean(r.get('statements', 0) for r in runs):.1f}")
            cells.append(f"{statistics.mean(r.get('cache_hit_ratio', 0) for r in runs):.0%}")
            lines.append(f"| {LABELS[name]} | " + " | ".join(cells) + " |")
        lines.append("")
        bad = {name: lv_r for name, lv_r in pages.items()
               if any((r.get("refused") if name != "checkout" else 0) or r["errors_timeout"] or r["errors_read"]
                      for r in lv_r.values())}
        if bad:
            lines += ["Requests not answered as expected: " + "; ".join(
                f"{name} c={lv}: {r['refused']} refused, {r['errors_timeout']} timeouts, {r['errors_read']} read errors"
                for name, lv_r in bad.items() for lv, r in lv_r.items()) + ".", ""]
        ck = pages.get("checkout", {})
        if ck:
            lines += ["Checkout: " + "; ".join(f"c={lv}: {r['ok']} orders created, {r['refused']} sent back to the cart"
                                                for lv, r in ck.items()) + ".", ""]
        i = http["integrity"]
        lines += [
            "### Vote integrity",
            "",
            f"{i['acknowledged']:,} votes acknowledged ({i['distinct_acknowledged']:,} distinct member-design pairs); "
            f"in the database: {i['missing']} missing, {i['wrong_score']} with another score, "
            f"{i['stored_twice']} stored twice; {i['stored_not_acknowledged']} stored but not acknowledged "
            "(requests still in flight when wrk stopped). "
            + ("**Every acknowledged vote is stored exactly once.**" if i["ok"] else "**INTEGRITY FAILURE.**"),
            "",
        ]
    lines += servers_section(data)
    drop = data.get("drop")
    if drop:
        lines += [
            "## The drop",
            "",
            _load_line(data, "drop"),
            f"`bench/drop.py`: {drop['shoppers']} shoppers arrive on edition {drop['edition']}'s page within "
            f"{drop['arrival_seconds']:.0f} s; {drop['buyers']} of them are members who add {drop['shirts_each']} "
            f"shirt(s) to their cart and press Checkout: {drop['buyers'] * drop['shirts_each']} shirts asked for, "
            f"{drop['stock_at_start']} left.",
            "",
            f"- Edition page as the shoppers saw it: p50 **{drop['page_p50_ms']:.1f} ms**, p99 **{drop['page_p99_ms']:.1f} ms** "
            f"(max {drop['page_max_ms']:.0f} ms); {drop['page_errors']} errors.",
            f"- Checkouts: **{drop['acknowledged']} acknowledged** (order made), {drop['sent_back']} sent back to the "
            f"cart (sold out), {drop['add_refused']} adds refused, {drop['errors']} errors; {drop['shirts_held']} shirts "
            "held by the new orders.",
            f"- Oversold sizes: **{drop['oversold_sizes']}**.",
            f"- Staleness of the shared page during the sale ({drop['page_reads']} anonymous reads against "
            f"{drop['db_reads']} database reads, {drop['stock_changes_seen']} stock changes seen): max "
            f"**{drop['staleness_max_s']:.2f} s**, p99 {drop['staleness_p99_s']:.2f} s.",
            "",
        ]
    close = data.get("close")
    if close:
        lines += [
            "## Closing a round",
            "",
            _load_line(data, "close"),
            f"`close_round` (tally, ranking, {close['result_lines']:,} result lines written, commit) on a round of "
            f"{close['votes']:,} votes over {close['designs']:,} designs: **{close['close_seconds']:.2f} s** "
            f"(runs: {', '.join(f'{t:.2f}' for t in close['close_all'])}); the bare aggregate "
            f"`{BARE_AGGREGATE % 'R'}`: **{close['bare_seconds']:.2f} s**; ratio "
            f"**{close['close_seconds'] / close['bare_seconds']:.2f}×**.",
            "",
        ]
        if "same_as_python" in close:
            lines += [("The lines written are **identical, every line and column**, to the published rule computed in "
                       "Python (ranking.py, SQLite's way) on the same votes." if close["same_as_python"] else
                       f"**{close['differing_lines']} lines differ** from the published rule computed in Python."), ""]
    up = data.get("upload")
    if up:
        d, t, p = up["decode"], up.get("task"), up["pipeline"]
        lines += [
            "## Uploading a print file",
            "",
            _load_line(data, "upload"),
            f"A 4500×5400 RGBA PNG ({d['bytes'] / 1e6:.1f} MB, made by `bench/upload_probe.py make`).",
            "",
            "| | time (median) | CPU (median) | peak resident memory | peak over the process baseline |",
            "|---|---:|---:|---:|---:|",
            f"| Pillow decode only (the limit) | {d['seconds']:.2f} s | {d.get('cpu_seconds', 0):.2f} s | {d['peak_rss_mb']:.0f} MB | {d['peak_increase_mb']:.0f} MB |",
        ]
        if t:
            lines.append(f"| rendering task (`render`: read, `process_print_file`, store, commit) | {t['seconds']:.2f} s | "
                         f"{t['cpu_seconds']:.2f} s | {t['peak_rss_mb']:.0f} MB | {t['peak_increase_mb']:.0f} MB |")
        lines += [
            f"| upload pipeline alone (`process_print_file`) | {p['seconds']:.2f} s | {p.get('cpu_seconds', 0):.2f} s | {p['peak_rss_mb']:.0f} MB | {p['peak_increase_mb']:.0f} MB |",
            "",
        ]
        if t:
            lines += [f"Ratio of the task to the decode {t['seconds'] / d['seconds']:.2f}× in time, "
                      f"{t['cpu_seconds'] / d['cpu_seconds']:.2f}× in CPU (decode and task measured in alternation, "
                      f"{len(d['all_seconds']) // 3} processes each). The first render in a fresh worker took {t['first_seconds']:.2f} s "
                      "(it also draws the blank shirt of the mockup, cached afterwards).", ""]
        else:
            lines += [f"Ratio {p['seconds'] / d['seconds']:.2f}×. The first upload in a fresh process took {p['first_seconds']:.2f} s "
                      "(it also draws the blank shirt of the mockup, cached afterwards).", ""]
    lines += targets(data)
    before = BENCH / "before.md"
    if before.exists():
        lines += ["", before.read_text().strip(), ""]
    notes = BENCH / "optimisations.md"
    if notes.exists():
        lines += ["", notes.read_text().strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def server_line(server: dict) -> str:
    """The header's line on the server the pages ran on (figures from before BENCH_SERVER: gthread)."""
    model = server if "label" in server else server_model("gunicorn-gthread", server["workers"], server["threads"])
    how = ("bench/gunicorn.conf.py" if model["kind"].startswith("gunicorn")
           else "`granian --interface wsgi`, --blocking-threads per worker")
    return f"{model['label']} ({how}, `BENCH_SERVER={model['kind']}`)"


def servers_section(data: dict) -> list[str]:
    servers = data.get("servers")
    if not servers:
        return []
    c = servers["connections"]
    lines = [
        "## Server models",
        "",
        _load_line(data, "servers"),
        f"The same app, database and pages under each server model in turn (`--only servers`), {servers['duration']} s "
        f"of wrk at {c} connections for each page: the bare route, the vote (POST, acknowledged votes only) and "
        "an edition page (anonymous, answered from the shared page cache once rendered). Each cell: requests/s, "
        "p50 / p99 latency in ms, and the server's CPU time per request (every process of the server: gunicorn's "
        "master and workers, granian's main process and workers). gunicorn's sync worker closes the connection "
        "after each answer (no keep-alive); gthread and granian keep it open.",
        "",
        "| server model | bare req/s | p50 / p99 | CPU ms/req | votes/s | p50 / p99 | CPU ms/req "
        "| edition req/s | p50 / p99 | CPU ms/req | cache |",
        "|---|" + "---:|" * 10,
    ]
    for entry in servers["models"]:
        cells = []
        for name in SERVER_PAGES:
            r = entry["runs"][name]
            rate = r["ok_per_s"] if name == "vote" else r["rps"]
            cells += [f"{rate:,.0f}", f"{fmt_ms(r['p50_us'])} / {fmt_ms(r['p99_us'])}", f"{r['server_cpu_ms']:.1f}"]
        cells.append(f"{entry['runs']['edition']['cache_hit_ratio']:.0%}")
        label = f"**{entry['label']}**" if entry["label"] == servers["winner"] else entry["label"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    bad = [(entry["label"], name, r) for entry in servers["models"] for name, r in entry["runs"].items()
           if r.get("refused") or r["errors_timeout"] or r["errors_read"] or r["errors_connect"]]
    if bad:
        lines += ["Requests not answered as expected: " + "; ".join(
            f"{label} {name}: {r['refused']} refused, {r['errors_connect']} connect errors, {r['errors_timeout']} "
            f"timeouts, {r['errors_read']} read errors" for label, name, r in bad) + ".", ""]
    failed = [f"{entry['label']} ({i['missing']} missing, {i['wrong_score']} with another score, "
              f"{i['stored_twice']} stored twice, {i.get('unidentified', 0)} acknowledged without their id)"
              for entry in servers["models"] for i in [entry["integrity"]] if not i["ok"]]
    acked = sum(entry["integrity"]["acknowledged"] for entry in servers["models"])
    lines += [
        f"Votes: {acked:,} acknowledged over the models, read back from the database: "
        + (f"**INTEGRITY FAILURE** under {', '.join(failed)}." if failed
           else "**every acknowledged vote stored exactly once**, under every model."),
        "",
    ]
    w = next(entry for entry in servers["models"] if entry["label"] == servers["winner"])
    model = servers["winner_model"]
    lines += [
        f"**Winner: {w['label']}** ({w['runs']['vote']['ok_per_s']:,.0f} acknowledged votes/s, bare route "
        f"{w['runs']['bare']['rps']:,.0f} req/s), by the rule: most acknowledged votes/s at c={c}, then the "
        f"bare route's req/s. To run the rest of the bench on it: `BENCH_SERVER={model['kind']} "
        f"BENCH_WORKERS={model['workers']}" + (f" BENCH_THREADS={model['threads']}" if model["kind"] != "gunicorn-sync" else "")
        + "`.",
        "",
    ]
    return lines


def _load_line(data: dict, section: str) -> str:
    load = data.get(f"{section}_load")
    if not load:
        return ""
    return (f"Load average when this part started: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min) "
            f"on {data['machine']['cores']} cores{' (other work was running)' if load[0] > 1.5 else ''}.\n")


def targets(data: dict) -> list[str]:
    rows = []
    http = data.get("http")
    if http:
        pages = http["pages"]
        bare = pages["bare"].get(16) or pages["bare"].get("16")
        for name in ("home", "gallery", "design", "edition", "shop"):
            r = pages[name].get(16) or pages[name].get("16")
            if r and bare:
                ratio = r["rps"] / r.get("bare_rps", bare["rps"])
                rows.append((f"{LABELS[name]}, anonymous: ≥ 80 % of the bare route's throughput at c=16",
                             f"{ratio:.0%}", verdict(ratio >= 0.8)))
                rows.append((f"{LABELS[name]}, anonymous: p99 ≤ 30 ms at c=16", f"{fmt_ms(r['p99_us'])} ms",
                             verdict(r["p99_us"] <= 30_000)))
        best = max((r["ok_per_s"] for r in pages["vote"].values()), default=0)
        rows.append(("≥ 1,000 acknowledged votes/s", f"{best:,.0f}/s at best", verdict(best >= 1000)))
        rows.append(("no acknowledged vote lost", "none lost" if http["integrity"]["ok"] else "LOST VOTES",
                     verdict(http["integrity"]["ok"])))
    drop = data.get("drop")
    if drop:
        rows.append(("the drop: 0 oversold", str(drop["oversold_sizes"]), verdict(drop["oversold_sizes"] == 0)))
        rows.append(("the drop: shared edition page never more than 2 s stale", f"{drop['staleness_max_s']:.2f} s",
                     verdict(drop["staleness_max_s"] <= 2)))
    close = data.get("close")
    if close:
        ratio = close["close_seconds"] / close["bare_seconds"]
        rows.append(("round close ≤ 3× the bare aggregate", f"{ratio:.2f}×", verdict(ratio <= 3)))
        rows.append(("round close under 5 s for a million votes", f"{close['close_seconds']:.2f} s",
                     verdict(close["close_seconds"] < 5)))
    up = data.get("upload")
    if up:
        task = up.get("task") or up["pipeline"]
        ratio = task["seconds"] / up["decode"]["seconds"]
        cpu = (f" (CPU {task['cpu_seconds'] / up['decode']['cpu_seconds']:.2f}×)"
               if "cpu_seconds" in task and "cpu_seconds" in up["decode"] else "")
        rows.append(("upload: the rendering task ≤ 3× a plain decode", f"{ratio:.2f}×{cpu}", verdict(ratio <= 3)))
        rows.append(("upload under 300 MB peak", f"{up['pipeline']['peak_rss_mb']:.0f} MB (process peak)",
                     verdict(up["pipeline"]["peak_rss_mb"] < 300)))
    if not rows:
        return []
    return ["## Targets", "", "| target | measured | |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]


# ------------------------------------------------------------------ main

def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "full"))
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", "10")))
    parser.add_argument("--connections", default=os.environ.get("BENCH_CONNECTIONS", "1,16,64"))
    parser.add_argument("--reuse", action="store_true", help="keep seeded databases whose scale matches")
    parser.add_argument("--only", action="append", choices=("servers", "http", "drop", "close", "upload"))
    parser.add_argument("--servers", default=os.environ.get("BENCH_SERVERS", SERVER_MODELS),
                        help="the server models --only servers compares, kind:workers[xthreads] (default %(default)s)")
    parser.add_argument("--server-connections", type=int, default=16, help="concurrency of the server comparison")
    parser.add_argument("--drop-shoppers", type=int, default=500)
    parser.add_argument("--drop-buyers", type=int, default=200)
    parser.add_argument("--drop-seconds", type=float, default=60.0)
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from the last run's figures")
    args = parser.parse_args(argv)
    if args.report_only:
        Path(args.output).write_text(report(json.loads((RESULTS_DIR / "latest.json").read_text())))
        return
    # A stopped run still stops its server (Server.__exit__ runs on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None and (not args.only or {"servers", "http"} & set(args.only)):
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench does it)")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    only = set(args.only or ("servers", "http", "drop", "close", "upload"))
    models = server_models(args.servers) if "servers" in only else []
    levels = [int(c) for c in args.connections.split(",")]
    started = time.perf_counter()
    data: dict = {}
    previous = RESULTS_DIR / "latest.json"
    if args.only and previous.exists():  # a partial run keeps the other sections of the last one
        data = {k: v for k, v in json.loads(previous.read_text()).items()
                if k.split("_")[0] in {"servers", "http", "drop", "close", "upload", "dataset", "duration"} - only
                or (k == "server" and "http" not in only)}
    data.update({"scale": args.scale, "load_before": os.getloadavg()})
    if "http" in only:
        data["duration"] = args.duration
    if "http" in only or "server" not in data:  # what the pages ran on: BENCH_SERVER, BENCH_WORKERS, BENCH_THREADS
        data["server"] = server_model()

    if only & {"servers", "http", "drop"}:
        data["dataset"] = ensure_dataset("site", SITE_URL, args.scale, args.reuse or "http" not in only)
    data["machine"] = machine()
    if "servers" in only:
        data["servers_load"] = os.getloadavg()
        with tempfile.TemporaryDirectory(prefix="tirage-bench-") as work:
            data["servers"] = servers_benchmark(data["dataset"], models, args.server_connections, args.duration, Path(work))
        log(f"server models: the winner is {data['servers']['winner']}")
    if "http" in only:
        data["http_load"] = os.getloadavg()
        with tempfile.TemporaryDirectory(prefix="tirage-bench-") as work:
            data["http"] = http_benchmarks(data["dataset"], levels, args.duration, Path(work))
        log(f"vote integrity: {data['http']['integrity']}")
    if "drop" in only:
        data["drop_load"] = os.getloadavg()
        data["drop"] = drop_benchmark(data["dataset"], args.drop_shoppers, args.drop_buyers, args.drop_seconds)
    if "close" in only:
        data["close_dataset"] = ensure_dataset("close", CLOSE_URL, args.scale, args.reuse)
        data["close_load"] = os.getloadavg()
        data["close"] = close_benchmark(data["close_dataset"])
        log(f"round close: {data['close']['close_seconds']:.2f} s; bare aggregate {data['close']['bare_seconds']:.2f} s")
    if "upload" in only:
        data["upload_load"] = os.getloadavg()
        data["upload"] = upload_benchmark()
        log(f"upload: task {data['upload']['task']['seconds']:.2f} s, decode {data['upload']['decode']['seconds']:.2f} s")
    data["load_after"] = os.getloadavg()
    data["finished_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    data["total_seconds"] = time.perf_counter() - started
    (RESULTS_DIR / "latest.json").write_text(json.dumps(data, indent=1, default=str))
    Path(args.output).write_text(report(data))
    log(f"wrote {args.output} in {data['total_seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
