"""Read .txt, .html/.htm and .md files (and folders of them) into clean `Document`s."""

from __future__ import annotations

import codecs
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from kg import gazetteer, metadata
from kg.errors import InputError
from kg.model import Contact, Document
from kg.sentences import split_sentences
from kg.textclean import normalise, rejoin, strip_navigation

FORMATS = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
# Bytes read from one file at most; the rest is cut with a warning.
MAX_BYTES = 50_000_000


@dataclass(frozen=True)
class Skipped:
    """A file that was not read, and why."""

    path: str
    reason: str


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | Skipped]:
    """Supported files under `paths`, recursively and sorted; symlinked folders are entered once."""
    seen_dirs: set[str] = set()
    for path in (Path(p) for p in paths):
        if path.is_dir():
            yield from _walk(path, seen_dirs)
        elif path.is_file():
            if path.suffix.lower() in FORMATS:
                yield path
            else:
                yield Skipped(str(path), f"unsupported file type '{path.suffix}'; expected one of {', '.join(sorted(FORMATS))}")
        elif path.is_symlink():
            yield Skipped(str(path), "broken symbolic link")
        else:
            yield Skipped(str(path), "no such file or folder")


def _walk(root: Path, seen_dirs: set[str]) -> Iterator[Path | Skipped]:
    real = os.path.realpath(root)
    if real in seen_dirs:
        return  # a symlink loop or a folder reached twice
    seen_dirs.add(real)
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        yield Skipped(str(root), f"cannot list folder ({exc.strerror})")
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=True):
            yield from _walk(path, seen_dirs)
        elif entry.is_file(follow_symlinks=True) and path.suffix.lower() in FORMATS:
            yield path
        elif entry.is_symlink() and not path.exists():
            yield Skipped(str(path), "broken symbolic link")


def read_documents(paths: Iterable[str | Path]) -> Iterator[Document | Skipped]:
    """Every supported file under `paths` as a Document, or as Skipped with the reason."""
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            yield item
            continue
        try:
            yield read_document(item)
        except InputError as exc:
            yield Skipped(exc.path, exc.reason)


