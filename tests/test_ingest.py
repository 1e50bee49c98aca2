"""Ingestion: the shipped sample documents, HTML and Markdown, folders, and bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kg.ingest import FORMATS, Skipped, iter_files, read_document, read_documents

NAV_LABELS = (
    "Who we are", "WHO WE ARE", "Our Work", "What We Do", "Partnerships", "Highlights", "Where we work",
    "Take Action", "Work with us", "Get involved", "Data and Research", "2030 Agenda",
)
# The text under "WHO WE ARE" / "Our Work" in the site navigation.
NAV_BLURB = "the leading inter-governmental organization promoting since 1951"

D000, D001, D002, D003, D004 = (
    "000_fcf440579cd8874a.txt", "001_f895a70f8baf4d0d.txt", "002_a7675c9ddf4547aa.txt",
    "003_62dc29989b251171.txt", "004_962b5e81544c477f.txt",
)


# --- The shipped sample corpus --------------------------------------------------------------------

def test_sample_corpus_is_the_one_the_readme_describes(seed_files, readme_titles):
    assert [p.name for p in seed_files] == [D000, D001, D002, D003, D004]
    assert sorted(readme_titles) == [p.name for p in seed_files]


def test_every_sample_document_is_read(sample_docs, seed_files):
    assert sorted(sample_docs) == [p.name for p in seed_files]
    for name, doc in sample_docs.items():
        assert doc.text.strip(), name
        assert doc.warnings == (), (name, doc.warnings)
        assert len(doc.id) == 16 and len(doc.content_hash) == 64
        assert doc.content_hash.startswith(doc.id)


@pytest.mark.parametrize("label", NAV_LABELS)
def test_navigation_block_is_gone(sample_docs, label):
    for name, doc in sample_docs.items():
        assert label not in doc.text, f"{label!r} left in {name}"
        lines = {line.strip().lstrip("-").strip().casefold() for line in doc.text.split("\n")}
        assert label.casefold() not in lines, f"navigation line {label!r} left in {name}"


def test_navigation_blurb_is_gone(sample_docs, seed_files):
    # The raw files do carry it, so this is not vacuous.
    assert all(NAV_BLURB in p.read_text(encoding="utf-8") for p in seed_files)
    for name, doc in sample_docs.items():
        assert NAV_BLURB not in doc.text, name
        assert not doc.text.startswith("-"), name


def test_titles_are_the_headlines(sample_docs, readme_titles):
    for name, doc in sample_docs.items():
        kind, title = readme_titles[name]
        assert doc.title == title, name
        # The headline is the first line of the text, and is not repeated below it.
        assert doc.text.split("\n")[0] == title, name
        assert doc.text.count(title) == 1, name


def test_kinds_match_the_readme(sample_docs, readme_titles):
    expected = {"news release": "news", "project page": "project_page"}
    for name, doc in sample_docs.items():
        assert doc.kind == expected[readme_titles[name][0]], name


def test_hard_wrapped_lines_are_rejoined(sample_docs):
    text = sample_docs[D000].text
    lines = text.split("\n")
    assert "in the United States, especially in Washington" in text
    assert ("Reaching out to the diaspora to engage them in the development of their countries of origin "
            "has moved to the top of the agendas of sending countries.") in lines
    assert any(line.startswith("A new IOM pilot project, being launched today in San Salvador during a conference")
               and line.endswith("the cities with the largest Salvadorian communities.") for line in lines)
    # No line of the body stops in the middle of a sentence, as the wrapped source lines did.
    body = lines[1:lines.index("For more information contact")]
    for line in body:
        assert line.rstrip().endswith((".", '"', ":")), line


def test_mailto_remnant_is_gone_and_the_address_stays(sample_docs):
    doc = sample_docs[D000]
    for remnant in ("mailto", "target=", "_blank", "title=", '"">', "<", ">"):
        assert remnant not in doc.text, remnant
    lines = doc.text.split("\n")
    assert "ngiron@iom.un.hn" in lines
    assert "bfernandez@iom.int" in lines


def test_project_page_fields(sample_docs):
    doc = sample_docs[D004]
    assert doc.kind == "project_page"
    assert doc.fields == {
        "Start Date": "2017",
        "End Date": "2018",
        "Project Status": "Completed",
        "Project Type": "Return Assist to Migrants and Government",
        "Budget Amount (USD)": "103058.00",
        "Coverage": "National",
        "Year": "2016",
        "IDF Region": "Latin America and the Caribbean",
        "Prima ID": "SV10P0003",
        "Projects ID": "RT.1297",
        "Benefiting Member States": "El Salvador",
    }
    lines = doc.text.split("\n")
    for label, value in doc.fields.items():
        assert f"{label}: {value}" in lines
    # The description after the fields is body text, not a field value.
    assert any(line.startswith("El Salvador has one of the highest number of returned migrants") for line in lines)


def test_news_releases_have_no_fields(sample_docs):
    for name in (D000, D001, D002, D003):
        assert sample_docs[name].kind == "news"
        assert sample_docs[name].fields == {}


@pytest.mark.parametrize("name, dateline", [(D000, ""), (D001, "El Salvador"), (D002, "San Salvador"),
                                            (D003, "Usulután"), (D004, "")])
def test_datelines(sample_docs, name, dateline):
    assert sample_docs[name].dateline == dateline


def _contacts(doc):
    return [(c.name, c.office, c.phones, c.emails) for c in doc.contacts]


def test_contacts_000(sample_docs):
    assert _contacts(sample_docs[D000]) == [
        ("Norberto Girón", "IOM San Salvador", ("(503) 2-263-2593",), ("ngiron@iom.un.hn",)),
        ("Berta Fernandez", "IOM Washington", ("1.202.862.1826 Ext 234",), ("bfernandez@iom.int",)),
    ]


def test_contacts_001(sample_docs):
    assert _contacts(sample_docs[D001]) == [
        ("Adriana Granados", "IOM El Salvador", ("503 2 25 21 05 35",), ("agranados@iom.int",)),
    ]


def test_contacts_002(sample_docs):
    assert _contacts(sample_docs[D002]) == [
        ("José Miguel Gómez", "IOM El Salvador", (), ("miggomez@iom.int",)),
        ("Alba Miriam Amaya", "IOM El Salvador, Guatemala and Honduras", (), ("aamaya@iom.int",)),
        ("Carlos León", "UN Resident Coordinator's Office, El Salvador", (), ("carlos.leon@one.un.org",)),
    ]


def test_contacts_003(sample_docs):
    assert _contacts(sample_docs[D003]) == [
        ("José Miguel Gómez", "IOM El Salvador", ("+50325210500",), ("miggomez@iom.int",)),
        ("Alba Miriam Amaya", "IOM El Salvador", ("+50325210500",), ("aamaya@iom.int",)),
    ]


def test_project_page_has_no_contacts(sample_docs):
    assert sample_docs[D004].contacts == ()


def test_contact_offsets_point_at_the_names(sample_docs):
    n = 0
    for name, doc in sample_docs.items():
        for contact in doc.contacts:
            assert contact.start >= 0, (name, contact)
            assert doc.text[contact.start:contact.start + len(contact.name)] == contact.name
            n += 1
    assert n == 8


def test_sentence_spans(sample_docs):
    for name, doc in sample_docs.items():
        assert len(doc.sentences) > 5, name
        previous_end = 0
        for span in doc.sentences:
            assert 0 <= span.start < span.end <= len(doc.text), (name, span)
            assert span.start >= previous_end, f"{name}: {span} overlaps or is out of order"
            sentence = doc.text[span.start:span.end]
            assert sentence == sentence.strip(), (name, sentence)
            assert "\n" not in sentence, (name, sentence)  # newlines are hard boundaries
            previous_end = span.end


def test_sentence_split_of_a_known_paragraph(sample_docs):
    doc = sample_docs[D002]
    sentences = [doc.text[s.start:s.end] for s in doc.sentences]
    assert ("The project is expected to directly benefit 70 economic initiatives in Guazapa and Mejicanos, "
            "in San Salvador department, as well as Quezaltepeque, in La Libertad.") in sentences
    # "(17/04)" and "UN" do not end a sentence.
    assert any(s.startswith("San Salvador – The Ministry of Foreign Affairs") and s.endswith("needs of returnees.")
               for s in sentences)


def test_document_json_round_trip(sample_docs):
    from kg.model import Document

    for doc in sample_docs.values():
        assert Document.from_json(doc.to_json()) == doc


# --- HTML and Markdown ----------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Site | IOM opens an office</title>
<style>body { color: red; } .STYLETEXT { display: none }</style>
<script>var secret = "SCRIPTTEXT"; document.write("<p>SCRIPTPARA</p>");</script>
</head><body>
<nav><ul><li><a href="/who-we-are">Who we are</a></li><li><a href="/x">NAVLINK</a></li></ul></nav>
<h1>IOM Opens an Office in Guazapa</h1>
<p>San Salvador &ndash; The International Organization for Migration opened an office in Guazapa,
working with the municipality on the reintegration of returned migrants.</p>
<!-- COMMENTTEXT -->
<p>The project is funded by <a href="https://www.usaid.gov">USAID</a> &amp; benefits Mejicanos.</p>
<script type="text/javascript">alert("MORESCRIPT");</script>
<footer>FOOTERTEXT</footer>
</body></html>
"""


