"""Records per second of ``consolidate``, single-process and as a Ray Data step, on synthetic Summit records,
with the peak memory of each run: the proof that a million records consolidate in bounded memory.

    nice -n 19 python benchmarks/bench_consolidate.py                       # 10,000 records, both runs
    nice -n 19 python benchmarks/bench_consolidate.py --records 1000000 --runs single
    nice -n 19 python benchmarks/bench_consolidate.py --records 100000 --runs ray

Synthetic records look like the library's (``extract`` records of Summit results: participants with ISO
countries, a location, a year-less date resolved against the record's ``published``, an agreement, spans):
one event in three is reported by one article, the others by two to five, each naming a subset of the
leaders, some a bare delegation, a few spelling the place another way or giving no date. Three meetings
in ten are among 24 states with their real capitals (Kyiv spelled Kiev too), the others among all the
states ISO 3166 lists; a third of the meetings are in the host's capital, the others in one of its forty
other cities. Events are spread
over twenty years (about 45 a day at a million records), as a month of world news is. The records are
written to a temporary JSONL file first (not timed); each run reads it and writes the events to another.
The events of both runs are compared (their JSON, line for line) when both ran on the same records; the
number of events against the number generated says how well the synthetic events are recovered.

Peak memory: the process's peak resident set (``VmHWM``) for the single-process run, in a subprocess of
its own; for Ray, the driver's peak (the workers' and the object store's are Ray's, bounded by its spilling).
Results are appended to ``benchmarks/results/events_throughput.json`` (one entry per run) and the table
``events_throughput.md`` is rebuilt from all entries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pycountry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results"
JSON_OUT = RESULTS / "events_throughput.json"
MD_OUT = RESULTS / "events_throughput.md"

#: (name, alpha-2, alpha-3, capital) of the states meeting.
STATES: list[tuple[str, str, str, str]] = [
    ("Japan", "JP", "JPN", "Tokyo"),
    ("China", "CN", "CHN", "Beijing"),
    ("South Korea", "KR", "KOR", "Seoul"),
    ("France", "FR", "FRA", "Paris"),
    ("Germany", "DE", "DEU", "Berlin"),
    ("Ukraine", "UA", "UKR", "Kyiv"),
    ("Poland", "PL", "POL", "Warsaw"),
    ("Brazil", "BR", "BRA", "Brasilia"),
    ("India", "IN", "IND", "New Delhi"),
    ("Kenya", "KE", "KEN", "Nairobi"),
    ("Nigeria", "NG", "NGA", "Abuja"),
    ("Egypt", "EG", "EGY", "Cairo"),
    ("Mexico", "MX", "MEX", "Mexico City"),
    ("Canada", "CA", "CAN", "Ottawa"),
    ("Australia", "AU", "AUS", "Canberra"),
    ("Indonesia", "ID", "IDN", "Jakarta"),
    ("Turkey", "TR", "TUR", "Ankara"),
    ("Italy", "IT", "ITA", "Rome"),
    ("Spain", "ES", "ESP", "Madrid"),
    ("Argentina", "AR", "ARG", "Buenos Aires"),
    ("Chile", "CL", "CHL", "Santiago"),
    ("Peru", "PE", "PER", "Lima"),
    ("Vietnam", "VN", "VNM", "Hanoi"),
    ("Thailand", "TH", "THA", "Bangkok"),
]

#: Every state ISO 3166 lists, meeting in cities named after it (``Fran-12``): most meetings are of these.
WORLD: list[tuple[str, str, str, str]] = [
    (c.name, c.alpha_2, c.alpha_3, f"{c.name[:4]}-0") for c in pycountry.countries
]
#: Other spellings of some capitals, as articles write them.
ALIASES = {"Kyiv": "Kiev", "Beijing": "Peking", "Rome": "Roma"}
SUBJECTS = ["trade", "energy security", "climate finance", "border crossings", "grain exports", "port access",
            "visa rules", "rail link", "fisheries", "air defence", "chip supply", "debt relief"]  # fmt: skip
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]  # fmt: skip


def _span(rng: random.Random, length: int) -> dict[str, Any]:
    start = rng.randrange(0, 3000)
    return {"start": start, "end": start + length, "alignment": "exact", "score": 100.0}


def _person(rng: random.Random, state: tuple[str, str, str, str], leader: str, named: bool) -> dict[str, Any]:
    iso = {"name": state[0], "alpha2": state[1], "alpha3": state[2], "known": True}
    if not named:
        evidence = f"the {state[0]} delegation"
        return {"span": _span(rng, len(evidence)), "evidence": evidence, "name": None, "title": None,
                "country": state[0], "country_iso": iso}  # fmt: skip
    return {"span": _span(rng, len(leader)), "evidence": leader, "name": leader, "title": "President",
            "country": state[0], "country_iso": iso}  # fmt: skip


def synthetic(n: int, seed: int = 7, years: int = 20) -> tuple[list[str], int]:
    """``n`` JSONL records and the number of events they report."""
    rng = random.Random(seed)
    start = dt.date(2005, 1, 1)
    days = years * 365
    lines: list[str] = []
    events = 0
    while len(lines) < n:
        events += 1
        members = (
            rng.sample(STATES, rng.randint(2, 4))
            if rng.random() < 0.3
            else rng.sample(WORLD, rng.randint(2, 4))
        )
        # A third of meetings in the host's capital, the others in one of its forty other cities.
        city = members[0][3] if rng.random() < 1 / 3 else f"{members[0][0][:4]}-{rng.randrange(40)}"
        day = start + dt.timedelta(days=rng.randrange(days))
        leaders = [f"{rng.choice('ABCDEFGHKLMNPRST')}{rng.randrange(10**6)} {s[0][:4]}son" for s in members]
        subject = rng.choice(SUBJECTS)
        reports = 1 if rng.random() < 1 / 3 else rng.randint(2, 5)
        for _ in range(reports):
            if len(lines) >= n:
                break
            published = day + dt.timedelta(days=rng.randint(0, 2))
            chosen = [i for i in range(len(members)) if rng.random() < 0.7] or [0]
            people = [_person(rng, members[i], leaders[i], rng.random() > 0.15) for i in chosen]
            written = ALIASES.get(city, city) if rng.random() < 0.2 else city
            date = None
            if rng.random() > 0.1:
                text = f"{MONTHS[day.month - 1]} {day.day}"
                date = {"span": _span(rng, len(text)), "text": text, "year": None, "month": day.month,
                        "day": day.day, "iso": None, "year_from": None}  # fmt: skip
            agreement = f"agreed to cooperate on {subject}"
            place = f"in {written}"
            location = {"span": _span(rng, len(place)), "evidence": place, "city": written, "venue": None}
            status = rng.choice(["agreed", "planned"])
            deal = {
                "span": _span(rng, len(agreement)),
                "evidence": agreement,
                "status": status,
                "subject": f"cooperation on {subject}",
                "parties": [s[0] for s in members],
            }
            result = {
                "participants": people, "location": {**location, "country": None}, "date": date, "name": None,
                "host_country": members[0][0], "is_summit": True, "agreements": [deal], "disputes": [],
                "statements": [], "is_summit_reason": None,
            }  # fmt: skip
            record = {
                "id": f"a{len(lines)}",
                "status": "ok",
                "result": result,
                "published": published.isoformat(),
            }
            lines.append(json.dumps(record, ensure_ascii=False))
    rng.shuffle(lines)  # a corpus comes in any order
    return lines, events


def _peak_mb() -> float:
    """This process's peak resident set since it started (VmHWM): not ``ru_maxrss``, which on Linux keeps
    across exec the peak of the parent it was forked from (here, the parent holding the records)."""
    peak = _status_kb("VmHWM")
    return (peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def _status_kb(key: str) -> int | None:
    """A kB figure of this process from /proc/self/status (None where there is no such file or line)."""
    status = Path("/proc/self/status")
    for line in status.read_text().splitlines() if status.is_file() else []:
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    return None


class _PrivatePeak:
    """The peak of this process's private memory (``RssAnon``), sampled every 0.2 s. The resident set
    (``VmHWM``) of a Ray driver also counts the object store's shared pages it has read, which are Ray's
    memory (bounded by its spilling), not the driver's."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_kb = max(self.peak_kb, _status_kb("RssAnon") or 0)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024


