"""Extraction quality on the hand-annotated documents must not slide back.

The floors sit a little below the figures measured when they were set (`kg eval` prints them):
samples entity F1 0.965, relation F1 0.944; the 25 written documents 0.948 and 0.820. Three batches were added
later and scored before any rule was changed for them: e14-e19 0.920 and 0.549 (0.971 and 0.894 after the rules
written with them in view), e20-e25 0.876 and 0.529 (0.922 and 0.603 after; 0.860 and 0.451 with the code before
e14-e19), e26-e31 0.843 and 0.324 (0.901 and 0.721 after), e32-e37 0.807 and 0.172 (0.835 and 0.355 after; phrasings
chosen to be unlike every earlier one, and places in Costa Rica and Panama the gazetteer did not hold). e01-e31: 0.945
and 0.825; all 37 written documents: 0.923 and 0.754.
"""

from pathlib import Path

import pytest

from kg.evaluate import evaluate
from kg.settings import SAMPLE_CORPUS

ROOT = Path(__file__).resolve().parent.parent
FLOORS = {
    "samples": (0.95, 0.92),
    "eval": (0.91, 0.74),
}


@pytest.fixture(scope="module")
def results(extractor):
    return evaluate(ROOT / "eval" / "gold", [SAMPLE_CORPUS, ROOT / "eval" / "docs"], extractor=extractor)


@pytest.mark.parametrize("part", sorted(FLOORS))
def test_quality_does_not_slide_back(results, part):
    entity_floor, relation_floor = FLOORS[part]
    ev = results[part]
    assert ev.entity_f1 >= entity_floor, ev.table(part)
    assert ev.relation_f1 >= relation_floor, ev.table(part)


def test_project_page_fields_sit_on_the_project(results):
    ev = results["samples"]
    assert ev.fields_total == 7 and ev.fields_ok == 7, ev.table("samples")


def test_every_gold_file_has_its_document(results):
    assert not [e for e in results["all"].errors if e.startswith("no document")]
