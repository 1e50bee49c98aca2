"""Read .txt, .html/.htm and .md files (and folders of them) into clean `Document`s."""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from kg import gazetteer, metadata
from kg.errors import InputError
from kg.model import Contact, Document
from kg.sentences import split_sentences
from kg.textclean import normalise, rejoin, strip_navigation

FORMATS = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
# Bytes read from one file at most; the rest is cut with a warning. A web page with its scripts and
# styles is rarely over 2 MB; this bounds the memory and time spent on one file.
MAX_BYTES = 5_000_000
# Characters of clean text kept from one document; the rest is cut, at a line break, with a warning.
# A news release is 2,000-10,000 characters; this is some eighty pages. Extraction time grows about
# linearly with a document's length (releases run together: 1.4 s for 50,000 characters, 5.8 s for 200,000,
# 14.7 s for 400,000, on one core), so the cap bounds what one 30 MB file can cost a build.
MAX_CHARS = 200_000
# A page title or heading longer than this is not a title; it is cut at a word boundary.
MAX_TITLE = 200


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
                yield Skipped(display_path(path), f"unsupported file type '{display_path(path.suffix)}'; expected one of {', '.join(sorted(FORMATS))}")
        elif path.is_symlink():
            yield Skipped(display_path(path), _link_problem(path))
        elif os.path.lexists(path):
            yield Skipped(display_path(path), "not a regular file (a named pipe, socket or device)")
        else:
            yield Skipped(display_path(path), "no such file or folder")


def _walk(root: Path, seen_dirs: set[str]) -> Iterator[Path | Skipped]:
    real = os.path.realpath(root)
    if real in seen_dirs:
        return  # a symlink loop or a folder reached twice
    seen_dirs.add(real)
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        yield Skipped(display_path(root), f"cannot list folder ({exc.strerror})")
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
            is_file = not is_dir and entry.is_file(follow_symlinks=True)
        except OSError:  # a link to itself raises ELOOP instead of answering False
            is_dir = is_file = False
        if is_dir:
            yield from _walk(path, seen_dirs)
        elif path.suffix.lower() not in FORMATS:
            continue  # other files in a folder (images, data) are not documents
        elif is_file:
            yield path
        elif entry.is_symlink():
            yield Skipped(display_path(path), _link_problem(path))
        else:
            # Opening a named pipe would wait for a writer forever.
            yield Skipped(display_path(path), "not a regular file (a named pipe, socket or device)")


def display_path(path: str | Path) -> str:
    """`path` as one line of text that can be written anywhere.

    Bytes of a file name that are not UTF-8, and control characters (a newline in a name), become \\xNN.
    """
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return _CONTROL_IN_NAME.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


_CONTROL_IN_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _link_problem(path: Path) -> str:
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        return "broken symbolic link"
    return "symbolic link to something that is not a file or folder"


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
    """One file as a Document; raises InputError naming the file and the reason.

    Files over MAX_BYTES and texts over MAX_CHARS are cut, with a warning in `Document.warnings`.
    The id and content hash are those of the whole file, however much of it was read.
    """
    path = Path(path)
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
            digest.update(data)
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(display_path(path), f"cannot read ({exc.strerror or exc})") from None
    warnings: list[str] = []
    truncated = len(data) > MAX_BYTES
    if truncated:
        data = data[:MAX_BYTES]
        warnings.append(f"larger than {MAX_BYTES // 1_000_000} MB; only the first {MAX_BYTES // 1_000_000} MB were read")
    text, decode_warning = decode(data, display_path(path), truncated=truncated)
    if decode_warning:
        warnings.append(decode_warning)
    fmt = FORMATS.get(path.suffix.lower(), "text")
    try:
        title_hint, lines = _LINES[fmt](text)
    except etree.LxmlError as exc:
        raise InputError(display_path(path), f"cannot parse as HTML ({exc})") from None
    title_hint = _short_title(title_hint)
    content_hash = digest.hexdigest()
    budget = MAX_CHARS - len(title_hint) - 1
    kept, cut = _cap(lines, budget)
    doc = assemble(kept, title_hint=title_hint, doc_id=content_hash[:16], source=display_path(path))
    while len(doc.text) > MAX_CHARS:
        # Field labels put back into project pages ("Start Date: 2017") can add a little: cut more.
        budget -= len(doc.text) - MAX_CHARS
        kept, cut = _cap(lines, budget)
        doc = assemble(kept, title_hint=title_hint, doc_id=content_hash[:16], source=display_path(path))
    if cut:
        warnings.append(f"text longer than {MAX_CHARS:,} characters; only the first {MAX_CHARS:,} were kept")
    return replace(doc, content_hash=content_hash, warnings=tuple(warnings))