def run_single(source: Path, out: Path) -> dict[str, Any]:
    from summit_extract import Summit
    from summit_extract._consolidating import consolidate_file

    private = _PrivatePeak()
    t0 = time.perf_counter()
    summary = consolidate_file(source, out, schema=Summit)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "events": summary.events, "records": summary.records, "peak_mb": _peak_mb(),
            "private_mb": private.stop()}  # fmt: skip


def run_ray(source: Path, out: Path) -> dict[str, Any]:
    import ray

    import summit_extract
    from summit_extract import Summit
    from summit_extract.ray import consolidate_dataset

    ray.init(
        num_cpus=os.cpu_count() or 1,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"py_modules": [summit_extract]},
    )
    ray.data.DataContext.get_current().enable_progress_bars = False
    private = _PrivatePeak()
    try:
        t0 = time.perf_counter()
        summary = consolidate_dataset(source, out, schema=Summit)
        seconds = time.perf_counter() - t0
    finally:
        ray.shutdown()
    return {"seconds": seconds, "events": summary.events, "records": summary.records, "peak_mb": _peak_mb(),
            "private_mb": private.stop()}  # fmt: skip


def _child(kind: str, source: Path, out: Path) -> dict[str, Any]:
    """One run in a fresh process, so that its peak memory is its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(source), str(out)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def markdown(entries: list[dict[str, Any]]) -> str:
    lines = [
        "## Events from many articles: consolidation throughput and memory",
        "",
        "Synthetic Summit records (`benchmarks/bench_consolidate.py`: 2-4 states an event, one event in "
        "three told by one article, the others by 2-5, some with a bare delegation, another spelling of the "
        "city or no date), consolidated from a JSONL file into an events file, single-process "
        "(`consolidate`) and as a Ray Data step on a local cluster "
        "(`summit_extract.ray.consolidate_dataset`), on this machine's 2 shared cores at `nice -n 19`. "
        "Peak memory is the peak resident set of the "
        "process (for Ray, of the driver).",
        "",
        "| records | run | seconds | records/s | events (generated) | peak memory | private memory "
        "| same events as single | when |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        same = {True: "yes", False: "NO", None: "-"}[e.get("same_as_single")]
        private = f"{e['private_mb']:,.0f} MB" if "private_mb" in e else "-"
        lines.append(
            f"| {e['records']:,} | {e['run']} | {e['seconds']:.0f} | {e['records'] / e['seconds']:,.0f} "
            f"| {e['events']:,} ({e['generated']:,}) | {e['peak_mb']:,.0f} MB | {private} | {same} "
            f"| {e['when']} |"
        )
    lines += [
        "",
        "Memory does not grow with the corpus: the sort holds one run of 50,000 records and the sweep "
        "the events still open (those of one date window); some 250 MB of it is the library itself "
        "(imports, the country-name index). Private memory is the peak of the process's own pages "
        "(`RssAnon`, sampled every 0.2 s): for the Ray driver it stays at 350-370 MB from 100,000 to "
        "1,000,000 records, while its resident set also counts the pages of Ray's object store it has read "
        "(shared memory, Ray's to bound by spilling), which is why that column grows. The 1,000,000-record "
        "Ray run of 01:41 UTC read the file in 16 MB blocks, a change tried to shrink that column and not "
        "kept: it gave the same events and the same peak. "
        '"Same events" compares the events file, byte for byte '
        "(sha256), with the single-process run on the same seeded records. On 2 shared cores the Ray step "
        "is slower than one process: its workers share the same two cores, and the sort moves every record "
        "through the object store; its reading, keying and sorting spread over the nodes of a real cluster, "
        "while the sweep stays on the driver. The synthetic events come out nearly whole up to 100,000 "
        "records; at a million (45 meetings a day, the denser part among 24 states), meetings of the same "
        "states in one city on the same day are one event to these rules, so some distinct ones merge.",
    ]
    largest = max((e["records"] for e in entries), default=0)
    if not any(e["run"] == "ray" and e["records"] == largest for e in entries):
        most = max((e["records"] for e in entries if e["run"] == "ray"), default=0)
        lines += [
            "",
            f"Not measured: the Ray step on {largest:,} records (on these 2 shared cores, about a quarter of "
            f"an hour more than there was time for); it was measured up to {most:,} records.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", nargs="+", choices=["single", "ray"], default=["single", "ray"])
    parser.add_argument("--child", nargs=3, metavar=("KIND", "SOURCE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, source, out = args.child
        runner = run_single if kind == "single" else run_ray
        print(json.dumps(runner(Path(source), Path(out))))
        return 0
    entries: list[dict[str, Any]] = json.loads(JSON_OUT.read_text()) if JSON_OUT.is_file() else []
    with tempfile.TemporaryDirectory(prefix="bench-consolidate-") as tmp:
        source = Path(tmp) / "records.jsonl"
        lines, generated = synthetic(args.records)
        with source.open("w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(line + "\n")
        del lines
        outputs: dict[str, Path] = {}
        for kind in args.runs:
            outputs[kind] = Path(tmp) / f"events-{kind}.jsonl"
            result = _child(kind, source, outputs[kind])
            digest = hashlib.sha256(outputs[kind].read_bytes()).hexdigest()
            same = None
            if kind == "ray":  # the records are the same for a size (seeded): compare with its single run
                singles = [e for e in entries if e["run"] == "single" and e["records"] == args.records]
                known = [e["sha256"] for e in singles if "sha256" in e]
                same = digest in known if known else None
            entry = {
                "records": args.records,
                "run": kind,
                "generated": generated,
                "same_as_single": same,
                "sha256": digest,
                "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                **{k: v for k, v in result.items() if k != "records"},
            }
            print(json.dumps(entry))
            entries.append(entry)
    RESULTS.mkdir(parents=True, exist_ok=True)
    JSON_OUT.write_text(json.dumps(entries, indent=1) + "\n")
    MD_OUT.write_text(markdown(entries), encoding="utf-8")
    print(markdown(entries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