def test_html_keeps_only_the_visible_article_text(tmp_path):
    path = tmp_path / "release.html"
    path.write_text(HTML, encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "IOM Opens an Office in Guazapa"
    assert doc.text.split("\n") == [
        "IOM Opens an Office in Guazapa",
        "San Salvador – The International Organization for Migration opened an office in Guazapa, "
        "working with the municipality on the reintegration of returned migrants.",
        "The project is funded by USAID & benefits Mejicanos.",
    ]
    for hidden in ("SCRIPT", "secret", "alert", "color", "STYLETEXT", "NAVLINK", "Who we are", "COMMENTTEXT",
                   "FOOTERTEXT", "<", ">", "&ndash;", "&amp;"):
        assert hidden not in doc.text, hidden
    assert doc.dateline == "San Salvador"
    assert doc.kind == "news"


def test_htm_extension_and_upper_case_are_html(tmp_path):
    path = tmp_path / "RELEASE.HTM"
    path.write_text(HTML, encoding="utf-8")
    assert "SCRIPTTEXT" not in read_document(path).text


MARKDOWN = """# IOM Supports Returnees in Mejicanos

San Salvador – The [International Organization for Migration](https://www.iom.int) launched a **project**
in Mejicanos with support from [USAID](https://www.usaid.gov "USAID").

![a photo](photo.jpg)

## Background

The Mayor of Mejicanos welcomed the *initiative*.
"""


def test_markdown_heading_is_the_title_and_links_are_their_text(tmp_path):
    path = tmp_path / "release.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "IOM Supports Returnees in Mejicanos"
    lines = doc.text.split("\n")
    assert lines[0] == "IOM Supports Returnees in Mejicanos"
    assert ("San Salvador – The International Organization for Migration launched a project in Mejicanos "
            "with support from USAID.") in lines
    assert "The Mayor of Mejicanos welcomed the initiative." in lines
    for markup in ("](", "http", "#", "**", "*", "![", "photo.jpg"):
        assert markup not in doc.text, markup
    assert doc.dateline == "San Salvador"


@pytest.mark.parametrize("items", ["- first item in Guazapa\n- second item in Mejicanos\n",
                                   "1. First item in Guazapa\n2. Second item in Mejicanos\n"])
def test_markdown_list_items_stay_apart(tmp_path, items):
    path = tmp_path / "list.md"
    path.write_text(f"# IOM Supports Returnees\n\nThe project has two parts in San Salvador:\n\n{items}",
                    encoding="utf-8")
    doc = read_document(path)
    lines = doc.text.split("\n")
    first = next(line for line in lines if "Guazapa" in line)
    assert "Mejicanos" not in first, doc.text


# --- Folders --------------------------------------------------------------------------------------

def _tree(root: Path, seed_files: list[Path]) -> None:
    (root / "b" / "c").mkdir(parents=True)
    (root / "a.txt").write_bytes(seed_files[0].read_bytes())
    (root / "b" / "z.md").write_text("# Title Here\n\nIOM works in San Salvador with partners.\n", encoding="utf-8")
    (root / "b" / "c" / "y.html").write_text("<h1>Heading</h1><p>IOM works in Guazapa with partners.</p>",
                                             encoding="utf-8")
    (root / "b" / "c" / "x.txt").write_bytes(seed_files[1].read_bytes())
    (root / "c.txt").write_bytes(seed_files[2].read_bytes())
    # Unsupported extensions and hidden files inside a folder are ignored.
    (root / "b" / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (root / "b" / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    (root / "b" / "notes.docx").write_bytes(b"PK\x03\x04")
    (root / ".hidden.txt").write_text("IOM works in San Salvador with many partners.", encoding="utf-8")


def test_folder_is_read_recursively_and_sorted(tmp_path, seed_files):
    _tree(tmp_path, seed_files)
    found = list(iter_files([tmp_path]))
    assert all(isinstance(p, Path) for p in found), found
    rel = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rel == ["a.txt", "b/c/x.txt", "b/c/y.html", "b/z.md", "c.txt"]


def test_symlink_loop_neither_hangs_nor_duplicates(tmp_path, seed_files):
    _tree(tmp_path, seed_files)
    os.symlink(tmp_path, tmp_path / "b" / "c" / "loop")  # a folder linked to an ancestor
    os.symlink(tmp_path / "b", tmp_path / "b" / "again")  # a folder linked to its parent
    found = list(iter_files([tmp_path]))
    assert not [s for s in found if isinstance(s, Skipped)], found
    real = [os.path.realpath(p) for p in found]
    assert len(real) == len(set(real)) == 5
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a.txt", "b/c/x.txt", "b/c/y.html", "b/z.md", "c.txt"]
    docs = list(read_documents([tmp_path]))
    assert len(docs) == 5 and not [d for d in docs if isinstance(d, Skipped)]


def test_unsupported_file_named_explicitly_is_skipped_with_reason(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("a,b\n", encoding="utf-8")
    [item] = list(iter_files([path]))
    assert item == Skipped(str(path), f"unsupported file type '.csv'; expected one of {', '.join(sorted(FORMATS))}")


def test_missing_path_and_broken_link_are_skipped(tmp_path):
    os.symlink(tmp_path / "nowhere.txt", tmp_path / "broken.txt")
    items = list(iter_files([tmp_path / "missing.txt", tmp_path]))
    assert items == [Skipped(str(tmp_path / "missing.txt"), "no such file or folder"),
                     Skipped(str(tmp_path / "broken.txt"), "broken symbolic link")]


# --- Bad input ------------------------------------------------------------------------------------

LATIN1_TEXT = "Gestión de la migración en San Salvador. El proyecto beneficia a Mejicanos."


def navigation_only(seed: Path) -> bytes:
    """The iom.int navigation block of a real sample document, and nothing else."""
    lines = seed.read_text(encoding="utf-8").split("\n")
    return ("\n".join(lines[: lines.index("- 2030 Agenda") + 1]) + "\n").encode("utf-8")


def bad_files(folder: Path, seed: Path) -> dict[str, str]:
    """Write each kind of bad file to `folder`; file name -> the exact Skipped.reason expected."""
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_bytes(b"  \n\t\r\n   \n")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(256))
    (folder / "navigation.txt").write_bytes(navigation_only(seed))
    return {
        "empty.txt": "empty file",
        "blank.txt": "no text (whitespace only)",
        "binary.txt": "binary file, not text",
        "navigation.txt": "no usable text (only navigation, markup or a title)",
    }


def test_bad_files_are_skipped_with_exact_reasons(tmp_path, seed_files):
    expected = bad_files(tmp_path, seed_files[0])
    items = list(read_documents([tmp_path]))
    assert all(isinstance(i, Skipped) for i in items), items
    assert {Path(i.path).name: i.reason for i in items} == expected
    assert all(Path(i.path).parent == tmp_path for i in items)


@pytest.mark.parametrize("name", ["empty.txt", "blank.txt", "binary.txt", "navigation.txt"])
def test_read_document_raises_input_error_naming_the_file(tmp_path, seed_files, name):
    from kg.errors import InputError

    expected = bad_files(tmp_path, seed_files[0])
    with pytest.raises(InputError) as info:
        read_document(tmp_path / name)
    assert info.value.reason == expected[name]
    assert info.value.path == str(tmp_path / name)
    assert str(info.value) == f"{tmp_path / name}: {expected[name]}"


def test_latin1_file_is_read_with_a_warning(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(LATIN1_TEXT.encode("latin-1"))
    [doc] = list(read_documents([path]))
    assert not isinstance(doc, Skipped), doc
    assert len(doc.warnings) == 1
    assert doc.warnings[0].startswith("not UTF-8 (line 1); read as Windows-1252/Latin-1")
    assert LATIN1_TEXT in doc.text
    assert "\ufffd" not in doc.text


def test_latin1_warning_names_the_first_bad_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(("IOM in El Salvador\n\nThe first line is plain ASCII text here.\n" + LATIN1_TEXT).encode("latin-1"))
    doc = read_document(path)
    assert doc.warnings[0].startswith("not UTF-8 (line 4); read as Windows-1252/Latin-1")
    assert "Gestión de la migración" in doc.text


def test_utf8_bom_and_crlf_are_handled(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "IOM Opens an Office\r\n\r\nSan Salvador – IOM opened an office in Guazapa.\r\n"
                     .encode("utf-8"))
    doc = read_document(path)
    assert doc.warnings == ()
    assert doc.title == "IOM Opens an Office"
    assert "\ufeff" not in doc.text and "\r" not in doc.text
    assert doc.dateline == "San Salvador"


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_document_without_headline_does_not_repeat_its_first_sentence(tmp_path, encoding):
    # The first sentence names the document; the text holds it once (else its mentions count twice).
    path = tmp_path / "no-headline.txt"
    path.write_bytes(LATIN1_TEXT.encode(encoding))
    doc = read_document(path)
    assert doc.title == "Gestión de la migración en San Salvador."
    assert doc.text == LATIN1_TEXT


@pytest.mark.parametrize("suffix, heading", [(".md", "## Partners"), (".txt", "Partners")])
def test_section_heading_named_like_a_field_is_not_a_field(tmp_path, suffix, heading):
    path = tmp_path / f"release{suffix}"
    path.write_text("IOM Supports Returnees in Mejicanos\n\nSan Salvador – IOM launched a project in Mejicanos "
                    "with the municipality.\n\n"
                    f"{heading}\n\nThe Mayor of Mejicanos welcomed the initiative of the organization.\n",
                    encoding="utf-8")
    doc = read_document(path)
    assert doc.fields == {}
    assert "The Mayor of Mejicanos welcomed the initiative of the organization." in doc.text.split("\n")


@pytest.mark.parametrize("suffix, head, stated", [
    (".html", "<h1>IOM and USAID Open Youth Centre in Quetzaltenango</h1>\n<p class=\"date\">15 March 2023</p>",
     "2023-03-15"),
    (".md", "# IOM and USAID Open Youth Centre in Quetzaltenango\n\n*Wednesday, March 15, 2023*", "2023-03-15"),
    (".txt", "IOM and USAID Open Youth Centre in Quetzaltenango\n2023-03-15", "2023-03-15"),
])
def test_a_date_line_under_the_headline_is_the_release_date(tmp_path, suffix, head, stated):
    """A line that is only a date, right under the headline, is the document's date and not its first paragraph
    (which keeps its dateline)."""
    body = ("Quetzaltenango – USAID and IOM today opened a youth centre in the municipality of Olintepeque.\n\n"
            "The centre will be run by the Municipality of Olintepeque.\n")
    text = f"{head}\n\n{body}" if suffix != ".html" else f"<html><body><article>{head}\n<p>{body}</p></article></body></html>"
    path = tmp_path / f"release{suffix}"
    path.write_text(text, encoding="utf-8")
    doc = read_document(path)
    assert doc.title == "IOM and USAID Open Youth Centre in Quetzaltenango"
    assert doc.date == stated
    assert doc.dateline == "Quetzaltenango"
    assert "2023" not in doc.text


@pytest.mark.parametrize("paragraph, place, stated", [
    ("Tapachula, 4 May 2022 – IOM trained officials.", "Tapachula", "2022-05-04"),
    ("Washington, D.C., May 4, 2022 – The Department of State said.", "Washington, D.C.", "2022-05-04"),
    ("Quito, Ecuador, 12 March 2021 — IOM opened a centre.", "Quito, Ecuador", "2021-03-12"),
    ("Geneva, Switzerland – IOM said.", "Geneva, Switzerland", ""),
])
def test_a_dateline_may_carry_the_date(paragraph, place, stated):
    from kg.metadata import dateline, parse_dateline

    assert dateline(paragraph) == (place, stated)
    assert parse_dateline(paragraph) == place
