"""Relations between the entities of one document, sentence by sentence: funds, implements,
benefits, affiliatedWith; plus project-page fields, office hierarchy and place hierarchy."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kg.gazetteer import Place, fold
from kg.model import Document, Entity, Provenance, Span, Statement
from kg.rules import Cand

if TYPE_CHECKING:
    from kg.extract import Extractor

ACTOR = ("Organization", "FundingSource")
_ANAPHOR = re.compile(r"\b(?:the|this|that|its|our)\s+(?:new\s+|pilot\s+|\w+-(?:year|month)\s+)?(project|programme|program|initiative|scheme|component|work plan|pilot|response)\b|^(It)\s", re.I)
_FUNDED_BY = re.compile(r"\b(?:co-)?(?:financed|funded|sponsored|financially supported|supported financially|paid for|made possible)"
                        r"\s+(?:thanks\s+to\s+|by|through)\b", re.I)
_FUNDS_FROM = re.compile(
    r"\b(?:with\s+(?:the\s+)?(?:funds|funding|financing|financial support|(?:financial\s+)?backing|support|resources|a grant|"
    r"a contribution|contributions)\s+(?:from|of)"
    r"|(?:supported|made possible|financed|funded)\s+(?:by|through)\s+(?:a|an)\s+(?:(?:generous|financial)\s+)?"
    r"(?:grant|contribution|donation)\s+(?:from|of|by)"
    r"|(?:receives?|received|will\s+receive|is\s+receiving|gets)\s+(?:financing|funding|funds|financial\s+support)\s+from"
    r"|(?:funding|financing|funds|money)\s+(?:comes?|came|will\s+come)\s+from"
    r"|thanks\s+to\s+(?:the\s+|an?\s+)?(?:financial\s+|generous\s+)?(?:support|funding|contributions?|generosity|donations?|grants?)\s+(?:of|from)"
    r"|(?:contributions?|donations?|grants?|allocations?)\s+(?:of\s+(?:USD|US\$|EUR|€|\$|CAD|CHF|GBP|JPY|SEK|NOK)\s?[\d.,]+"
    r"(?:\s+(?:million|billion))?\s+)?from|draws\s+on\s+(?:(?:USD|US\$|EUR|€|\$|CAD|CHF|GBP|JPY)\s?[\d.,]+(?:\s+(?:million|billion))?\s+)?from"
    r"|funded\s+through)\b", re.I)
_WITH_X_FUNDS = re.compile(r"\bwith\s+(?:the\s+)?$")
_X_FUNDS_AFTER = re.compile(r"^(?:\s*\([A-Z][\w/&\-]{1,14}\))?\s+(?:funds|funding|financing|resources|grants?)\b")
_X_FUNDED = re.compile(r"^-(?:funded|financed|sponsored)\b")
_X_FUNDS_VERB = re.compile(r"^(?:\s*\([A-Z][\w/&\-]{1,14}\))?(?:,\s+which)?\s+(?:funds|finances|is funding|is financing|will fund|will finance|has funded|has financed|funded|financed|sponsors|sponsored|"
                           r"(?:is|are)\s+paying\s+for|pays\s+for|will\s+pay\s+for|(?:is|are)\s+underwriting|underwrites|will\s+underwrite)\b")
# "X has donated USD 1.2 million to …": the organizations of the clause before the verb fund the project.
_DONATED = re.compile(r"\b(?:donated|has\s+granted|have\s+granted|contributed|(?P<gave>provided|has\s+provided|allocated|"
                      r"has\s+allocated|committed|has\s+committed|pledged|awarded|approved))\s+(?:(?:a\s+total\s+of|almost|nearly|over|more\s+than)\s+)?"
                      r"(?:USD|US\$|EUR|€|\$|CAD|CHF|GBP|JPY)\s?\d")
_IMPLEMENTED_BY = re.compile(r"\b(?:(?:co-)?implemented|executed|carried out|run|managed|led|operated|(?:co-)?delivered|rolled out|"
                             r"coordinated)\s+"
                             r"(?:(?:jointly|directly|locally|mainly|mostly|primarily|entirely|largely)\s+)?by\b", re.I)
# "The project builds on a 2022 assessment carried out by UNICEF": the work done by them is not the project.
_OTHER_WORK = re.compile(r"\b(?:assessments?|study|studies|surveys?|evaluations?|analys[ie]s|reports?|census|research|"
                         r"mapping|diagnos[ie]s|diagnostics?)\b[^,;]*$", re.I)
_PARTNERSHIP = re.compile(r"\bin\s+(?:partnership|cooperation|collaboration|alliance|coordination)\s+with\b"
                          r"|\bunder\s+the\s+(?:leadership|coordination)\s+of\b|\bhand\s+in\s+hand\s+with\b"
                          r"|\bimplementing\s+partners?\s+(?:are|is|will\s+be|include)\b"
                          r"|\b(?:implemented|executed|carried\s+out|run)\s+(?:together|jointly)\s+with\b", re.I)
# "the programme, which IOM and GIZ will run together", "for which IOM Honduras is responsible", "implementation rests
# with A and B", "X has joined the programme as a partner".
_WHICH_RUN = re.compile(r"\b(?:project|programme|program|initiative|response|pilot),?\s+which\s+(?=[^.;]{2,160}?\s+(?:will\s+|are\s+to\s+|shall\s+)?"
                        r"(?:jointly\s+|together\s+)?(?:run|implement|carry\s+out|execute|manage|lead|coordinate|deliver)\b)", re.I)
_RESPONSIBLE = re.compile(r"\bfor\s+which\s+(?=[^.;]{2,120}?\s+(?:is|are|will\s+be)\s+responsible\b)"
                          r"|\bimplementation\s+(?:rests|lies|falls|will\s+rest)\s+with\b", re.I)
_JOINED = re.compile(r"\b(?:has|have)?\s*joined\s+(?:the|this)\s+(?:project|programme|program|initiative|response)\s+as\s+(?:an?\s+)?"
                     r"(?:implementing\s+)?partners?\b", re.I)
_LAUNCH_VERB = re.compile(r"\b(?:launched|presented|inaugurated|unveiled|started|began|kicked off|will implement|implements|is implementing|are implementing|will carry out|is carrying out|are carrying out)\b")
# "X leads the project together with Y and Z": X (the clause's actors before the verb) and Y, Z run the project named
# or referred to by "the project".
_RUNS_THE_PROJECT = re.compile(r"\b(?:leads|will lead|led|runs|will run|manages|will manage|implements|will implement|"
                               r"is implementing|coordinates|will coordinate|carries out|will carry out|executes|will execute)"
                               r"\s+(?:the|this)\s+(?:new\s+|pilot\s+)?(?:project|programme|program|initiative|response)\b"
                               r"(?P<with>\s+(?:together\s+with|jointly\s+with|alongside|with|in\s+(?:partnership|coordination)\s+with))?")
_BENEFIT = re.compile(
    r"\b(?:benefit(?:s|ed|ing)?|beneficiar(?:y|ies)|target(?:s|ing)?|will reach|will serve|serves?|serving|aim(?:ed|s)? at|"
    r"take[s]? place|implemented in|carried out in|"
    r"facilities being|(?:the|infrastructure|construction|public|these) works)\b", re.I)
# Triggers whose places follow them ("benefit returnees in …", "in the departments of …"): a place named before one
# in the same sentence is someone else's ("The Government of Japan … in the departments of San Miguel").
_PLACES_AFTER = ("benefit", "beneficiar", "target", "will reach", "will serve", "serv", "aim")
# "in the (eastern) municipalities of A, B and C": the places listed right after (not one further on in the sentence).
_IN_AREAS = re.compile(r"\b(?:in|covers|will cover|covering|spanning)\s+the\s+(?:[\w’']+\s+)?(?:municipalit(?:y|ies)|districts?|departments?|"
                       r"provinces?|states?)\s+of\b")
# "The project … will run for 18 months in A, B and C", "implemented jointly by X and Y in 40 shelters in A and B": the
# places listed right after an "in" that follows a verb of running the project (see _places_in).
_RUNS = re.compile(r"\b(?:implemented|executed|carried out|run|runs|will run|operates|will operate|will work|works|rolled out|"
                   r"will take place|takes place|will be active|is active)\b", re.I)
_IN_PLACES = re.compile(r"\b(?:in|across|throughout|through|covers|will cover|covering|spanning)\s+(?:the\s+)?(?:(?:[\w’']+\s+)?(?:municipalit(?:y|ies)|departments?|states?|provinces?|"
                        r"districts?|cities|towns)\s+of\s+)?")
_SUPPORT_TO = re.compile(r"\b(?:technical\s+)?(?:support|assistance|assist|strengthen|help)\s+(?:to\s+)?(?:the\s+)?$", re.I)
_DONOR_KINDS = {"donor_agency", "donor_government_body", "fund", "bank"}


class _Doc:
    """Mentions of one document with their entity keys, in text order."""

    def __init__(self, doc: Document, cands: list[Cand], by_span: dict, entities: dict[str, Entity]):
        self.doc = doc
        self.entities = entities
        self.mentions = [(c, by_span[(c.start, c.end, c.cls)]) for c in cands if (c.start, c.end, c.cls) in by_span]
        self.mentions.sort(key=lambda ck: ck[0].start)  # the accepted mentions come so; stable otherwise
        self.starts = [c.start for c, _ in self.mentions]
        self.projects = [(c, k) for c, k in self.mentions if c.cls == "Project"]
        unnamed_first = sorted(self.projects, key=lambda ck: (ck[0].method != "fields:title", ck[0].start))
        self.main_project = unnamed_first[0][1] if unnamed_first else None
        self.first_unnamed = next((k for c, k in self.projects if entities[k].attributes.get("unnamed")), None)

    def starting(self, start: int, end: int) -> list[tuple[Cand, str]]:
        """The mentions that start in [start, end), in order (a slice: a long text is not scanned per sentence)."""
        return self.mentions[bisect.bisect_left(self.starts, start):bisect.bisect_left(self.starts, end)]

    def within(self, start: int, end: int, classes: tuple[str, ...] | None = None):
        return [(c, k) for c, k in self.starting(start, end) if c.end <= end and (classes is None or c.cls in classes)]

    def project_at(self, sent: Span, pos: int) -> str | None:
        """The project a funding or implementing phrase at `pos` is about."""
        before = [(c, k) for c, k in self.projects if sent.start <= c.start and c.end <= pos]
        if before:
            return before[-1][1]
        text = self.doc.text[sent.start:pos]
        anaphors = list(_ANAPHOR.finditer(text))
        if anaphors:
            if (anaphors[-1].group(1) or "").lower() == "component":
                return self.first_unnamed or self.main_project
            earlier = [(c, k) for c, k in self.projects if c.end <= sent.start + anaphors[-1].start()]
            return earlier[-1][1] if earlier else self.main_project
        after = [(c, k) for c, k in self.projects if pos <= c.start and c.end <= sent.end]
        return after[0][1] if after else None

    def only_project(self) -> str | None:
        """The document's project when it describes just one."""
        keys = {k for _, k in self.projects}
        return next(iter(keys)) if len(keys) == 1 else None


