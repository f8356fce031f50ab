"""Benchmark ctreport: start-up and query time on the bundled base, and scaling on synthetic bases.

Standard library only; run it with the interpreter ctreport is installed in:

    python benchmarks/run.py [--quick] [--rounds N] [--sizes 1000,10000,100000] [--seed S]

Part 1 times four commands in interleaved rounds (round-robin, starting command rotated each
round, after one untimed warm-up round) and reports medians: `ctreport partners --region europe
--json`, the equivalent `yq` query over the same YAML files, `python -c "import typer"` and
`python -c pass`.

Part 2 writes synthetic fact bases of N facts that pass `ctreport validate`, then times
`ctreport partners --data DIR --json` cold (first run) and warm (median of the next runs),
records the child's peak memory, and times PyYAML's CSafeLoader over the same files in-process
as a "parse only" baseline. See benchmarks/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ct_report.model import RELATIONS

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (1000, 10_000, 100_000)
QUICK_SIZES = (1000, 10_000)
DEFAULT_ROUNDS = 15
QUICK_ROUNDS = 5
WARM_RUNS = 3
FACTS_PER_FILE = 25
N_COUNTRIES = 200
FIRST_YEAR = 2004
N_YEARS = 20
YQ_FILTER = '.facts[]? | select(.kind=="partner" and (.partner=="BE" or .partner=="FR" or .partner=="ES"))'


# --------------------------------------------------------------------------------------------
# Running children
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_bytes: int | None
    returncode: int
    stdout: Path
    stderr: str


def run_child(cmd: Sequence[str], env: dict[str, str], stdout: Path) -> Run:
    """Run one command to completion: wall time, the child's own peak RSS, exit code, stderr."""
    with stdout.open("wb") as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        peak: int | None = None
        if hasattr(os, "wait4"):
            # wait4 gives this child's own rusage, so peaks of earlier children do not leak in
            # (as they would with RUSAGE_CHILDREN, which keeps the maximum over all of them).
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - start
            code = os.waitstatus_to_exitcode(status)
            proc.returncode = code
            peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        else:  # pragma: no cover - Windows
            code = proc.wait()
            seconds = time.perf_counter() - start
        err.seek(0)
        message = err.read().decode("utf-8", "replace")
    return Run(seconds, peak, code, stdout, message)


def child_env(work: Path, cache_dir: Path) -> dict[str, str]:
    """The caller's environment without fact-base overrides, with private cache folders.

    Bytecode is cached under `work` (PYTHONPYCACHEPREFIX) even when the caller sets
    PYTHONDONTWRITEBYTECODE: an installed ctreport has its .pyc files, and a checkout should
    not be timed recompiling every module on every run, nor get __pycache__ folders written into it.
    """
    drop = ("CTREPORT_DATA", "CTREPORT_ADD", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    env["CTREPORT_CACHE_DIR"] = str(cache_dir)
    return env


def ctreport_command() -> tuple[list[str], str]:
    """The ctreport executable beside this interpreter, else on PATH, else `python -m ct_report`."""
    name = "ctreport.exe" if os.name == "nt" else "ctreport"
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)], str(beside)
    found = shutil.which("ctreport")
    if found:
        return [found], found
    return [sys.executable, "-m", "ct_report"], f"{sys.executable} -m ct_report (no ctreport executable found)"


def bundled_data_dir() -> Path:
    """Ask the installed package where its bundled fact base is; fall back to the checkout's data/."""
    probe = "from ct_report.load import bundled_data_dir; print(bundled_data_dir())"
    try:
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
        path = Path(out.stdout.strip())
        if path.is_dir():
            return path
    except (OSError, subprocess.SubprocessError):
        pass
    return REPO / "data"


def json_rows(path: Path) -> int | None:
    """Number of items in a JSON array output, or None when it is not one."""
    import json

    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return len(value) if isinstance(value, list) else None


def jsonl_rows(path: Path) -> int:
    try:
        return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    except OSError:
        return 0


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A plain-text table; the first `left` columns are left-aligned, the rest right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def ratio(value: float | None, reference: float | None) -> str:
    if value is None or reference is None or reference <= 0:
        return "n/a"
    return f"{value / reference:.2f}x"


