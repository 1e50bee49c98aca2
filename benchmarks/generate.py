"""Synthetic IOM-style releases for benchmarks: varied templates, organizations, people, places, amounts.

`generate(n, out_dir, seed=7)` writes n .txt files; the same n and seed give the same files.
The knowledge (places, organizations, role titles) comes from kg's own data files.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "kg" / "data"
FIRST = ("Ana", "Carlos", "María", "José", "Lucía", "Jorge", "Sofía", "Luis", "Carmen", "Miguel", "Elena",
         "Roberto", "Patricia", "Fernando", "Gabriela", "Ricardo", "Daniela", "Andrés", "Verónica", "Héctor")
LAST = ("García", "Martínez", "López", "Hernández", "Rivas", "Mejía", "Castillo", "Orellana", "Flores",
        "Rodríguez", "Pineda", "Aguilar", "Morales", "Cruz", "Reyes", "Ortiz", "Solano", "Villalobos",
        "Zelaya", "Cáceres", "Guevara", "Portillo", "Bonilla", "Escobar")
THEMES = ("Reintegration of Returned Migrants", "Protection of Migrant Children", "Youth Employment and Migration",
          "Community Stabilization", "Labour Migration Governance", "Border Management and Protection",
          "Diaspora Engagement for Development", "Disaster Risk Reduction and Mobility",
          "Prevention of Trafficking in Persons", "Psychosocial Support for Returnees")
NAV = ("-\nWho we are\nWHO WE AREThe International Organization for Migration (IOM) is part of the United Nations "
       "System.\n-\nOur Work\nWhat We Do\nPartnerships\n- Where we work\nTake Action\nGet involved\n"
       "- Data and Research\n- 2030 Agenda\n")
FUNDING = ("The project is financed by the {f}", "The project is funded by the {f}",
           "The project receives funds from the {f}", "The project is carried out with funding from the {f}",
           "The project is possible thanks to the support of the {f}")
IMPLEMENT = ("implemented by IOM {c} and the {p}", "executed by IOM {c} in partnership with the {p}",
             "carried out by IOM {c} together with the {p}")


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _places():
    rows = _rows("places.csv")
    countries = {r["id"]: r["name"] for r in rows if r["class"] == "Country"}
    departments = {r["id"]: r for r in rows if r["class"] == "Department" and r["country"] in ("SV", "GT", "HN")}
    towns: dict[str, list[str]] = {}
    for r in rows:
        if r["class"] == "Municipality" and r["kind"] in ("former_municipality", "municipality"):
            parents = r["parents"].split("|")
            dept = next((p for p in parents if p in departments), None)
            if dept:
                towns.setdefault(dept, []).append(r["name"])
    return countries, departments, towns


def release(rng: random.Random, i: int, countries, departments, towns, donors, partners) -> str:
    dept_id = rng.choice(sorted(d for d in departments if len(towns.get(d, [])) >= 3))
    dept = departments[dept_id]
    country = countries[dept["country"]]
    chosen = rng.sample(sorted(towns[dept_id]), 3)
    donor = rng.choice(donors)
    partner = rng.choice(partners)
    theme = rng.choice(THEMES)
    project = f"{theme} in {dept['name']}"
    chief = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
    official = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    contact = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    amount = rng.randrange(100, 5000) * 1000
    people = rng.randrange(200, 9000)
    year = rng.randrange(2012, 2024)
    fund = rng.choice(FUNDING).format(f=donor)
    impl = rng.choice(IMPLEMENT).format(c=country, p=partner)
    paragraphs = [
        f"IOM Launches {theme} Project in {dept['name']}, {country}",
        f"{chosen[0]} – IOM, the UN Migration Agency, and the {partner} today ({rng.randrange(1, 28)}/"
        f"{rng.randrange(1, 12)}) launched the {project} project, which will benefit {people:,} returnees "
        f"in the municipalities of {chosen[0]}, {chosen[1]} and {chosen[2]}, in the department of {dept['name']}.",
        f"{fund}. It is {impl} and has a budget of USD {amount:,}.",
        f"According to official figures, in {year} the department of {dept['name']} received "
        f"{rng.randrange(500, 9000):,} returnees.",
        f"“Returnees need opportunities in their own communities,” said IOM {country}'s Chief of Mission, {chief}.",
        f"The Mayor of {chosen[1]}, {official}, said the municipality will provide space for training.",
        f"For more information please contact\n{contact}\nIOM {country}\nTel: +503 2521 {rng.randrange(1000, 9999)}\n"
        f"Email: {contact.split()[0].lower()}@iom.int",
    ]
    return NAV + "\n".join(paragraphs) + "\n"


def generate(n: int, out_dir: str | Path, seed: int = 7) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    countries, departments, towns = _places()
    orgs = _rows("organizations.csv")
    donors = sorted(r["name"] for r in orgs if r["kind"] in ("donor_agency", "fund") and "," not in r["name"])
    partners = ["Ministry of Foreign Affairs", "National Migration Institute", "Ministry of Labour and Social Welfare",
                "National Youth Institute", "Secretariat of Social Welfare", "General Directorate of Migration"]
    paths = []
    for i in range(n):
        path = out / f"release_{i:06d}.txt"
        path.write_text(release(rng, i, countries, departments, towns, donors, partners), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    target = sys.argv[2] if len(sys.argv) > 2 else "benchmarks/corpus"
    print(f"wrote {len(generate(count, target))} releases to {target}")
