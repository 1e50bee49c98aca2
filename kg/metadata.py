"""Metadata found in a page's text: project-page fields, dateline, release date, contact block."""

from __future__ import annotations

import re
from datetime import date

from kg.model import Contact

# Labelled fields of iom.int project pages, as printed on the page.
FIELD_LABELS = (
    "Start Date", "End Date", "Project Status", "Project Type", "Budget Amount (USD)", "Coverage",
    "Year", "IDF Region", "Prima ID", "Projects ID", "Benefiting Member States",
    "Donor", "Donors", "Implementing Partners", "Partners", "Budget", "Project Code", "Project ID", "Location",
    "Funding Source", "Total Budget (USD)", "Reference",
)
# Other names pages give the same fields; "Period" and "Duration" hold a range, split into Start Date and End Date.
FIELD_SYNONYMS = {"Status": "Project Status", "Countries Covered": "Benefiting Member States", "Locations": "Location",
                  "Donor(s)": "Donors", "Implementing Partner": "Implementing Partners", "Period": "Period",
                  "Duration": "Period", "Project Duration": "Period", "Implementation Period": "Period"}
_LABELS = {label.casefold(): label for label in FIELD_LABELS} | {k.casefold(): v for k, v in FIELD_SYNONYMS.items()}
# "Project code: HN10P0142 | Reference: DP.2231": fields written one or more to a line.
_INLINE_FIELD = re.compile(r"\s*([A-Za-z][A-Za-z() ]{1,30}?)\s*:\s+(\S.*?)\s*")
_MULTI_VALUE = {"Benefiting Member States", "Donors", "Implementing Partners", "Partners", "Location"}

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_DASH = "–—-"


