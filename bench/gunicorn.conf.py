"""gunicorn settings for the benchmark on this 2-core machine (PostgreSQL and wrk share it).

BENCH_SERVER chooses the worker: gunicorn-gthread (the default) or gunicorn-sync (granian, the third
model, is started by bench/run.py without this file). BENCH_WORKERS and BENCH_THREADS size it: 3
processes × 4 threads unless told, and one thread for sync workers (gunicorn would turn a sync
worker with more threads into gthread). `bench/run.py --only servers` compares sync 3 and 5, gthread
3 × 4 and 2 × 4 and granian 2 × 4 and 3 × 4 on the bare route, the vote and an edition page, and
names the winner in RESULTS.md ("Server models").

An earlier comparison on this machine at 16 connections (sync 2 and 3, gthread 2 × 2, 2 × 4, 3 × 4):
3 × 4 answered the bare route fastest (about 1,500 req/s against 770-1,100) and keeps HTTP
keep-alive, which the sync worker does not offer.
"""
import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:8800")
worker_class = "sync" if os.environ.get("BENCH_SERVER") == "gunicorn-sync" else "gthread"
workers = int(os.environ.get("BENCH_WORKERS") or 3)
threads = 1 if worker_class == "sync" else int(os.environ.get("BENCH_THREADS") or 4)
keepalive = 30
backlog = 2048
timeout = 60
accesslog = None
errorlog = "-"
loglevel = "warning"
preload_app = True  # import once, fork the workers