def read_document(path: str | Path) -> Document:
    """One file as a Document; raises InputError naming the file and the reason."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(str(path), f"cannot read ({exc.strerror})") from None
    warnings: list[str] = []
    if len(data) > MAX_BYTES:
        data = data[:MAX_BYTES]
        warnings.append(f"larger than {MAX_BYTES // 1_000_000} MB; only the first {MAX_BYTES // 1_000_000} MB were read")
    text, decode_warning = decode(data, str(path))
    if decode_warning:
        warnings.append(decode_warning)
    fmt = FORMATS.get(path.suffix.lower(), "text")
    try:
        title_hint, lines = _LINES[fmt](text)
    except RecursionError:
        raise InputError(str(path), "HTML nested too deeply to parse") from None
    doc = assemble(lines, title_hint=title_hint, doc_id=hashlib.sha256(data).hexdigest()[:16], source=str(path))
    return replace(doc, content_hash=hashlib.sha256(data).hexdigest(), warnings=tuple(warnings))


def decode(data: bytes, path: str) -> tuple[str, str]:
    """The text of `data` and a warning ("" if none); InputError for empty or binary files."""
    if not data.strip():
        raise InputError(path, "empty file" if not data else "no text (whitespace only)")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), ""
            except UnicodeDecodeError:
                raise InputError(path, f"not valid {encoding.upper()} although it starts with its byte order mark") from None
    if b"\x00" in data[:4096] or _control_ratio(data[:4096]) > 0.1:
        raise InputError(path, "binary file, not text")
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return data.decode("cp1252", errors="replace"), f"not UTF-8 (line {line}); read as Windows-1252/Latin-1"


def _control_ratio(sample: bytes) -> float:
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / max(1, len(sample))


def _text_lines(text: str) -> tuple[str, list[str]]:
    return "", normalise(text).split("\n")


_LIST_ITEM = re.compile(r"^\s*(?:[-+*]|\d{1,3}[.)])\s+")


def _markdown_lines(text: str) -> tuple[str, list[str]]:
    title = ""
    lines: list[str] = []
    in_code = False
    for raw in normalise(text).split("\n"):
        line = raw.strip()
        if line.startswith("```"):
            in_code = not in_code
            continue
        if re.fullmatch(r"[-*_=]{3,}", line):
            lines.append("")
            continue
        heading = re.match(r"#{1,6}\s+(.*)", line)
        line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)
        line = re.sub(r"(\*\*|__|\*|`)", "", line)
        line = re.sub(r"^(?:>\s*)+|^[-+]\s+", "", line)
        if _LIST_ITEM.match(raw) and lines and lines[-1]:
            lines.append("")
        if heading:
            text_ = re.sub(r"#{1,6}\s+", "", line).strip()
            if not title:
                title = text_
            lines.extend(["", text_, ""])
        elif not line:
            lines.append("")
        elif _LIST_ITEM.match(raw):
            lines.extend([line, ""])  # each list item is a paragraph of its own
        elif lines and lines[-1] and not in_code:
            lines[-1] = f"{lines[-1]} {line}"  # soft line break inside a Markdown paragraph
        else:
            lines.append(line)
    return title, lines


_BLOCK_TAGS = ("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table",
               "section", "article", "blockquote", "pre", "dd", "dt", "dl", "figcaption", "main", "address", "hr")
_HIDDEN_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "object", "embed", "nav",
                "header", "footer", "aside", "form", "button", "select", "head", "math")


def _html_lines(text: str) -> tuple[str, list[str]]:
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(text, "lxml")
    title_tag = soup.find("h1") or soup.find("title")
    title = " ".join(title_tag.get_text(" ").split()) if title_tag else ""
    for tag in soup.find_all(_HIDDEN_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for string in soup.find_all(string=True):
        if "\n" in string:
            string.replace_with(string.replace("\n", " "))
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [" ".join(line.split()) for line in normalise(soup.get_text()).split("\n")]
    # Paragraphs of HTML are never hard-wrapped: a blank line after each keeps them apart.
    spaced: list[str] = []
    for line in lines:
        if line:
            spaced.extend([line, ""])
    return title, spaced


_LINES = {"text": _text_lines, "markdown": _markdown_lines, "html": _html_lines}


def assemble(lines: list[str], *, title_hint: str, doc_id: str, source: str) -> Document:
    """Build a Document from the visible lines of a page (navigation still in)."""
    lines, facts = strip_navigation(lines)
    while lines and not lines[0].strip():
        lines.pop(0)
    title = title_hint.strip()
    if lines and _is_headline(lines[0]) and (not title or " ".join(lines[0].split()) == title):
        title = " ".join(lines.pop(0).split())
    fields, lines = metadata.parse_fields(lines)
    if not fields and title:
        fields, lines = metadata.parse_unlabelled_fields(lines, _is_country)
    paragraphs = rejoin(lines)
    contact_at = metadata.find_contact_block(paragraphs)
    # The contact block keeps its lines (name / office / phone) apart: re-split it from the source lines.
    contact_lines = _contact_lines(lines, paragraphs[contact_at]) if contact_at < len(paragraphs) else []
    body = paragraphs[:contact_at]
    text = "\n".join([title, *body, *contact_lines]) if title else "\n".join([*body, *contact_lines])
    if not title and body:
        # No headline (e.g. "Date Publish:" captures): the first sentence names the document, not the text.
        first = split_sentences(body[0])
        title = body[0][first[0].start : first[0].end][:150] if first else ""
    if len(" ".join(body).split()) < 3:
        raise InputError(source, "no usable text (only navigation, markup or a title)")
    contacts = metadata.parse_contacts(contact_lines, is_office, gazetteer.load().is_place) if contact_lines else ()
    contacts = tuple(_locate(c, text, len(text) - len("\n".join(contact_lines))) for c in contacts)
    date = metadata.parse_date(facts.get("date", "")) or metadata.release_date(text)
    return Document(
        id=doc_id,
        source=source,
        title=title,
        text=text,
        sentences=split_sentences(text),
        kind="project_page" if len(fields) >= 3 else "news",
        date=date,
        dateline=metadata.parse_dateline(body[0]) if body else "",
        fields=fields,
        contacts=contacts,
    )


def _is_headline(line: str) -> bool:
    line = line.strip()
    return 0 < len(line) <= 200 and not line.endswith((".", ",", ";")) and not metadata.parse_dateline(line)


def _contact_lines(lines: list[str], first_paragraph: str) -> list[str]:
    """Source lines from the one that opens the contact block to the end."""
    opening = first_paragraph.split()[:4]
    for i, line in enumerate(lines):
        if line.split()[:4] == opening:
            return [" ".join(l.split()) for l in lines[i:] if l.strip() and l.strip() != "-"]
    return [first_paragraph]


def _locate(contact: Contact, text: str, block_start: int) -> Contact:
    at = text.find(contact.name, max(0, block_start - 1))
    return replace(contact, start=at)


_OFFICE = re.compile(
    r"^(?:[A-Z]{2,}\b|UN\b)|\b(?:Office|Mission|Ministry|Embassy|Agency|Council|Organi[sz]ation|Programme|Program|"
    r"Government|Secretariat|Directorate|Foundation|Association|Institute|Department|Bureau|Coordinator's)\b"
)


def _is_country(text: str) -> bool:
    return any(p.cls == "Country" for p in gazetteer.load().places_named(text))


def is_office(text: str) -> bool:
    """Does this piece of a contact block name an office rather than a person?"""
    return bool(_OFFICE.search(text))
