"""Turn captured page text into clean paragraphs: navigation out, HTML remnants out, wraps rejoined."""

from __future__ import annotations

import re
import statistics
import unicodedata

# Lines of the iom.int site navigation ("- Who we are … - 2030 Agenda") and its variants.
_NAV_LINES = frozenset(
    s.casefold()
    for s in (
        "Who we are", "Our Work", "What We Do", "Partnerships", "Highlights", "Where we work",
        "Take Action", "Work with us", "Get involved", "Data and Research", "2030 Agenda",
        "Donate", "Careers", "Procurement", "Search", "Menu", "Main navigation", "Skip to main content",
        "Share", "Share this", "Print", "Related", "Home", "News", "Media Centre", "Press Room",
    )
)
_NAV_PREFIXES = ("who we are", "our work", "what we do")
_REPOST_LINES = frozenset(s.casefold() for s in ("News and Press Release", "Originally published", "View original"))
_SECTION_LINES = frozenset(s.casefold() for s in ("News", "Press Release", "Press Releases", "Story", "Stories", "Feature", "Blog",
                                                  "Briefing Notes", "Article", "Projects"))
_MAILTO = re.compile(r"\"?mailto:[^\"\s>)]*\"?\s*(?:target=\"[^\"]*\"\s*)?(?:title=\s*\"[^\"]*\"\s*)?>?", re.I)
_TAG = re.compile(r"</?(?:a|span|p|br|div|strong|em|b|i|u|font|li|ul|ol|h[1-6])\b[^<>]{0,300}>", re.I)
_ENTITIES = {"&nbsp;": " ", "&amp;": "&", "&quot;": '"', "&#39;": "'", "&rsquo;": "’", "&lsquo;": "‘", "&ndash;": "–", "&mdash;": "—"}
_TERMINAL = tuple(".!?:;\"”’»)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def normalise(raw: str) -> str:
    """Unicode NFC, Unix newlines, no control characters, HTML remnants removed."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text).replace("\u00a0", " ")
    text = _MAILTO.sub("", text)
    text = _TAG.sub("", text)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return text


def strip_navigation(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """Drop the site navigation, section labels and repost headers that precede the content.

    Returns the remaining lines and header facts found on the way (`date` from "Date Publish:"
    or "Originally published", `country` of a repost).
    """
    facts: dict[str, str] = {}
    # The classic iom.int block ends with "- 2030 Agenda" within the first lines of the page.
    for i, line in enumerate(lines[:80]):
        if line.strip().lstrip("-").strip().casefold() == "2030 agenda":
            lines = lines[i + 1 :]
            break
    out: list[str] = []
    in_header = True
    skip = -1  # a line already read as a header fact
    for i, line in enumerate(lines):
        if i == skip:
            continue
        stripped = line.strip()
        folded = stripped.lstrip("-").strip().casefold()
        if in_header:
            if not stripped or stripped == "-" or folded in _NAV_LINES or folded.startswith(_NAV_PREFIXES):
                continue
            if folded in _REPOST_LINES:
                # The line before "News and Press Release" on reposts names the country.
                if folded == "news and press release" and out and len(out[-1].split()) <= 3:
                    facts["country"] = out.pop().strip()
                continue
            if folded in _SECTION_LINES:
                # "Projects" / "Honduras": the line after a section line on a project page names its country.
                nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
                if folded == "projects" and 0 < len(nxt.split()) <= 3 and i + 2 < len(lines) and lines[i + 2].strip():
                    facts["country"] = nxt
                    skip = i + 1
                continue
            m = re.match(r"(?:date publish(?:ed)?|published|originally published)\s*:?\s*(.+)", stripped, re.I)
            if m:
                facts["date"] = m.group(1).strip()
                continue
            # "News" / "Global" layout: a one- or two-word scope line right after a section line.
            if i + 1 < len(lines) and len(stripped.split()) <= 2 and _is_scope(stripped) and not out:
                continue
            in_header = False
        out.append(line)
    return out, facts


def _is_scope(line: str) -> bool:
    return line.casefold() in {"global", "regional", "americas", "central america", "latin america and the caribbean"}


def rejoin(lines: list[str]) -> list[str]:
    """Join hard-wrapped lines into paragraphs; blank lines and "-" lines always end a paragraph."""
    width = wrap_width(lines)
    paragraphs: list[str] = []
    current = ""
    previous_line = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line or line == "-":
            if current:
                paragraphs.append(current)
            current = previous_line = ""
            continue
        if current and _continues(previous_line, line, width):
            current = f"{current} {line}"
        else:
            if current:
                paragraphs.append(current)
            current = line
        previous_line = line
    if current:
        paragraphs.append(current)
    return paragraphs


def _continues(previous: str, line: str, width: int | None) -> bool:
    """Does `line` continue the paragraph whose last physical line is `previous`?"""
    if line[:1].islower() and not previous.endswith((".", "!", "?")):
        return True
    if width is None:
        return False
    # A wrapped line stops near the wrap width; a paragraph's last line usually stops short of it.
    if len(previous) >= width - 16:
        return True
    return not previous.endswith(_TERMINAL) and len(previous) >= width // 2 and not line[:1].isdigit()


def wrap_width(lines: list[str]) -> int | None:
    """The width a hard-wrapped capture was wrapped at, or None if it is not hard-wrapped."""
    lengths = [len(line.strip()) for line in lines if len(line.strip()) > 30]
    if len(lengths) < 5:
        return None
    wrapped = sorted(n for n in lengths if n <= 100)
    if len(wrapped) < 0.7 * len(lengths):
        return None
    # The 90th percentile, so that a long headline does not count as the wrap width.
    width = wrapped[min(len(wrapped) - 1, int(0.9 * len(wrapped)))]
    near = sum(1 for n in wrapped if width - 25 <= n <= width + 5)
    return width if near >= 0.5 * len(wrapped) and statistics.median(wrapped) >= 45 else None
