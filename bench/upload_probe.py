"""Time and peak memory of one upload through the print-file pipeline, against Pillow merely decoding it.

    python bench/upload_probe.py make  FILE.png        # the 4500 x 5400 test artwork
    python bench/upload_probe.py decode FILE.png       # the limit: Image.open().load()
    python bench/upload_probe.py pipeline FILE.png     # app.designs.print_file.process_print_file
    python bench/upload_probe.py task FILE.png         # the rendering task: app.designs.rendering.render

`task` is what the worker does after the upload request stored the original (issue 14's target,
at most 3x `decode`): read the original from storage, `process_print_file`, store the renditions,
mark the design ready, record near-duplicates, commit; on a throwaway SQLite database and local
storage, each time for a design uploaded through the real service just before (not timed).

Each mode runs in its own process and prints one JSON line; `cpu_seconds` is the process's CPU
time for the call (every thread), steadier than the wall time on a busy machine. Peak memory is the process's resident
high-water mark (VmHWM), reset just before the measured call (/proc/self/clear_refs), so it is the
peak of that call on top of the process's baseline; both figures are reported.
"""
from __future__ import annotations

import io
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB -> MB
    raise KeyError(field)


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def measure(call, repeat: int, prepare=None) -> dict:
    """`call()` timed `repeat` times; or `call(prepare())`, with `prepare` untimed."""
    times, cpu, peaks, baselines = [], [], [], []
    for _ in range(repeat):
        prepared = () if prepare is None else (prepare(),)
        baseline = _status("VmRSS")
        _reset_peak()
        started, cpu_started = time.perf_counter(), time.process_time()
        result = call(*prepared)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        peaks.append(_status("VmHWM"))
        baselines.append(baseline)
        del result
    return {"seconds": statistics.median(times), "all_seconds": times, "cpu_seconds": statistics.median(cpu),
            "peak_rss_mb": max(peaks),
            "baseline_rss_mb": min(baselines), "peak_increase_mb": max(p - b for p, b in zip(peaks, baselines))}


def make(path: Path) -> None:
    """A print-ready design: transparent background, flat shapes, gradients, a textured area."""
    import random

    from PIL import Image, ImageDraw, ImageFilter

    width, height = 4500, 5400
    rnd = random.Random(7)
    art = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    gradient = Image.linear_gradient("L").resize((3600, 3600))
    disc = Image.new("L", (3600, 3600), 0)
    ImageDraw.Draw(disc).ellipse((0, 0, 3599, 3599), fill=255)
    sky = Image.merge("RGBA", (gradient, gradient.rotate(90), Image.new("L", (3600, 3600), 200), disc))
    art.alpha_composite(sky, (450, 300))
    draw = ImageDraw.Draw(art)
    for _ in range(160):
        x, y = rnd.randrange(400, 4100), rnd.randrange(300, 5000)
        r = rnd.randrange(20, 220)
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), 255)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    for i in range(40):
        draw.line([(300, 4000 + i * 30), (4200, 4100 + i * 25)], fill=(20, 20, 20, 255), width=9)
    grain = Image.effect_noise((1800, 1200), 40).filter(ImageFilter.GaussianBlur(1)).convert("RGB")
    art.paste(grain.convert("RGBA"), (1350, 3900))
    art.save(path, "PNG", dpi=(300, 300))


def task(data: bytes, repeat: int) -> dict:
    """The rendering task on a design uploaded just before (through the real service, untimed); the
    first render (untimed) also draws the blank shirt, as a worker's first render does."""
    import tempfile

    from app.designs import services as designs
    from app.designs.rendering import render
    from bench.request_probe import _app
    from tests.factories import UserFactory

    with tempfile.TemporaryDirectory() as tmp:
        app, db = _app(tmp)
        with app.test_request_context():
            designer = UserFactory()
            fields = designs.DesignFields(title="Probe", description="", tags="probe", alt_text="A probe",
                                          shirt_colour="white")

            def upload() -> int:
                design = designs.create_design(designer, fields, data, submit=False)
                db.session.commit()
                return design.id

            def render_task(design_id: int) -> str:
                outcome = render(design_id)  # as app.tasks.render_design runs it
                db.session.commit()
                assert outcome == "rendered", outcome
                return outcome

            design_id = upload()
            started = time.perf_counter()
            render_task(design_id)
            first = time.perf_counter() - started
            result = measure(render_task, repeat, prepare=upload)
            result["first_seconds"] = first
            return result


def main() -> None:
    mode, path = sys.argv[1], Path(sys.argv[2])
    if mode == "make":
        make(path)
        return
    data = path.read_bytes()
    if mode == "decode":
        from PIL import Image

        def decode():
            image = Image.open(io.BytesIO(data))
            image.load()
            return image

        decode()  # warm the codec
        result = measure(decode, 3)
    elif mode == "pipeline":
        from app.designs import print_file

        def pipeline():
            return print_file.process_print_file(data, "white")

        started = time.perf_counter()
        pipeline()  # the first upload of a process also draws the blank shirt (cached afterwards)
        first = time.perf_counter() - started
        result = measure(pipeline, 3)
        result["first_seconds"] = first
    elif mode == "task":
        result = task(data, 3)
    else:
        raise SystemExit(f"unknown mode {mode}")
    result.update(mode=mode, bytes=len(data))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