def find(doc: Document, cands: list[Cand], by_span: dict, entities: dict[str, Entity], ex: "Extractor",
         country: Place | None) -> list[Statement]:
    d = _Doc(doc, cands, by_span, entities)
    out: dict[tuple, Statement] = {}

    def add(subject: str, predicate: str, obj: str, sent: Span, method: str, confidence: float, **kw) -> None:
        if subject == obj:
            return
        prov = Provenance(doc.id, doc.text[sent.start:sent.end], sent.start, sent.end, method, confidence)
        st = Statement(subject, predicate, obj, prov, **kw)
        out.setdefault((subject, predicate, obj, kw.get("qualifier", ""), sent.start), st)

    _fields(d, add)
    for sent in doc.sentences:
        _funds(d, sent, add, ex)
        _implements(d, sent, add, ex)
        _benefits(d, sent, add)
        _affiliations(d, sent, add, ex)
    _contacts(d, add)
    for st in list(out.values()):
        parent = d.entities.get(st.subject, None)
        if st.predicate == "implements" and parent and parent.attributes.get("parent_org"):
            org = ex.gaz.orgs.get(parent.attributes["parent_org"])
            if org:
                _ensure_known(d, org.id)
                sent = Span(st.provenance.start, st.provenance.end)
                add(f"{org.cls}/{org.id}", "implements", st.obj, sent, "inference:office-of", 0.75)
    _hierarchy(d, add, ex)
    return sorted(out.values(), key=lambda s: (s.subject, s.predicate, s.obj, s.qualifier, s.provenance.start))