def _short_title(title: str) -> str:
    title = " ".join(title.split())
    if len(title) <= MAX_TITLE:
        return title
    cut = title[: MAX_TITLE - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def _cap(lines: list[str], budget: int) -> tuple[list[str], bool]:
    """The first lines of `lines` that fit in `budget` characters (newlines included); was anything cut?"""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            room = budget - used - 1
            if room > 0:
                part = line[:room]
                # Cut a long line at a space so that no word is split (unless it has none).
                kept.append(part.rsplit(" ", 1)[0] if " " in part[1:] else part)
            return kept, True
        kept.append(line)
        used += len(line) + 1
    return kept, False


def decode(data: bytes, path: str, *, truncated: bool = False) -> tuple[str, str]:
    """The text of `data` and a warning ("" if none); InputError for empty or binary files.

    `truncated`: `data` is the start of a longer file, so a character cut at its end is dropped.
    """
    if not data.strip():
        raise InputError(path, "empty file" if not data else "no text (whitespace only)")
    text, warning = _decode(data, path, truncated)
    if not text.strip():
        raise InputError(path, "no text (whitespace only)")
    return text, warning


def _decode(data: bytes, path: str, truncated: bool) -> tuple[str, str]:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return _decode_as(data, encoding, truncated), ""
            except UnicodeDecodeError:
                raise InputError(path, f"not valid {encoding.upper()} although it starts with its byte order mark") from None
    sample = data[:4096]
    if b"\x00" in sample:
        encoding = _utf16_without_bom(sample)
        if encoding:
            try:
                text = _decode_as(data, encoding, truncated)
            except UnicodeDecodeError:
                text = ""
            if text and _control_ratio(text[:2048].encode("latin-1", "replace")) <= 0.1:
                return text, f"no byte order mark; read as {encoding.upper()}"
        raise InputError(path, "binary file, not text")
    if _control_ratio(sample) > 0.1:
        raise InputError(path, "binary file, not text")
    try:
        return _decode_as(data, "utf-8", truncated), ""
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return data.decode("cp1252", errors="replace"), f"not UTF-8 (line {line}); read as Windows-1252/Latin-1"


def _decode_as(data: bytes, encoding: str, truncated: bool) -> str:
    if not truncated:
        return data.decode(encoding)
    # The cut may have split a character; an incremental decoder leaves the incomplete tail out.
    return codecs.getincrementaldecoder(encoding)().decode(data, final=False)


def _utf16_without_bom(sample: bytes) -> str:
    """ "utf-16-le" / "utf-16-be" if `sample` looks like mostly-Latin UTF-16 text without a BOM, else ""."""
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 8:
        return ""
    zero_even, zero_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zero_odd > 0.7 and zero_even < 0.05:
        return "utf-16-le"
    if zero_even > 0.7 and zero_odd < 0.05:
        return "utf-16-be"
    return ""


def _control_ratio(sample: bytes) -> float:
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / max(1, len(sample))


def _text_lines(text: str) -> tuple[str, list[str]]:
    return "", normalise(text).split("\n")


# Brackets and parentheses are excluded inside the parts, so that a line of many "[" or "](" is
# scanned once rather than once per bracket (which took minutes on a 100 kB line).
_MD_IMAGE = re.compile(r"!\[[^\[\]]*\]\([^()]*\)")
_MD_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")
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
        line = _MD_IMAGE.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
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


_BLOCK_TAGS = frozenset((
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table",
    "section", "article", "blockquote", "pre", "dd", "dt", "dl", "figcaption", "main", "address", "hr"))
_HIDDEN_TAGS = frozenset((
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "object", "embed", "nav",
    "header", "footer", "aside", "form", "button", "select", "head", "math"))


class _VisibleText:
    """lxml parser target collecting a page's visible text, a newline around each block element.

    Parsing is streamed (no tree is built), so any nesting depth is read in linear time and without
    recursion: lxml's tree builder stops at depth 256 (2048 with huge_tree), BeautifulSoup's
    tree edits are quadratic in depth.
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: is it hidden?
        self.hidden = 0  # open hidden elements around the current point
        self.titles: dict[str, str] = {}  # text of the first <h1> and the first <title>
        self._capture: list[tuple[str, int, int, list[str]]] = []  # (tag, depth, hidden at start, pieces)

    def start(self, tag, attrib) -> None:
        tag = tag.lower() if isinstance(tag, str) else ""
        hidden = tag in _HIDDEN_TAGS
        if tag in ("h1", "title") and tag not in self.titles and all(c[0] != tag for c in self._capture):
            self._capture.append((tag, len(self.stack), self.hidden + hidden, []))
        self.stack.append(hidden)
        self.hidden += hidden
        if tag in _BLOCK_TAGS:
            self._text("\n")

    def end(self, tag) -> None:
        tag = tag.lower() if isinstance(tag, str) else ""
        if tag in _BLOCK_TAGS:
            self._text("\n")
        if self.stack:
            self.hidden -= self.stack.pop()
        while self._capture and self._capture[-1][1] >= len(self.stack):
            name, _, _, pieces = self._capture.pop()
            self.titles[name] = " ".join("".join(pieces).split())

    def data(self, text: str) -> None:
        # Newlines inside an element are spaces on the page; only block elements break lines.
        self._text(text.replace("\n", " ").replace("\r", " "))

    def _text(self, text: str) -> None:
        for _, _, hidden_at_start, pieces in self._capture:
            if self.hidden <= hidden_at_start:
                pieces.append(" " if text == "\n" else text)
        if not self.hidden:
            self.parts.append(text)

    def comment(self, text: str) -> None:
        pass  # comments are not shown

    def close(self) -> str:
        while self._capture:
            name, _, _, pieces = self._capture.pop()
            self.titles.setdefault(name, " ".join("".join(pieces).split()))
        return "".join(self.parts)


def _html_lines(text: str) -> tuple[str, list[str]]:
    target = _VisibleText()
    parser = etree.HTMLParser(target=target, recover=True, no_network=True)
    parser.feed(text)
    visible = parser.close()
    title = target.titles.get("h1") or target.titles.get("title") or ""
    lines = [" ".join(line.split()) for line in normalise(visible).split("\n")]
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
    title = " ".join(title_hint.split())
    if lines and _is_headline(lines[0]) and (not title or " ".join(lines[0].split()) == title):
        title = " ".join(lines.pop(0).split())
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and (stated := metadata.bare_date(lines[first])):  # a date line under the headline
        facts.setdefault("date", stated)
        del lines[first]
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
        title = body[0][first[0].start : first[0].end][:150].rstrip() if first else ""
    if len(" ".join(body).split()) < 3:
        raise InputError(source, "no usable text (only navigation, markup or a title)")
    contacts = metadata.parse_contacts(contact_lines, is_office, gazetteer.load().is_place) if contact_lines else ()
    contacts = tuple(_locate(c, text, len(text) - len("\n".join(contact_lines))) for c in contacts)
    place, dated = metadata.dateline(body[0]) if body else ("", "")
    date = metadata.parse_date(facts.get("date", "")) or dated or metadata.release_date(text)
    return Document(
        id=doc_id,
        source=source,
        title=title,
        text=text,
        sentences=split_sentences(text),
        kind="project_page" if len(fields) >= 3 else "news",
        date=date,
        dateline=place,
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
