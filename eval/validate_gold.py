"""Check the gold annotations in eval/gold/ against the guidelines in eval/README.md.

Run from anywhere: python eval/validate_gold.py  (exit code 1 and one line per problem on failure).
Standard library only, so it runs before the package is installed.
"""
import html
import json
import pathlib
import re
import sys

EVAL = pathlib.Path(__file__).resolve().parent
DOC_DIRS = [EVAL / "docs", EVAL.parent.parent / "shared" / "corpus" / "seeds"]
CLASSES = {"Organization", "Person", "Project", "FundingSource", "Municipality", "Department", "Country"}
PLACES = {"Municipality", "Department", "Country"}
# predicate -> (allowed subject classes, allowed object classes)
PREDICATES = {
    "funds": ({"Organization", "FundingSource"}, {"Project"}),
    "implements": ({"Organization"}, {"Project"}),
    "benefits": ({"Project"}, PLACES | {"Organization"}),
    "affiliatedWith": ({"Person"}, {"Organization"}),
}
FIELD_KEYS = {"budget", "currency", "start", "end", "status", "identifiers"}


def find_document(name):
    for folder in DOC_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None


def check(path):
    problems = []
    say = lambda msg: problems.append(f"{path.name}: {msg}")
    try:
        gold = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return [f"{path.name}: not valid JSON ({exc})"]
    if set(gold) != {"document", "entities", "relations", "project_fields"}:
        say(f"top-level keys are {sorted(gold)}; expected document, entities, relations, project_fields")
    doc = gold.get("document", "")
    if doc.rsplit(".", 1)[0] != path.stem:
        say(f"document {doc!r} does not match the file name")
    doc_path = find_document(doc)
    text = None
    if doc_path is None:
        say(f"document {doc!r} not found in {', '.join(str(d) for d in DOC_DIRS)}")
    else:
        text = doc_path.read_text(encoding="utf-8")
        if doc_path.suffix == ".html":
            text = html.unescape(text)
        text = re.sub(r"\s+", " ", text)

    entities = gold.get("entities", [])
    classes_of = {}
    for e in entities:
        if e.get("class") not in CLASSES:
            say(f"entity {e.get('name')!r}: class {e.get('class')!r} is not one of {sorted(CLASSES)}")
        classes_of.setdefault(e.get("name"), set()).add(e.get("class"))
        extra = set(e) - {"class", "name", "aliases", "role", "affiliation"}
        if extra:
            say(f"entity {e.get('name')!r}: unknown keys {sorted(extra)}")
        if e.get("class") != "Person" and ({"role", "affiliation"} & set(e)):
            say(f"entity {e.get('name')!r}: role/affiliation only belong on a Person")
        if text is not None:
            for alias in e.get("aliases", []):
                if alias not in text:
                    say(f"entity {e.get('name')!r}: alias {alias!r} does not occur in the document")
    keys = [(e.get("class"), e.get("name")) for e in entities]
    if len(keys) != len(set(keys)):
        say("duplicate (class, name) entity")
    if keys != sorted(keys):
        say("entities are not sorted by (class, name)")

    def resolve(rel, role):
        name = rel.get(role)
        cls = rel.get(role + "_class")
        found = classes_of.get(name, set())
        if not found:
            say(f"relation {rel}: {role} {name!r} is not an entity of this file")
            return None
        if cls is None and len(found) > 1:
            say(f"relation {rel}: {role} {name!r} is ambiguous ({sorted(found)}); add {role}_class")
            return None
        if cls is not None and cls not in found:
            say(f"relation {rel}: no {cls} named {name!r}")
            return None
        return cls or next(iter(found))

    relations = gold.get("relations", [])
    for rel in relations:
        pred = rel.get("predicate")
        if pred not in PREDICATES:
            say(f"relation {rel}: predicate {pred!r} is not one of {sorted(PREDICATES)}")
            continue
        s_cls, o_cls = resolve(rel, "subject"), resolve(rel, "object")
        allowed_s, allowed_o = PREDICATES[pred]
        if s_cls and s_cls not in allowed_s:
            say(f"relation {rel}: a {s_cls} cannot be the subject of {pred}")
        if o_cls and o_cls not in allowed_o:
            say(f"relation {rel}: a {o_cls} cannot be the object of {pred}")
    order = [(r.get("predicate"), r.get("subject"), r.get("object")) for r in relations]
    if order != sorted(order):
        say("relations are not sorted by (predicate, subject, object)")
    if len({json.dumps(r, sort_keys=True) for r in relations}) != len(relations):
        say("duplicate relation")

    affiliations = {(r["subject"], r["object"]) for r in relations if r.get("predicate") == "affiliatedWith"}
    for e in entities:
        if e.get("class") == "Person" and "affiliation" in e:
            if "Organization" not in classes_of.get(e["affiliation"], set()):
                say(f"person {e['name']!r}: affiliation {e['affiliation']!r} is not an Organization of this file")
            if (e["name"], e["affiliation"]) not in affiliations:
                say(f"person {e['name']!r}: no affiliatedWith relation to {e['affiliation']!r}")

    for project, fields in gold.get("project_fields", {}).items():
        if "Project" not in classes_of.get(project, set()):
            say(f"project_fields: {project!r} is not a Project of this file")
        if set(fields) - FIELD_KEYS:
            say(f"project_fields {project!r}: unknown keys {sorted(set(fields) - FIELD_KEYS)}")
    return problems


def main():
    files = sorted((EVAL / "gold").glob("*.json"))
    problems = [p for f in files for p in check(f)]
    for p in problems:
        print(p)
    print(f"{len(files)} gold files, {len(problems)} problems", file=sys.stderr)
    return 1 if problems or not files else 0


if __name__ == "__main__":
    sys.exit(main())