def _actor_key(d: _Doc, c: Cand, k: str, ex: "Extractor") -> str | None:
    """Organizations and funds act; a country acting stands for its government."""
    if c.cls in ACTOR:
        return k
    if c.cls == "Country":
        name = f"Government of {d.entities[k].label}"
        key = f"Organization/{'-'.join(fold(name).split())}"
        if key not in d.entities:
            d.entities[key] = Entity(key=key, cls="Organization", label=name, attributes={"derived": True})
        return key
    return None


# Between two names of a list: "and", a comma, "as well as", after the first one's acronym: "X (XA) and the Y".
_LIST_GAP = re.compile(r"(?:\s*\([A-Z][A-Za-z0-9&\-]{1,14}\))?\s*(?:,|and|,?\s*and\s+by|,\s*and|&|as well as|(?:(?:together|jointly|along)\s+)?with|"
                       r",?\s*through\s+(?:its|their)\s+(?:[a-z]+\s+)?(?:agency|ministry|embassy|office|delegation),?)?"
                       r"\s*(?:the\s+)?")


def _list_after(d: _Doc, sent: Span, pos: int, ex: "Extractor", classes=ACTOR + ("Country",)) -> list[str]:
    """Actors in the coordinated list that starts at `pos`: "by IOM, UNHCR and UNDP"."""
    keys: list[str] = []
    cursor = pos
    mentions = d.within(pos, sent.end)
    for c, k in mentions:
        if any(o.start <= c.start and c.end <= o.end and (o.end - o.start) > (c.end - c.start) for o, _ in mentions):
            continue  # inside another name ("El Salvador" of "IOM El Salvador", "U.S." of "U.S. Department of State")
        gap = d.doc.text[cursor:c.start]
        if keys and gap.strip() == "(" and d.doc.text[c.end:c.end + 1] == ")":  # the acronym of the one before
            cursor = c.end + 1
            continue
        if keys and not _LIST_GAP.fullmatch(gap):
            break
        # "funded by the Fund, IOM will …": a name followed by a verb opens a new clause.
        if keys and re.match(r"\s+(?!(?:and|or|of|in|with|through|for|at|on|to|from|under|during|since|as)\b)[a-z]",
                             d.doc.text[c.end:c.end + 12]):
            break
        if not keys and len(gap) > 40:
            break
        if c.cls in ("Municipality", "Department") or c.cls == "Person":
            if keys:
                break
            continue
        if c.cls not in classes:
            continue
        actor = _actor_key(d, c, k, ex)
        if actor and actor not in keys:
            keys.append(actor)
        cursor = c.end
    return keys


