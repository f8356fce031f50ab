"""Synthetic fact bases shaped like the real one, written as YAML text directly (fast), that pass
`ctreport validate`. The same seed writes the same files."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from ct_report.model import RELATIONS

FACTS_PER_FILE = 25
N_COUNTRIES = 200
FIRST_YEAR = 2004
N_YEARS = 20

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


def regions_yaml() -> str:
    lines = ["# Synthetic fact base for benchmarks: regions.", "regions:"]
    for ident, en, ar in CRT_REGIONS:
        lines.append(f'  - {{id: "crt:{ident}", scheme: crt, name: {{en: {en}, ar: {ar}}}}}')
    lines.append('  - {id: "m49:world", scheme: m49, code: "001", name: {en: World, ar: العالم}, aliases: [global]}')
    for ident, code, parent, en, _ in M49_REGIONS:
        lines.append(
            f'  - {{id: "m49:{ident}", scheme: m49, code: "{code}", parent: "m49:{parent or "world"}", name: {{en: {en}}}}}'
        )
    return "\n".join(lines) + "\n"


def countries_yaml(countries: list[Country]) -> str:
    lines = ["# Synthetic countries: made-up codes and names.", "countries:"]
    for c in countries:
        lines.append(
            f"  - {{code: {c.code}, alpha3: {c.alpha3}, name: {{en: {c.en}, ar: {c.ar}}}, "
            f'regions: ["crt:{c.crt}", "m49:{c.m49}"]}}'
        )
    return "\n".join(lines) + "\n"


def entities_yaml(countries: list[Country], rng: random.Random) -> str:
    lines = ["# Synthetic organisations, forums, financing bodies and national institutions.", "entities:"]
    for kind in SHARED_ENTITY_KINDS:
        for i in range(1, 5):
            scope = rng.choice(
                ["m49:world", "m49:africa", "m49:europe", "m49:asia", "crt:middle-east-and-north-africa"]
            )
            lines += [
                f"  - id: {kind}-{i}",
                f"    kind: {kind}",
                f"    name: {{en: Synthetic {kind} number {i}, ar: {rng.choice(AR_WORDS)} {i}}}",
                f"    acronym: S{kind[:2].upper()}{i}",
                f'    scope: ["{scope}"]',
            ]
    for i in range(1, 7):
        lines += [
            f"  - id: finance-body-{i}",
            "    kind: financing-body",
            f"    name: {{en: Synthetic Financial Action Task Force {i}}}",
            f"    acronym: SFATF{i}",
            '    scope: ["m49:world"]',
        ]
    for c in countries:
        lines += [
            f"  - id: inst-{c.code.lower()}",
            "    kind: institution",
            f"    name: {{en: National counter-extremism council of {c.en}, ar: المجلس الوطني {c.ar}}}",
            f"    country: {c.code}",
        ]
    return "\n".join(lines) + "\n"


def editions_yaml(rng: random.Random) -> str:
    lines = ["# Synthetic editions: one per covered year.", "editions:"]
    for year in range(FIRST_YEAR, FIRST_YEAR + N_YEARS):
        lines += [
            f"  - id: crt-{year}",
            f"    title: Country Reports on Terrorism {year}",
            f"    covers: {year}",
            "    publisher: US Department of State, Bureau of Counterterrorism",
            f'    published: "{year + 1}-06-{rng.randint(1, 28):02d}"',
        ]
    return "\n".join(lines) + "\n"


def shared_files(countries: list[Country], rng: random.Random) -> dict[str, str]:
    """The four shared files by name; written in this order, so the random draws stay the same."""
    return {
        "regions.yaml": regions_yaml(),
        "countries.yaml": countries_yaml(countries),
        "entities.yaml": entities_yaml(countries, rng),
        "editions.yaml": editions_yaml(rng),
    }


@dataclass
class FactFile:
    """What the facts of one country-year file draw on while it is written."""

    country: Country
    year: int
    countries: list[Country]
    rng: random.Random
    report: str
    press_ar: str
    press_en: str
    earlier_arrests: list[str] = field(default_factory=list)


def file_header(f: FactFile) -> list[str]:
    country, year, cc, rng = f.country, f.year, f.country.code.lower(), f.rng
    return [
        f"# Synthetic fact base for benchmarks: {country.en} in the Country Reports on Terrorism {year}.",
        f"country: {country.code}",
        f"year: {year}",
        f"edition: crt-{year}",
        "",
        "sources:",
        f"  - id: {f.report}",
        "    kind: report",
        f'    title: "Country Reports on Terrorism {year}: {country.en}"',
        "    publisher: US Department of State, Bureau of Counterterrorism",
        "    language: en",
        f"    edition: crt-{year}",
        f"    url: https://example.org/reports/crt-{year}/{cc}/",
        f"  - id: {f.press_ar}",
        "    kind: press",
        f"    title: Arabic news article on the CRT {year} {country.en} chapter",
        "    language: ar",
        f"    edition: crt-{year}",
        f"    summarises: {f.report}",
        f"    text: texts/{year}/{country.code}.ar.txt",
        "    note: Synthetic; the quotes below appear verbatim in the shipped text.",
        f"  - id: {f.press_en}",
        "    kind: press",
        f"    title: English news article on the CRT {year} {country.en} chapter",
        "    publisher: Synthetic Daily",
        "    language: en",
        f'    date: "{year + 1}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"',
        f"    edition: crt-{year}",
        f"    summarises: {f.report}",
        f"    url: https://example.org/news/{year}/{cc}",
        "",
        "facts:",
    ]


def partner_lines(f: FactFile, ident: str) -> list[str]:
    rng, countries = f.rng, f.countries
    if rng.random() < 0.6:
        # Partners concentrate on a few big ones, as in the real reports, plus a long tail.
        partner = rng.choice([c for c in countries[:8] if c is not f.country] + [rng.choice(countries)]).code
    else:
        partner = f"{rng.choice(SHARED_ENTITY_KINDS)}-{rng.randint(1, 4)}"
    out = [f"    partner: {partner}", f"    relation: {rng.choice(RELATIONS)}"]
    if rng.random() < 0.3:
        out.append(f"    detail: {sentence(rng, 3, 7).rstrip('.').lower()}")
    if rng.random() < 0.1:
        out.append(f"    alongside: [{rng.choice(countries).code}]")
    return out


def arrest_lines(f: FactFile, ident: str) -> list[str]:
    rng = f.rng
    out = [f"    arrested: {{value: {rng.randint(1, 900)}, qualifier: {rng.choice(QUALIFIERS)}}}"]
    if rng.random() < 0.7:
        out.append(f"    operations: {{value: {rng.randint(1, 60)}, qualifier: exact}}")
    if rng.random() < 0.4:
        out.append(f"    cells: {{value: {rng.randint(1, 20)}, qualifier: about}}")
    if rng.random() < 0.5:
        out.append("    targets: [public buildings, public figures, security services]")
    if rng.random() < 0.3:
        out.append("    comparison: lower than in the years before")
    if f.earlier_arrests and rng.random() < 0.3:
        out.append(f"    conflicts_with: [{f.earlier_arrests[-1]}]")
    f.earlier_arrests.append(ident)
    return out


def incident_lines(f: FactFile, ident: str) -> list[str]:
    rng, year = f.rng, f.year
    out = [f"    count: {{value: {rng.randint(0, 40)}, qualifier: {rng.choice(QUALIFIERS)}}}"]
    if rng.random() < 0.5:
        out += [
            "    events:",
            f"      - description: {sentence(rng, 5, 10)}",
            f'        date: "{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"',
            f"        place: {rng.choice(SYLLABLES).capitalize()}ville",
        ]
    return out


def financing_lines(f: FactFile, ident: str) -> list[str]:
    rng = f.rng
    holder = rng.choice(("state", "fiu"))
    return [f"    body: finance-body-{rng.randint(1, 6)}", f"    holder: {holder}", "    relation: member"]


def cve_lines(f: FactFile, ident: str) -> list[str]:
    return [f"    institution: inst-{f.country.code.lower()}"] if f.rng.random() < 0.6 else []


# The chapter heading a report's fact comes from (no random draw, so the bases stay as they were).
SECTIONS = {
    "incidents": "Terrorist Incidents",
    "financing": "Countering the Financing of Terrorism",
    "cve": "Countering Violent Extremism",
}

# The fields particular to a kind; kinds not named here have only the common ones.
KIND_LINES = {
    "partner": partner_lines,
    "arrests": arrest_lines,
    "incidents": incident_lines,
    "financing": financing_lines,
    "cve": cve_lines,
}


def fact_lines(f: FactFile, index: int, quotes: list[str]) -> list[str]:
    """One fact: the common fields, then its kind's; an Arabic quote is also added to `quotes`."""
    rng = f.rng
    kind = FILE_KINDS[index % len(FILE_KINDS)]
    ident = f"{f.country.code.lower()}-{f.year}-{kind}-{index + 1}"
    with_quote = rng.random() < 0.8
    out = [f"  - id: {ident}", f"    kind: {kind}", f"    source: {f.press_ar if with_quote else f.report}"]
    if not with_quote:  # a fact from the report says where in the chapter it sits
        out.append(f"    section: {SECTIONS.get(kind, 'Overview')}")
    if rng.random() < 0.15:
        out.append(f"    corroborated_by: [{f.press_en}]")
    out.append(f"    statement: {sentence(rng)}")
    if with_quote:
        quote = arabic(rng)
        quotes.append(quote)
        out.append(f'    quote: "{quote}"')
    if rng.random() < 0.05:
        out.append(f"    note: {sentence(rng, 6, 12)}")
    if kind in KIND_LINES:
        out += KIND_LINES[kind](f, ident)
    out.append("")
    return out


def fact_file(
    country: Country, year: int, n_facts: int, countries: list[Country], rng: random.Random
) -> tuple[str, str]:
    """One country-year file and the Arabic source text its quotes come from."""
    cc = country.code.lower()
    f = FactFile(country, year, countries, rng, f"crt-{year}-{cc}", f"press-ar-{year}-{cc}", f"press-en-{year}-{cc}")
    out = file_header(f)
    quotes: list[str] = []
    for i in range(n_facts):
        out += fact_lines(f, i, quotes)
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
    # Up to 100,000 facts a file holds 25; beyond, every country-year is taken and files grow
    # (75 facts at 300,000, 250 at 1,000,000), as a base with more detail per chapter would.
    per_file = max(FACTS_PER_FILE, -(-n_facts // len(pairs)))
    n_files = -(-n_facts // per_file)
    left = n_facts
    made_dirs: set[Path] = set()
    for year, country in sorted(pairs[:n_files], key=lambda p: (p[0], p[1].code)):
        count = min(per_file, left)
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
