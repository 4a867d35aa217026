"""gunicorn settings for the benchmark on this 2-core machine (PostgreSQL and wrk share it).

Compared on this machine at 16 connections: sync workers (2 and 3), gthread 2 × 2, 2 × 4 and 3 × 4.
3 processes × 4 threads answered the bare route fastest (about 1,500 req/s against 770-1,100) and
keeps HTTP keep-alive, which the sync worker does not offer. On the design page 2 × 4 came first
(55 req/s against 18-31), but the machine was busy with other work then and the pages are CPU-bound
on two cores whatever the split; BENCH_WORKERS and BENCH_THREADS override the choice.
"""
import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:8800")
workers = int(os.environ.get("BENCH_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("BENCH_THREADS", "4"))
keepalive = 30
backlog = 2048
timeout = 60
accesslog = None
errorlog = "-"
loglevel = "warning"
preload_app = True  # import once, fork the workers