def _funds(d: _Doc, sent: Span, add, ex) -> None:
    text = d.doc.text
    for pattern, method in ((_FUNDED_BY, "rule:funded-by"), (_FUNDS_FROM, "rule:funds-from")):
        for m in pattern.finditer(text, sent.start, sent.end):
            project = d.project_at(sent, m.start()) or d.only_project()
            if project:
                mere_support = _MERE_SUPPORT.search(m.group(0)) is not None
                for funder in _list_after(d, sent, m.end(), ex):
                    if mere_support and not _gives_money(d, funder, ex):
                        continue  # "with support from the Migration Institute": not money
                    add(funder, "funds", project, sent, method, 0.85)
    for m in _DONATED.finditer(text, sent.start, sent.end):
        project = d.project_at(sent, m.start()) or d.only_project()
        if not project and _TO_IT.match(text, m.end(), sent.end):  # "Canada has committed CAD 1.5 million to it."
            project = d.main_project
        if not project:
            continue
        for _, _, actor in _actors_before(d, sent, m.start(), ("Organization", "FundingSource", "Country"), ex):
            if not m.group("gave") or _pays(d, actor, ex):  # "IOM provided USD 100 to each family": not a donor
                add(actor, "funds", project, sent, "rule:donated", 0.8)
    for c, k in d.within(sent.start, sent.end, ACTOR + ("Country",)):
        before, after = text[max(sent.start, c.start - 12):c.start], text[c.end:min(sent.end, c.end + 40)]
        if _WITH_X_FUNDS.search(before) and _X_FUNDS_AFTER.match(after):
            method = "rule:with-x-funds"
        elif _X_FUNDED.match(after) or _X_FUNDS_VERB.match(after):
            method = "rule:x-funded"
        else:
            continue
        after_project = [(pc, pk) for pc, pk in d.projects if c.end <= pc.start <= c.end + 40]
        project = after_project[0][1] if method == "rule:x-funded" and after_project else (
            d.project_at(sent, c.start) if method == "rule:with-x-funds" else None)
        verb = _X_FUNDS_VERB.match(after)
        if project is None and verb and _THE_PROJECT.match(after, verb.end()):  # "X is paying for the programme"
            project = d.project_at(sent, c.end) or d.only_project()
        actor = _actor_key(d, c, k, ex)
        if project and actor:
            add(actor, "funds", project, sent, method, 0.8)


_THE_PROJECT = re.compile(r"\s+(?:the|this|its)\s+(?:new\s+)?(?:project|programme|program|initiative|response|pilot|scheme)\b")
_TO_IT = re.compile(r"(?:[^.;]|\.\d)*?\bto\s+(?:it|the\s+(?:project|programme|program|initiative|scheme))\b")
_MERE_SUPPORT = re.compile(r"(?<!financial )\bsupport\b", re.I)


def _gives_money(d: _Doc, key: str, ex) -> bool:
    """Whether "with the support of" an actor can mean its money: a named fund, a known organization (donor
    agencies, the EU, UN agencies, banks: kg/data/organizations.csv), a government, an embassy or delegation; not
    a national institute, council or NGO the gazetteer does not know."""
    entity = d.entities.get(key)
    if entity is None or entity.cls in ("FundingSource", "Country"):
        return True
    if entity.attributes.get("org") in ex.gaz.orgs:
        return True
    return entity.label.startswith(("Government", "Embassy", "Delegation"))


def _pays(d: _Doc, key: str, ex) -> bool:
    """Whether an actor that "provided USD …" paid for the project: a fund, a donor or regional body of the gazetteer,
    a government, an embassy or delegation (IOM or a UN agency providing money passes it on to the people it helps)."""
    entity = d.entities.get(key)
    if entity is None or entity.cls == "FundingSource":
        return entity is not None
    org = ex.gaz.orgs.get(entity.attributes.get("org", ""))
    if org:
        return org.kind in _DONOR_KINDS or org.kind == "regional"
    return entity.label.startswith(("Government", "Embassy", "Delegation"))