def say(text: str = "") -> None:
    print(text, flush=True)


def environment_header(ctreport: str) -> None:
    say(f"date:       {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    say(f"platform:   {platform.platform()}")
    say(f"python:     {platform.python_implementation()} {platform.python_version()} ({sys.executable})")
    say(f"cpus:       {os.cpu_count()}")
    say(f"ctreport:   {ctreport}")
    ignored = " (PYTHONDONTWRITEBYTECODE ignored)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    say(f"bytecode:   children cache .pyc files in the temporary folder{ignored}")
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        if commit:
            say(f"commit:     {commit}{' (modified)' if dirty else ''}")
    except (OSError, subprocess.SubprocessError):
        pass


# --------------------------------------------------------------------------------------------
# Part 1: start-up and query time on the bundled base
# --------------------------------------------------------------------------------------------


@dataclass
class Timed:
    label: str
    cmd: list[str]
    times: list[float] = field(default_factory=list)
    failure: str | None = None
    rows: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times and self.failure is None else None


def startup(ctreport: list[str], rounds: int, work: Path) -> None:
    say()
    say(f"== Start-up and query on the bundled base: {rounds} interleaved rounds (+1 untimed warm-up), medians ==")
    data = bundled_data_dir()
    say(f"fact base: {data}")
    env = child_env(work, work / "cache-startup")
    python = sys.executable
    commands = [
        Timed("ctreport partners --region europe --json", [*ctreport, "partners", "--region", "europe", "--json"])
    ]
    yq = shutil.which("yq")
    files = sorted(str(p) for p in (data / "facts").rglob("*.yaml"))
    if yq is None:
        say("note: yq not found on PATH; the yq row is skipped")
    else:
        commands.append(Timed(f"yq -c '<partner BE|FR|ES>' ({len(files)} files)", [yq, "-c", YQ_FILTER, *files]))
    commands.append(Timed('python -c "import typer"', [python, "-c", "import typer"]))
    commands.append(Timed("python -c pass", [python, "-c", "pass"]))
    out = work / "startup.out"

    for round_number in range(rounds + 1):
        shift = round_number % len(commands)
        for item in commands[shift:] + commands[:shift]:
            if item.failure is not None:
                continue
            run = run_child(item.cmd, env, out)
            if run.returncode != 0:
                item.failure = f"exit {run.returncode}: {run.stderr.strip()[:300]}"
                continue
            if round_number == 0:  # warm-up: page cache, .pyc files; also count the answer once
                if item.label.startswith("ctreport"):
                    item.rows = f"{json_rows(out)} rows"
                elif item.label.startswith("yq"):
                    item.rows = f"{jsonl_rows(out)} facts"
                continue
            item.times.append(run.seconds)

    by_label = {c.label: c for c in commands}
    typer_median = by_label['python -c "import typer"'].median
    yq_item = next((c for c in commands if c.label.startswith("yq")), None)
    yq_median = yq_item.median if yq_item else None
    rows = []
    for item in commands:
        if item.median is None:
            rows.append([item.label, "failed", "", "", "", item.rows])
            continue
        rows.append(
            [
                item.label,
                f"{item.median * 1000:.1f}",
                f"{min(item.times) * 1000:.1f}",
                ratio(item.median, typer_median),
                ratio(item.median, yq_median),
                item.rows,
            ]
        )
    say(table(["command", "median ms", "min ms", "vs import typer", "vs yq", "output"], rows))
    for item in commands:
        if item.failure:
            say(f"note: {item.label} failed: {item.failure}")
    if yq_item is not None and yq_item.median is not None:
        say(
            "note: ctreport --region europe also lists organisations whose scope lies in Europe; "
            "the yq filter matches the country codes BE, FR and ES only."
        )


# --------------------------------------------------------------------------------------------
# Synthetic fact bases
# --------------------------------------------------------------------------------------------

EN_WORDS = (
    "authorities security services government police officials intelligence cooperation regional "
    "international partners operations cells networks border control counterterrorism strategy "
    "prevention training judicial investigations prosecutions financing monitoring capacity "
    "programmes legislation reforms community outreach extremism recruitment threats attacks "
    "vigilance measures agencies ministry courts prisons rehabilitation information sharing"
).split()
AR_WORDS = (
    "السلطات الأمنية الحكومة الشرطة التعاون الإقليمي الدولي الشركاء عمليات خلايا شبكات الحدود "
    "مكافحة الإرهاب استراتيجية الوقاية التدريب القضاء التحقيقات التمويل المراقبة القدرات البرامج "
    "التشريعات الإصلاحات المجتمع التطرف التجنيد التهديدات الهجمات اليقظة التدابير الوزارة"
).split()
SYLLABLES = "ba da ka la ma na ra sa ta va lo mi ne ri so tu al an ar el en is on or ur ia".split()
# Relation names come from the model (RELATIONS), so the generated bases follow the schema.
QUALIFIERS = ("exact", "at-least", "more-than", "about", "reportedly")
# One file's facts, in order; a file with fewer facts takes the first ones.
FILE_KINDS = (
    "assessment",
    "strategy",
    "threat",
    "incidents",
    "arrests",
    "partner",
    "partner",
    "financing",
    "cve",
    "capacity",
    "partner",
    "partner",
    "arrests",
    "threat",
    "financing",
    "partner",
    "capacity",
    "cve",
    "partner",
    "assessment",
    "partner",
    "financing",
    "capacity",
    "strategy",
    "partner",
)
CRT_REGIONS = (
    ("africa", "Africa", "أفريقيا"),
    ("east-asia-and-pacific", "East Asia and Pacific", "شرق آسيا والمحيط الهادئ"),
    ("europe", "Europe", "أوروبا"),
    ("middle-east-and-north-africa", "Middle East and North Africa", "الشرق الأوسط وشمال أفريقيا"),
    ("south-and-central-asia", "South and Central Asia", "جنوب ووسط آسيا"),
    ("western-hemisphere", "Western Hemisphere", "نصف الكرة الغربي"),
)
# (id, code, parent, English name, CRT chapter of its countries); parent None means the world.
M49_REGIONS = (
    ("africa", "002", None, "Africa", None),
    ("americas", "019", None, "Americas", None),
    ("asia", "142", None, "Asia", None),
    ("europe", "150", None, "Europe", None),
    ("oceania", "009", None, "Oceania", None),
    ("northern-africa", "015", "africa", "Northern Africa", "middle-east-and-north-africa"),
    ("western-africa", "011", "africa", "Western Africa", "africa"),
    ("eastern-africa", "014", "africa", "Eastern Africa", "africa"),
    ("latin-america-and-the-caribbean", "419", "americas", "Latin America and the Caribbean", "western-hemisphere"),
    ("northern-america", "021", "americas", "Northern America", "western-hemisphere"),
    ("central-asia", "143", "asia", "Central Asia", "south-and-central-asia"),
    ("south-eastern-asia", "035", "asia", "South-eastern Asia", "east-asia-and-pacific"),
    ("western-asia", "145", "asia", "Western Asia", "middle-east-and-north-africa"),
    ("western-europe", "155", "europe", "Western Europe", "europe"),
    ("southern-europe", "039", "europe", "Southern Europe", "europe"),
    ("eastern-europe", "151", "europe", "Eastern Europe", "europe"),
    ("australia-and-new-zealand", "053", "oceania", "Australia and New Zealand", "east-asia-and-pacific"),
)
M49_LEAVES = {r[0]: r[4] for r in M49_REGIONS if r[4] is not None}
SHARED_ENTITY_KINDS = ("forum", "partnership", "exercise", "coalition", "organisation")


@dataclass(frozen=True)
class Country:
    code: str
    alpha3: str
    en: str
    ar: str
    crt: str
    m49: str


@dataclass
class Generated:
    root: Path
    facts: int
    yaml_files: list[Path]
    yaml_bytes: int
    seconds: float


def sentence(rng: random.Random, low: int = 9, high: int = 18) -> str:
    words = rng.choices(EN_WORDS, k=rng.randint(low, high))
    return " ".join(words).capitalize() + "."


def arabic(rng: random.Random, low: int = 8, high: int = 22) -> str:
    return " ".join(rng.choices(AR_WORDS, k=rng.randint(low, high)))


def make_countries(rng: random.Random) -> list[Country]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    # NO and ON would be read by YAML 1.1 as booleans unless quoted; leave them out.
    codes = rng.sample([a + b for a in letters for b in letters if a + b not in ("NO", "ON")], N_COUNTRIES)
    names: set[str] = set()
    countries: list[Country] = []
    for code in codes:
        name = ""
        while not name or name in names:
            name = "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))).capitalize() + rng.choice(("ia", "land", "ra"))
        names.add(name)
        leaf = rng.choice(sorted(M49_LEAVES))
        countries.append(
            Country(
                code=code,
                alpha3=code + letters[len(countries) % 26],
                en=name,
                ar="جمهورية " + rng.choice(AR_WORDS),
                crt=M49_LEAVES[leaf],
                m49=leaf,
            )
        )
    return countries


def shared_files(countries: list[Country], rng: random.Random) -> dict[str, str]:
    regions = ["# Synthetic fact base for benchmarks: regions.", "regions:"]
    for ident, en, ar in CRT_REGIONS:
        regions.append(f'  - {{id: "crt:{ident}", scheme: crt, name: {{en: {en}, ar: {ar}}}}}')
    regions.append('  - {id: "m49:world", scheme: m49, code: "001", name: {en: World, ar: العالم}, aliases: [global]}')
    for ident, code, parent, en, _ in M49_REGIONS:
        regions.append(
            f'  - {{id: "m49:{ident}", scheme: m49, code: "{code}", parent: "m49:{parent or "world"}", name: {{en: {en}}}}}'
        )

    lines = ["# Synthetic countries: made-up codes and names.", "countries:"]
    for c in countries:
        lines.append(
            f"  - {{code: {c.code}, alpha3: {c.alpha3}, name: {{en: {c.en}, ar: {c.ar}}}, "
            f'regions: ["crt:{c.crt}", "m49:{c.m49}"]}}'
        )

    entities = ["# Synthetic organisations, forums, financing bodies and national institutions.", "entities:"]
    for kind in SHARED_ENTITY_KINDS:
        for i in range(1, 5):
            scope = rng.choice(
                ["m49:world", "m49:africa", "m49:europe", "m49:asia", "crt:middle-east-and-north-africa"]
            )
            entities += [
                f"  - id: {kind}-{i}",
                f"    kind: {kind}",
                f"    name: {{en: Synthetic {kind} number {i}, ar: {rng.choice(AR_WORDS)} {i}}}",
                f"    acronym: S{kind[:2].upper()}{i}",
                f'    scope: ["{scope}"]',
            ]
    for i in range(1, 7):
        entities += [
            f"  - id: finance-body-{i}",
            "    kind: financing-body",
            f"    name: {{en: Synthetic Financial Action Task Force {i}}}",
            f"    acronym: SFATF{i}",
            '    scope: ["m49:world"]',
        ]
    for c in countries:
        entities += [
            f"  - id: inst-{c.code.lower()}",
            "    kind: institution",
            f"    name: {{en: National counter-extremism council of {c.en}, ar: المجلس الوطني {c.ar}}}",
            f"    country: {c.code}",
        ]

    editions = ["# Synthetic editions: one per covered year.", "editions:"]
    for year in range(FIRST_YEAR, FIRST_YEAR + N_YEARS):
        editions += [
            f"  - id: crt-{year}",
            f"    title: Country Reports on Terrorism {year}",
            f"    covers: {year}",
            "    publisher: US Department of State, Bureau of Counterterrorism",
            f'    published: "{year + 1}-06-{rng.randint(1, 28):02d}"',
        ]
    return {
        "regions.yaml": "\n".join(regions) + "\n",
        "countries.yaml": "\n".join(lines) + "\n",
        "entities.yaml": "\n".join(entities) + "\n",
        "editions.yaml": "\n".join(editions) + "\n",
    }


def fact_file(
    country: Country, year: int, n_facts: int, countries: list[Country], rng: random.Random
) -> tuple[str, str]:
    """One country-year file and the Arabic source text its quotes come from."""
    cc = country.code.lower()
    report, press_ar, press_en = f"crt-{year}-{cc}", f"press-ar-{year}-{cc}", f"press-en-{year}-{cc}"
    out = [
        f"# Synthetic fact base for benchmarks: {country.en} in the Country Reports on Terrorism {year}.",
        f"country: {country.code}",
        f"year: {year}",
        f"edition: crt-{year}",
        "",
        "sources:",
        f"  - id: {report}",
        "    kind: report",
        f'    title: "Country Reports on Terrorism {year}: {country.en}"',
        "    publisher: US Department of State, Bureau of Counterterrorism",
        "    language: en",
        f"    edition: crt-{year}",
        f"    url: https://example.org/reports/crt-{year}/{cc}/",
        f"  - id: {press_ar}",
        "    kind: press",
        f"    title: Arabic news article on the CRT {year} {country.en} chapter",
        "    language: ar",
        f"    edition: crt-{year}",
        f"    summarises: {report}",
        f"    text: texts/{year}/{country.code}.ar.txt",
        "    note: Synthetic; the quotes below appear verbatim in the shipped text.",
        f"  - id: {press_en}",
        "    kind: press",
        f"    title: English news article on the CRT {year} {country.en} chapter",
        "    publisher: Synthetic Daily",
        "    language: en",
        f'    date: "{year + 1}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"',
        f"    edition: crt-{year}",
        f"    summarises: {report}",
        f"    url: https://example.org/news/{year}/{cc}",
        "",
        "facts:",
    ]
    quotes: list[str] = []
    earlier_arrests: list[str] = []
    for i in range(n_facts):
        kind = FILE_KINDS[i % len(FILE_KINDS)]
        ident = f"{cc}-{year}-{kind}-{i + 1}"
        with_quote = rng.random() < 0.8
        out += [f"  - id: {ident}", f"    kind: {kind}", f"    source: {press_ar if with_quote else report}"]
        if rng.random() < 0.15:
            out.append(f"    corroborated_by: [{press_en}]")
        out.append(f"    statement: {sentence(rng)}")
        if with_quote:
            quote = arabic(rng)
            quotes.append(quote)
            out.append(f'    quote: "{quote}"')
        if rng.random() < 0.05:
            out.append(f"    note: {sentence(rng, 6, 12)}")
        if kind == "partner":
            if rng.random() < 0.6:
                # Partners concentrate on a few big ones, as in the real reports, plus a long tail.
                partner = rng.choice([c for c in countries[:8] if c is not country] + [rng.choice(countries)]).code
            else:
                partner = f"{rng.choice(SHARED_ENTITY_KINDS)}-{rng.randint(1, 4)}"
            out += [f"    partner: {partner}", f"    relation: {rng.choice(RELATIONS)}"]
            if rng.random() < 0.3:
                out.append(f"    detail: {sentence(rng, 3, 7).rstrip('.').lower()}")
            if rng.random() < 0.1:
                out.append(f"    alongside: [{rng.choice(countries).code}]")
        elif kind == "arrests":
            out.append(f"    arrested: {{value: {rng.randint(1, 900)}, qualifier: {rng.choice(QUALIFIERS)}}}")
            if rng.random() < 0.7:
                out.append(f"    operations: {{value: {rng.randint(1, 60)}, qualifier: exact}}")
            if rng.random() < 0.4:
                out.append(f"    cells: {{value: {rng.randint(1, 20)}, qualifier: about}}")
            if rng.random() < 0.5:
                out.append("    targets: [public buildings, public figures, security services]")
            if rng.random() < 0.3:
                out.append("    comparison: lower than in the years before")
            if earlier_arrests and rng.random() < 0.3:
                out.append(f"    conflicts_with: [{earlier_arrests[-1]}]")
            earlier_arrests.append(ident)
        elif kind == "incidents":
            out.append(f"    count: {{value: {rng.randint(0, 40)}, qualifier: {rng.choice(QUALIFIERS)}}}")
            if rng.random() < 0.5:
                out += [
                    "    events:",
                    f"      - description: {sentence(rng, 5, 10)}",
                    f'        date: "{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"',
                    f"        place: {rng.choice(SYLLABLES).capitalize()}ville",
                ]
        elif kind == "financing":
            holder = rng.choice(("state", "fiu"))
            out += [f"    body: finance-body-{rng.randint(1, 6)}", f"    holder: {holder}", "    relation: member"]
        elif kind == "cve" and rng.random() < 0.6:
            out.append(f"    institution: inst-{cc}")
        out.append("")
    text = f"نص مقال صحفي اصطناعي عن {country.ar} {year}\n\n" + "\n\n".join(quotes) + "\n"
    return "\n".join(out), text


def generate(root: Path, n_facts: int, seed: int) -> Generated:
    """Write a fact base of `n_facts` facts under `root`: shared files plus country-year files."""
    start = time.perf_counter()
    rng = random.Random(seed)
    countries = make_countries(rng)
    root.mkdir(parents=True, exist_ok=True)
    yaml_files: list[Path] = []
    total = 0
    for name, text in shared_files(countries, rng).items():
        path = root / name
        data = text.encode("utf-8")
        path.write_bytes(data)
        yaml_files.append(path)
        total += len(data)
    pairs = [(year, c) for year in range(FIRST_YEAR, FIRST_YEAR + N_YEARS) for c in countries]
    rng.shuffle(pairs)
    n_files = -(-n_facts // FACTS_PER_FILE)
    if n_files > len(pairs):
        raise SystemExit(f"{n_facts} facts need more than {len(pairs)} country-years of {FACTS_PER_FILE} facts")
    left = n_facts
    made_dirs: set[Path] = set()
    for year, country in sorted(pairs[:n_files], key=lambda p: (p[0], p[1].code)):
        count = min(FACTS_PER_FILE, left)
        left -= count
        yaml_text, source_text = fact_file(country, year, count, countries, rng)
        for folder in (root / "facts" / str(year), root / "texts" / str(year)):
            if folder not in made_dirs:
                folder.mkdir(parents=True, exist_ok=True)
                made_dirs.add(folder)
        path = root / "facts" / str(year) / f"{country.code}.yaml"
        data = yaml_text.encode("utf-8")
        path.write_bytes(data)
        (root / "texts" / str(year) / f"{country.code}.ar.txt").write_text(source_text, encoding="utf-8")
        yaml_files.append(path)
        total += len(data)
    return Generated(root, n_facts, yaml_files, total, time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# Part 2: scaling
# --------------------------------------------------------------------------------------------


def parse_only(files: list[Path]) -> float | None:
    """Seconds for PyYAML's CSafeLoader over the files (read included); None without libyaml."""
    try:
        yaml: Any = importlib.import_module("yaml")  # lazily: only this baseline needs PyYAML
    except ImportError:
        return None
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return None
    start = time.perf_counter()
    for path in files:
        yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return time.perf_counter() - start


def validate_once(ctreport: list[str], base: Generated, work: Path) -> None:
    run = run_child(
        [*ctreport, "validate", str(base.root)], child_env(work, work / "cache-validate"), work / "validate.out"
    )
    if run.returncode != 0 or "ok:" not in run.stderr:
        lines = run.stderr.strip().splitlines()
        shown = "\n".join(lines[:20]) + (f"\n... {len(lines) - 20} more lines" if len(lines) > 20 else "")
        raise SystemExit(f"synthetic base of {base.facts} facts does not validate (exit {run.returncode}):\n{shown}")
    say(f"validate {base.facts} facts: {run.stderr.strip()} ({run.seconds:.2f} s)")


def scaling(ctreport: list[str], sizes: list[int], seed: int, work: Path) -> None:
    say()
    say(f"== Scaling on synthetic fact bases (seed {seed}; warm = median of {WARM_RUNS} runs after the cold one) ==")
    # Untimed: fills the bytecode cache, so that the first cold run does not also compile ctreport.
    run_child([*ctreport, "partners", "--json"], child_env(work, work / "cache-bundled"), work / "bundled.out")
    rows = []
    for index, n in enumerate(sizes):
        base = generate(work / f"base-{n}", n, seed * 1_000_003 + n)
        say(
            f"generated {n} facts: {len(base.yaml_files)} YAML files, {base.yaml_bytes / 1e6:.1f} MB "
            f"in {base.seconds:.2f} s ({base.root})"
        )
        if index == 0:
            validate_once(ctreport, base, work)
        cache = work / f"cache-{n}"
        cache.mkdir()
        env = child_env(work, cache)
        cmd = [*ctreport, "partners", "--data", str(base.root), "--json"]
        out = work / f"partners-{n}.json"
        runs = []
        for _ in range(1 + WARM_RUNS):
            run = run_child(cmd, env, out)
            if run.returncode != 0:
                raise SystemExit(f"ctreport failed on {n} facts (exit {run.returncode}):\n{run.stderr[:2000]}")
            runs.append(run)
        answer = json_rows(out)
        parse = parse_only(base.yaml_files)
        cold = runs[0].seconds
        warm = statistics.median(r.seconds for r in runs[1:])
        cold_peak, warm_peaks = runs[0].peak_bytes, [r.peak_bytes for r in runs[1:] if r.peak_bytes is not None]
        say(
            f"  {n} facts: cold {cold:.2f} s, warm {', '.join(f'{r.seconds:.2f}' for r in runs[1:])} s, "
            f"{answer} partner rows"
        )
        rows.append(
            [
                f"{n:,}",
                f"{len(base.yaml_files):,}",
                f"{base.yaml_bytes / 1e6:.1f}",
                f"{cold:.2f}",
                f"{warm:.2f}",
                f"{cold_peak / 2**20:.0f}" if cold_peak is not None else "n/a",
                f"{max(warm_peaks) / 2**20:.0f}" if warm_peaks else "n/a",
                f"{parse:.2f}" if parse is not None else "n/a",
                ratio(parse, warm),
            ]
        )
        shutil.rmtree(base.root, ignore_errors=True)
    say()
    say(
        table(
            [
                "N facts",
                "files",
                "MB",
                "cold s",
                "warm s",
                "cold peak MB",
                "warm peak MB",
                "CSafeLoader parse s",
                "warm speed-up vs parse",
            ],
            rows,
            left=0,
        )
    )
    if not any(p == "n/a" for p in (r[7] for r in rows)):
        say("note: speed-up = parse s / warm s; above 1x the warm run beats bare YAML parsing.")


# --------------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of whole numbers: {text!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="sizes 1000,10000 and 5 rounds")
    parser.add_argument("--rounds", type=int, help=f"interleaved rounds for part 1 (default {DEFAULT_ROUNDS})")
    parser.add_argument(
        "--sizes", type=parse_sizes, help=f"facts per synthetic base (default {','.join(map(str, DEFAULT_SIZES))})"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic bases (default 1)")
    parser.add_argument("--skip-startup", action="store_true", help="skip part 1")
    parser.add_argument("--skip-scaling", action="store_true", help="skip part 2")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="generate a base of each size into DIR/base-N and keep it (for profiling)",
    )
    args = parser.parse_args(argv)
    rounds: int = args.rounds or (QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    sizes: list[int] = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if rounds < 1:
        parser.error("--rounds must be at least 1")

    ctreport, described = ctreport_command()
    environment_header(described)
    work = Path(tempfile.mkdtemp(prefix="ctreport-bench-"))
    try:
        if args.keep is not None:
            for n in sizes:
                base = generate(args.keep.resolve() / f"base-{n}", n, args.seed * 1_000_003 + n)
                say(f"kept {n} facts: {len(base.yaml_files)} YAML files in {base.root}")
        if not args.skip_startup:
            startup(ctreport, rounds, work)
        if not args.skip_scaling:
            scaling(ctreport, sizes, args.seed, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