def parse_fields(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Pull "Label / value" pairs out of `lines`; each becomes one "Label: value" line in the text."""
    fields: dict[str, str] = {}
    out: list[str] = []
    lines = _inline_fields(lines)
    i = 0
    while i < len(lines):
        label = _LABELS.get(lines[i].strip().casefold())
        if label is None or label in fields:
            out.append(lines[i])
            i += 1
            continue
        values: list[str] = []
        j = i + 1
        while j < len(lines):
            value = lines[j].strip()
            if value == "-" or value.casefold() in _LABELS:
                break
            if value:
                # A long sentence after the last field is body text, not a value.
                if values and (label not in _MULTI_VALUE or len(value) > 60 or value.endswith(".")):
                    break
                values.append(value)
            j += 1
        if not values:
            out.append(lines[i])
            i += 1
            continue
        fields[label] = "; ".join(values)
        out.extend(["", f"{label}: {fields[label]}", ""])
        i = j
    if len(fields) < 3:
        # One heading that happens to be a field's name ("Partners") does not make a project page.
        return {}, lines
    if "Period" in fields:  # "January 2025 – December 2026", "01/06/2025 to 30/11/2026"
        ends = re.split(r"\s+(?:to|until|through)\s+|\s*[–—]\s*|\s+-\s+", fields["Period"], maxsplit=1)
        if len(ends) == 2:
            fields.setdefault("Start Date", ends[0].strip())
            fields.setdefault("End Date", ends[1].strip())
    return fields, out


def _inline_fields(lines: list[str]) -> list[str]:
    """Lines of known "Label: value" pairs (one or several to a line, set apart by " | ") as a label line and a
    value line each, the form parse_fields reads; other lines as they are."""
    out: list[str] = []
    for line in lines:
        pairs = [_INLINE_FIELD.fullmatch(part) for part in line.split(" | ")]
        if all(pairs) and all(m.group(1).casefold() in _LABELS for m in pairs):
            for m in pairs:
                out.extend([m.group(1), m.group(2)])
        else:
            out.append(line)
    return out


_STATUS = {"completed", "active", "ongoing", "closed", "pipeline", "suspended", "in progress"}
_COVERAGE = {"national", "regional", "global", "local", "multi-country", "subnational"}


def parse_unlabelled_fields(lines: list[str], is_country) -> tuple[dict[str, str], list[str]]:
    """Project pages captured without their field labels: the values one per line after the title.

    Values are recognised by their form (years, a status word, an amount, IOM's project codes,
    country names); the block ends at the first line of prose.
    """
    block: list[str] = []
    for line in lines:
        value = line.strip()
        if not value or value == "-":
            continue
        if len(value) > 80 or value.endswith("."):
            break
        block.append(value)
    if len(block) < 5 or sum(bool(re.fullmatch(r"(?:19|20)\d\d", v)) for v in block) < 1:
        return {}, lines
    fields: dict[str, str] = {}
    years = [v for v in block if re.fullmatch(r"(?:19|20)\d\d", v)]
    if years:
        fields["Start Date"] = years[0]
    if len(years) > 1:
        fields["End Date"] = years[1]
    countries = []
    for v in block:
        if v.casefold() in _STATUS:
            fields.setdefault("Project Status", v)
        elif v.casefold() in _COVERAGE:
            fields.setdefault("Coverage", v)
        elif re.fullmatch(r"(?:USD|US\$)?\s*\d[\d,]*\.\d\d", v):
            fields.setdefault("Budget Amount (USD)", v.replace("USD", "").replace("US$", "").strip())
        elif re.fullmatch(r"[A-Z]{2}\d{2}[A-Z]\d{4}", v):
            fields.setdefault("Prima ID", v)
        elif re.fullmatch(r"[A-Z]{2}\.\d{3,5}", v):
            fields.setdefault("Projects ID", v)
        elif is_country(v):
            countries.append(v)
        elif v in years:
            continue
        elif "Project Status" in fields and "Project Type" not in fields and not any(ch.isdigit() for ch in v):
            fields["Project Type"] = v
        elif "Project Type" in fields and "Donor" not in fields and not any(ch.isdigit() for ch in v):
            fields["Donor"] = v
    if countries:
        fields["Benefiting Member States"] = "; ".join(countries)
    if len(fields) < 4:
        return {}, lines
    # Replace the value lines by "Label: value" lines, as for labelled pages.
    n = 0
    rest = list(lines)
    while rest and n < len(block):
        if rest[0].strip() and rest[0].strip() != "-":
            n += 1
        rest.pop(0)
    rendered = [f"{label}: {value}" for label, value in fields.items()]
    return fields, ["", *rendered, "", *rest]


_DATELINE = re.compile(rf"^([A-ZÁÉÍÓÚÑ][\w’'.,() ]{{1,60}}?)\s+[{_DASH}]\s+(?=\S)")


def parse_dateline(paragraph: str) -> str:
    """"San Salvador – The Ministry …" gives "San Salvador"; "" if the paragraph has no dateline."""
    return dateline(paragraph)[0]


def dateline(paragraph: str) -> tuple[str, str]:
    """(place, ISO date) of a paragraph's dateline: "Tapachula, 4 May 2022 – …" gives ("Tapachula", "2022-05-04"),
    "San Salvador – …" ("San Salvador", ""); ("", "") if it has none."""
    m = _DATELINE.match(paragraph)
    if not m:
        return "", ""
    place, stated = _dated(m.group(1).strip().rstrip(","))
    return place if len(place.split()) <= 6 else "", stated


def _dated(dateline: str) -> tuple[str, str]:
    """(place, ISO date) of "Tapachula, 4 May 2022" or "Washington, D.C., May 4, 2022"; (dateline, "") when it
    ends with no date."""
    at = dateline.find(",")
    while at >= 0:
        if stated := bare_date(dateline[at + 1:]):
            return dateline[:at].strip(), stated
        at = dateline.find(",", at + 1)
    return dateline, ""


def parse_date(text: str) -> str:
    """ISO 8601 for "Monday, January 18, 2016", "18 January 2016", "2016-01-18", "18/01/2016"; else ""."""
    text = text.strip()
    if m := re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", text):
        return _iso(int(m[1]), int(m[2]), int(m[3]))
    if m := re.search(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b", text):
        if (month := _MONTHS.get(m[1].lower())) is not None:
            return _iso(int(m[3]), month, int(m[2]))
    if m := re.search(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b", text):
        if (month := _MONTHS.get(m[2].lower())) is not None:
            return _iso(int(m[3]), month, int(m[1]))
    if m := re.search(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", text):
        return _iso(int(m[3]), int(m[2]), int(m[1]))
    return ""


_WEEKDAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)"


def bare_date(line: str) -> str:
    """ISO 8601 of a line that is only a date ("15 March 2023", "Monday, January 18, 2016", "2023-03-15"), else ""."""
    line = line.strip().strip("*_ ")
    if len(line) > 40 or not (found := parse_date(line)):
        return ""
    rest = re.sub(rf"(?i)\b(?:{_WEEKDAYS}|{'|'.join(sorted(_MONTHS, key=len, reverse=True))})\b\.?|\d+|[\s,/\-]", "", line)
    return found if not rest else ""


def release_date(text: str) -> str:
    """ISO date of "today (14/11)" with the year the text gives ("… of 2017 … this year"), else --MM-DD."""
    m = re.search(r"\btoday\s*\((\d{1,2})/(\d{1,2})\)", text)
    if not m:
        return ""
    day, month = int(m.group(1)), int(m.group(2))
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return ""
    year = re.search(r"\b((?:19|20)\d\d)\b[^.]{0,200}\bthis year\b", text)
    return f"{year.group(1)}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"


def parse_month(text: str) -> str:
    """ "YYYY-MM" for "September 2024", "Sept. 2024", "09/2024"; else ""."""
    if m := re.search(r"\b([A-Za-z]{3,9})\.?,?\s+(\d{4})\b", text):
        if (month := _MONTHS.get(m[1].lower())) is not None:
            return f"{m[2]}-{month:02d}"
    if (m := re.search(r"\b(\d{1,2})/(\d{4})\b", text)) and 1 <= int(m[1]) <= 12:
        return f"{m[2]}-{int(m[1]):02d}"
    return ""


def _iso(year: int, month: int, day: int) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


_CONTACT_START = re.compile(r"^\s*(?:for (?:more|further) information\b(?:.*?contact\b[:,]?|\s*[:.]?\s*$)"
                            r"|(?:media|press) contacts?\s*[:,]|contacts?\s*:|(?:written|reported|posted) by\b:?)\s*", re.I)
_PHONE = re.compile(r"\b(?:Tel|Tel\.|Phone|Mobile|Mob|Cel|Cell|Fax|Whatsapp)\s*[.:]?\s*(\+?[\d()][\d ().\-/]{5,}\d(?:\s*Ext\.?\s*\d+)?)", re.I)
# The lookbehind starts a match only where a run of address characters starts: without it a long
# word is rescanned from each of its letters (quadratic; 30 s for one 40,000-letter word).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME_WORD = re.compile(r"^(?:[A-ZÁÉÍÓÚÑÜ][\w’'\-]+|de|del|la|las|los|y|da|dos|van|von|der|di)$")


def find_contact_block(paragraphs: list[str]) -> int:
    """Index of the paragraph that opens the contact block, or len(paragraphs) if there is none."""
    for i, paragraph in enumerate(paragraphs):
        if _CONTACT_START.match(paragraph):
            return i
    return len(paragraphs)


def parse_contacts(lines: list[str], is_office, is_place=lambda text: False) -> tuple[Contact, ...]:
    """People of a contact block given as its lines (the first one is "For more information …").

    `is_office(text)` tells an office ("IOM El Salvador") from a person's name.
    """
    records: list[dict] = []
    office = ""
    first = _CONTACT_START.sub("", lines[0]) if lines else ""
    for line in [first, *lines[1:]]:
        chunks = re.split(r"\s+or\s+|;\s*", line)
        for chunk in chunks:
            chunk = chunk.strip().strip(",")
            if not chunk:
                continue
            phones = [p.strip() for p in _PHONE.findall(chunk)]
            emails = _EMAIL.findall(chunk)
            rest = _EMAIL.sub("", _PHONE.sub("", chunk))
            rest = re.sub(r"\b(?:E-?mail|Tel|Phone)\b\s*[.:]?", "", rest, flags=re.I)
            # "Jane Doe, IOM El Salvador", "Jane Doe – IOM El Salvador", "contact Jane Doe at IOM El Salvador"
            parts = [p.strip(" ,:") for p in re.split(rf"\s[{_DASH}]\s|:|,|\s+at\s+", rest)]
            name = chunk_office = ""
            for part in (p for p in parts if p):
                if not name and looks_like_name(part) and not is_office(part) and not is_place(part):
                    name = part
                elif not chunk_office and is_office(part):
                    chunk_office = part
                elif chunk_office and not name:
                    chunk_office = f"{chunk_office}, {part}"  # "IOM El Salvador, Guatemala and Honduras"
            if chunk_office:
                office = chunk_office
            if name:
                # A name alone on its line (one contact per few lines) takes the office of the next line.
                alone = len(chunks) == 1 and [p for p in parts if p] == [name] and not (phones or emails)
                if alone:
                    office = ""
                records.append({"name": name, "office": office, "phones": phones, "emails": emails})
            elif records and (phones or emails):
                records[-1]["phones"] += phones
                records[-1]["emails"] += emails
            elif records and office and not records[-1]["office"]:
                records[-1]["office"] = office
    return tuple(
        Contact(name=r["name"], office=r["office"], phones=tuple(r["phones"]), emails=tuple(r["emails"]))
        for r in records
    )


def looks_like_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 5 or any(ch.isdigit() for ch in text):
        return False
    capitalised = [w for w in words if w[:1].isupper()]
    return len(capitalised) >= 2 and all(_NAME_WORD.match(w) for w in words) and not any(
        w.isupper() and len(w) > 1 for w in words
    )