def _implements(d: _Doc, sent: Span, add, ex) -> None:
    text = d.doc.text
    for m in _IMPLEMENTED_BY.finditer(text, sent.start, sent.end):
        project = d.project_at(sent, m.start())
        if project and not _OTHER_WORK.search(text, max(sent.start, m.start() - 80), m.start()):
            for actor in _list_after(d, sent, m.end(), ex, classes=("Organization", "Country")):
                add(actor, "implements", project, sent, "rule:implemented-by", 0.85)
    for m in _PARTNERSHIP.finditer(text, sent.start, sent.end):
        project = d.project_at(sent, m.start())
        if project is None and m.group(0).lower().startswith("implementing"):
            project = d.only_project()  # "The implementing partners are A, B and C."
        if project:
            for actor in _list_after(d, sent, m.end(), ex, classes=("Organization",)):
                add(actor, "implements", project, sent, "rule:in-partnership-with", 0.7)
    for pattern in (_WHICH_RUN, _RESPONSIBLE):
        for m in pattern.finditer(text, sent.start, sent.end):
            project = d.project_at(sent, m.start()) or d.only_project()
            if project:
                for actor in _list_after(d, sent, m.end(), ex, classes=("Organization",)):
                    if not _is_donor(d, actor, ex):
                        add(actor, "implements", project, sent, "rule:which-runs", 0.75)
    for m in _JOINED.finditer(text, sent.start, sent.end):
        project = d.project_at(sent, m.end()) or d.only_project()
        for _, k, actor in _actors_before(d, sent, m.start(), ("Organization",), ex) if project else ():
            add(actor, "implements", project, sent, "rule:joined-as-partner", 0.7)
    # "IOM pilot project", "IOM's project": the organization right before a project runs it.
    for pc, pk in d.projects:
        if not (sent.start <= pc.start < sent.end):
            continue
        for c, k in d.within(max(sent.start, pc.start - 40), pc.start, ("Organization",)):
            if re.fullmatch(r"(?:’s|'s)?\s+(?:new\s+)?(?:pilot\s+)?", text[c.end:pc.start]):
                add(k, "implements", pk, sent, "rule:org-project", 0.8)
    for m in _RUNS_THE_PROJECT.finditer(text, sent.start, sent.end):
        project = d.project_at(sent, m.end())
        if not project:
            continue
        actors = [actor for _, k, actor in _actors_before(d, sent, m.start(), ("Organization", "Country"), ex)
                  if not _is_donor(d, k, ex)]
        if m.group("with"):
            actors += _list_after(d, sent, m.end(), ex, classes=("Organization",))
        for actor in actors:
            add(actor, "implements", project, sent, "rule:runs-the-project", 0.75)
    # "X and Y launched a project …": the organizations before the verb (donors fund rather than run).
    for m in _LAUNCH_VERB.finditer(text, sent.start, sent.end):
        after = [(pc, pk) for pc, pk in d.projects if m.end() <= pc.start < sent.end and pc.start - m.end() < 60]
        if not after:
            continue
        for _, k, actor in _actors_before(d, sent, m.start(), ("Organization", "Country"), ex):
            if not _is_donor(d, k, ex):
                add(actor, "implements", after[0][1], sent, "rule:launched", 0.7)


def _is_donor(d: _Doc, key: str, ex) -> bool:
    """A donor agency, donor government body, fund or bank of the gazetteer: they fund rather than run projects."""
    org = ex.gaz.orgs.get(d.entities[key].attributes.get("org", ""))
    return bool(org and org.kind in _DONOR_KINDS)


def _actors_before(d: _Doc, sent: Span, pos: int, classes: tuple[str, ...], ex) -> Iterator[tuple[Cand, str, str]]:
    """(mention, key, actor key) of the actors of the clause that ends at `pos` (the subject of a verb there): a
    country as its government, where it is named so ("the Government of Japan") or is the verb's subject ("Italy has
    committed EUR 2 million")."""
    text = d.doc.text
    clause_start = max(sent.start, text.rfind(";", sent.start, pos) + 1)
    mentions = d.within(clause_start, pos)
    for c, k in d.within(clause_start, pos, classes):
        if c.cls == "Country" and not re.search(r"Government|government", text[c.start - 20:c.start]) and not (
                text[c.end:pos].isspace() and "\n" not in text[c.end:pos]
                and not any(o.start <= c.start and c.end <= o.end and o.end - o.start > c.end - c.start
                            for o, _ in mentions)):  # not "El Salvador" of "IOM El Salvador leads …"
            continue
        actor = _actor_key(d, c, k, ex)
        if actor:
            yield c, k, actor


