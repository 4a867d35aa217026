"""gunicorn settings for the benchmark on this 2-core machine (PostgreSQL and wrk share it).

BENCH_SERVER chooses the worker: gunicorn-sync (the default) or gunicorn-gthread (granian, the third
model, is started by bench/run.py without this file). BENCH_WORKERS and BENCH_THREADS size it: 3
processes × 4 threads unless told, and one thread for sync workers (gunicorn would turn a sync
worker with more threads into gthread). `bench/run.py --only servers` compares sync 3 and 5, gthread
3 × 4 and 2 × 4 and granian 2 × 4 and 3 × 4 on the bare route, the vote and an edition page, and
names the winner in RESULTS.md ("Server models").

On 2026-12-02 (full scale, c=16) sync 3 came first: 383 acknowledged votes/s against 266-319 for the
others, the bare route 4,447 req/s (granian 5,657-5,698, but fewer votes), the cached edition page
2,017 req/s. A sync worker keeps no connection open (no keep-alive) and holds a slow client for the
whole answer, so in production it sits behind nginx, which buffers both ways (README, deployment).
An earlier comparison (2026-11, gthread 3 × 4 first on the bare route) predates the page cache.
"""
import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:8800")
worker_class = "gthread" if os.environ.get("BENCH_SERVER") == "gunicorn-gthread" else "sync"
workers = int(os.environ.get("BENCH_WORKERS") or 3)
threads = 1 if worker_class == "sync" else int(os.environ.get("BENCH_THREADS") or 4)
keepalive = 30
backlog = 2048
timeout = 60
accesslog = None
errorlog = "-"
loglevel = "warning"
preload_app = True  # import once, fork the workers