def _benefits(d: _Doc, sent: Span, add) -> None:
    text = d.doc.text
    m = _BENEFIT.search(text, sent.start, sent.end)
    if m:
        project = d.project_at(sent, m.start()) or d.main_project
        if project:
            # "The communities of A and B will benefit.": the places before a "benefit" that ends its clause
            ends = m.group(0).lower() in ("benefit", "benefits") and re.match(
                r"(?:\s+(?:as\s+well|too|also))?\s*(?:[.;,]|from\b)", text[m.end():m.end() + 16]) is not None
            places = [(c, k) for c, k in d.within(sent.start, sent.end, ("Municipality", "Department", "Country"))
                      if c.start >= m.start() or ends or not m.group(0).lower().startswith(_PLACES_AFTER)]
            for k in _finest(d, places):
                add(project, "benefits", k, sent, "rule:benefit-places", 0.75)
            if m.group(0).lower().startswith("benefit"):
                for k in _list_after(d, sent, m.end(), None, classes=("Organization",)):
                    add(project, "benefits", k, sent, "rule:benefit-orgs", 0.7)
    for m in _IN_AREAS.finditer(text, sent.start, sent.end):
        project = d.project_at(sent, m.start()) or d.main_project
        if project:
            for k in _finest(d, _places_in(d, sent, m.start(), first=True)):
                add(project, "benefits", k, sent, "rule:benefit-places", 0.75)
    for m in _RUNS.finditer(text, sent.start, sent.end):
        project = d.project_at(sent, m.start()) or d.only_project()
        if project:
            for k in _finest(d, [(c, k) for c, k in _places_in(d, sent, m.end())]):
                add(project, "benefits", k, sent, "rule:runs-in", 0.7)
    for c, k in d.within(sent.start, sent.end, ("Organization",)):
        if _SUPPORT_TO.search(text[max(sent.start, c.start - 40):c.start]) and re.match(
                r"\s*(?:\(|,|\.|;|$|\s(?:as|in|to|and|through|with|so|which|that|on)\b)", text[c.end:c.end + 8]):
            project = d.project_at(sent, c.start)
            if project:
                add(project, "benefits", k, sent, "rule:support-to", 0.7)


def _places_in(d: _Doc, sent: Span, pos: int, first: bool = False) -> list[tuple[Cand, str]]:
    """The places listed right after each "in" of the sentence from `pos` on: "in A, B and C", "in 40 shelters in A",
    "in the eastern departments of A and B" (not "from A", not a place further on in the clause); with `first`, only
    the list of the first "in"."""
    text, places = d.doc.text, []
    for m in _IN_PLACES.finditer(text, pos, sent.end):
        cursor, run = m.end(), []
        for c, k in d.within(m.end(), sent.end):
            if c.cls not in ("Municipality", "Department", "Country") or not (
                    c.start == cursor or run and _LIST_GAP.fullmatch(text[cursor:c.start])):
                break
            run.append((c, k))
            cursor = c.end
        places += run
        if first:
            break
    return places


def _finest(d: _Doc, places: list[tuple[Cand, str]]) -> list[str]:
    """Places without those that only contain another place of the list."""
    keys = list(dict.fromkeys(k for _, k in places))
    ids = {d.entities[k].attributes.get("place") for k in keys}
    from kg.gazetteer import load
    gaz = load()
    covered = {gaz.places[pid].country for pid in ids if pid in gaz.places}
    return [k for k in keys if d.entities[k].attributes.get("place") not in covered]


def _affiliations(d: _Doc, sent: Span, add, ex) -> None:
    text = d.doc.text
    contacts = {c.start for c in d.doc.contacts}
    people = [(c, k) for c, k in d.starting(sent.start, sent.end) if c.cls == "Person" and c.start not in contacts]
    for i, (p, pk) in enumerate(people):
        prev_end = max(sent.start, people[i - 1][0].end if i else sent.start, text.rfind(";", sent.start, p.start) + 1)
        left = text[prev_end:p.start]
        next_start = min(sent.end, people[i + 1][0].start if i + 1 < len(people) else sent.end)
        semi = text.find(";", p.end, next_start)
        right_end = semi if semi >= 0 else next_start
        right = text[p.end:right_end]
        for clause, start, side in ((left, prev_end, "left"), (right, p.end, "right")):
            if side == "left" and not re.search(r"(?:,\s*|\s)$", clause):
                continue
            if side == "right" and not clause.startswith((",", " (")):  # "Name, title …", "Name (title, body)"
                continue
            roles = list(ex.role_re.finditer(clause))
            if side == "left":  # "“… an officer may be the only person …,” said Jane Doe": a word of the quote
                roles = [r for r in roles if not re.search(r"[”\"]", clause[r.end():])]
            if not roles:
                continue
            role = roles[-1] if side == "left" else roles[0]
            org = _org_for_role(d, start, start + len(clause), start + role.start(), start + role.end(), clause)
            title = role.group(0)
            add(pk, "roleTitle", title, sent, f"rule:role-{side}", 0.8, datatype="string")
            if org:
                add(pk, "affiliatedWith", org, sent, f"rule:role-{side}", 0.8, qualifier=title)
            break


def _org_for_role(d: _Doc, start: int, end: int, role_start: int, role_end: int, clause: str) -> str | None:
    orgs = [(c, k) for c, k in d.within(start, end, ("Organization",))]
    if not orgs:
        return None
    implied = [(c, k) for c, k in orgs if c.method == "rule:org-implied" and c.start <= role_end and role_start < c.end]
    if implied:
        return implied[0][1]
    before = [(c, k) for c, k in orgs if c.end <= role_start]
    if before:
        k = before[-1][1]
        scope = d.doc.text[role_end:end]
        # "IOM Chief of Mission for El Salvador, Guatemala and Honduras": that office, not IOM El Salvador.
        several = re.match(r"\s*(?:in|for)\s+(?:the\s+)?[A-Z][^;.,]*,\s*[A-Z][^;.,]*?\s+and\s+[A-Z]", scope)
        if several:
            return _scope_office(d, k, before[-1][0], scope) or _office_for(d, k, scope) or k
        return _office_for(d, k, scope) or _scope_office(d, k, before[-1][0], scope) or k
    return orgs[0][1]


def _office_for(d: _Doc, org_key: str, scope: str) -> str | None:
    """ "IOM … Coordinator in El Salvador" -> IOM El Salvador, when that office is in the document."""
    m = re.match(r"\s*(?:in|for)\s+(?:the\s+)?([A-Z][^;.]*)", scope)
    org = d.entities.get(org_key)
    if not m or not org:
        return None
    offices = {k: e for k, e in d.entities.items() if e.attributes.get("parent_org") == org.attributes.get("org")}
    words = m.group(1).split(",")
    # The longest scope first: "for El Salvador, Guatemala and Honduras" before "for El Salvador".
    for n in range(len(words), 0, -1):
        scope_key = fold(",".join(words[:n]))
        for k, e in sorted(offices.items()):
            if fold(e.label).endswith(scope_key):
                return k
    return None


def _scope_office(d: _Doc, org_key: str, org_cand: Cand, scope: str) -> str | None:
    """ "IOM Chief of Mission for El Salvador, Guatemala and Honduras": the office for those countries."""
    from kg.gazetteer import load

    org = d.entities.get(org_key)
    acronym = d.doc.text[org_cand.start:org_cand.end]
    if not org or not org.attributes.get("org") or not acronym.isupper():
        return None
    m = re.match(r"\s*(?:in|for)\s+((?:the\s+)?[A-Z][^;.]*?)(?=\s*[;.]|,\s*[A-Z][a-z]+\s+[A-Z]|$)", scope)
    if not m:
        return None
    countries = [name.strip() for name in re.split(r",\s*|\s+and\s+", m.group(1)) if name.strip()]
    gaz = load()
    if not countries or not all(any(p.cls == "Country" for p in gaz.places_named(c)) for c in countries):
        return None
    label = f"{acronym} " + (", ".join(countries[:-1]) + " and " + countries[-1] if len(countries) > 1 else countries[0])
    key = f"Organization/{'-'.join(fold(label).split())}"
    if key not in d.entities:
        d.entities[key] = Entity(key=key, cls="Organization", label=label,
                                 attributes={"parent_org": org.attributes["org"], "derived": True})
    return key


def _contacts(d: _Doc, add) -> None:
    text = d.doc.text
    for contact in d.doc.contacts:
        if contact.start < 0 or not contact.office:
            continue
        line_start = text.rfind("\n", 0, contact.start) + 1
        window_end = text.find("\n", contact.start + len(contact.name))
        window_end = len(text) if window_end < 0 else window_end
        # The office is on the contact's line, or on the next line (one field per line).
        if not d.within(line_start, window_end, ("Organization",)):
            nxt = text.find("\n", window_end + 1)
            window_end = len(text) if nxt < 0 else nxt
        orgs = [(c, k) for c, k in d.mentions if c.cls == "Organization" and (
            line_start <= c.start < window_end or fold(text[c.start:c.end]) == fold(contact.office))]
        office = [k for c, k in orgs if fold(contact.office).startswith(fold(text[c.start:c.end]))]
        target = office[0] if office else (orgs[0][1] if orgs else None)
        if target:
            prov_sent = Span(line_start, window_end)
            add(_person_key(d, contact.start), "affiliatedWith", target, prov_sent, "rule:contact-block", 0.9)


def _person_key(d: _Doc, start: int) -> str:
    for c, k in d.mentions:
        if c.start == start and c.cls == "Person":
            return k
    return ""


_FIELD_PREDICATES = {
    "Project ID": ("identifier", "string"),
    "Budget Amount (USD)": ("budgetAmount", "decimal"), "Budget": ("budgetAmount", "decimal"),
    "Start Date": ("startDate", "gYear"), "End Date": ("endDate", "gYear"), "Project Status": ("status", "string"),
    "Project Type": ("projectType", "string"), "Prima ID": ("identifier", "string"),
    "Projects ID": ("identifier", "string"), "Project Code": ("identifier", "string"), "Coverage": ("coverage", "string"),
    "Total Budget (USD)": ("budgetAmount", "decimal"), "Reference": ("identifier", "string"),
}
_IN_USD = ("Budget Amount (USD)", "Total Budget (USD)")


def _fields(d: _Doc, add) -> None:
    doc = d.doc
    title_project = next((k for c, k in d.projects if c.method == "fields:title"), None)
    if not title_project:
        return
    text = doc.text
    for label, value in sorted(doc.fields.items()):
        at = text.find(f"{label}: ")
        if at < 0 and label in ("Start Date", "End Date"):
            at = text.find("Period: ")  # the range they were split from (kg.metadata.parse_fields)
        if at < 0:
            continue
        sent = doc.sentence_at(at)
        if label in _FIELD_PREDICATES:
            predicate, datatype = _FIELD_PREDICATES[label]
            if datatype == "decimal":
                number = re.search(r"\d[\d,]*(?:\.\d+)?", value)
                if number is None:
                    continue
                currency = re.search(r"\b(USD|EUR|CAD|CHF|GBP|JPY|MXN)\b|US\$", value)
                if currency and label not in _IN_USD:
                    add(title_project, "currency", currency.group(1) or "USD", sent, "fields", 1.0, datatype="string")
                value = number.group(0).replace(",", "")
            if datatype == "gYear" and not re.fullmatch(r"\d{4}", value):
                datatype, value = _field_date(value)
            add(title_project, predicate, value, sent, "fields", 1.0, datatype=datatype)
            if label in _IN_USD:
                add(title_project, "currency", "USD", sent, "fields", 1.0, datatype="string")
        elif label == "Benefiting Member States":
            for c, k in d.within(sent.start, sent.end, ("Country",)):
                add(title_project, "benefits", k, sent, "fields", 1.0)
        elif label in ("Donor", "Donors", "Funding Source"):
            for c, k in d.within(sent.start, sent.end, ("Country",)):
                actor = _actor_key(d, c, k, None)
                if actor:
                    add(actor, "funds", title_project, sent, "fields", 1.0)
            for c, k in d.within(sent.start, sent.end, ACTOR):
                add(k, "funds", title_project, sent, "fields", 1.0)
        elif label in ("Implementing Partners", "Partners"):
            for c, k in d.within(sent.start, sent.end, ("Organization",)):
                add(k, "implements", title_project, sent, "fields", 1.0)
        elif label == "Location":
            for c, k in d.within(sent.start, sent.end, ("Municipality", "Department", "Country")):
                add(title_project, "benefits", k, sent, "fields", 1.0)
        elif label == "IDF Region":
            # Projects listed with an IDF Region are IOM Development Fund projects.
            _ensure_known(d, "idf")
            add("FundingSource/idf", "funds", title_project, sent, "fields:idf", 0.95)
    if doc.kind == "project_page":
        # The project pages kg reads are IOM's (iom.int): they describe IOM projects.
        _ensure_known(d, "iom")
        add("Organization/iom", "implements", title_project, doc.sentences[0], "fields:iom-project-page", 0.9)


def _field_date(value: str) -> tuple[str, str]:
    """(XSD type, value) of a date field as precise as it is written: "2025-06-01" or "01/06/2025" (date),
    "September 2024" (gYearMonth), "2024" (gYear)."""
    from kg.metadata import parse_date, parse_month

    if day := parse_date(value):
        return "date", day
    if month := parse_month(value):
        return "gYearMonth", month
    m = re.search(r"\b(\d{4})\b", value)
    return "gYear", m.group(1) if m else value


def _ensure_known(d: _Doc, org_id: str) -> None:
    from kg.gazetteer import load

    org = load().orgs[org_id]
    key = f"{org.cls}/{org.id}"
    if key not in d.entities:
        d.entities[key] = Entity(key=key, cls=org.cls, label=org.name, alt_labels=org.acronyms,
                                 attributes={"org": org.id, "derived": True})


def _hierarchy(d: _Doc, add, ex) -> None:
    """Offices belong to their organization; places to their department and country (gazetteer)."""
    for k, e in list(d.entities.items()):
        parent_org = e.attributes.get("parent_org")
        if parent_org and parent_org in ex.gaz.orgs:
            _ensure_known(d, parent_org)
            first = e.mentions[0] if e.mentions else None
            if first:
                add(k, "subOrganizationOf", f"{ex.gaz.orgs[parent_org].cls}/{parent_org}",
                    d.doc.sentence_at(first.start), "rule:office", 0.9)
