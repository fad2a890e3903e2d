"""The documentation holds together: every relative link and #anchor in README.md, CONTRIBUTING.md and docs/*.md
leads somewhere, every docs page is reachable from README.md or docs/README.md, and the front page stays short."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCS_DIR = ROOT / "docs"
FRONT_PAGE = ROOT / "README.md"
INDEX = DOCS_DIR / "README.md"
PAGES = [FRONT_PAGE, ROOT / "CONTRIBUTING.md", *sorted(DOCS_DIR.glob("*.md"))]
FRONT_PAGE_MAX_LINES = 200

FENCE = re.compile(r"^ {0,3}(```|~~~)")
HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
# [text](target) and ![alt](target); a title after the target ("...") is allowed and ignored.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
INLINE_CODE = re.compile(r"(`+).+?\1")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def prose_lines(text: str) -> list[str]:
    """The lines a reader sees as text: fenced and indented code blocks are left out, since a link or a `#` there
    is an example, not a link or a heading."""
    lines: list[str] = []
    in_fence = False
    previous_blank = True
    in_indented = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            lines.append("")
            continue
        blank = not line.strip()
        # An indented code block starts only after a blank line, and goes on through blank lines.
        if in_indented:
            in_indented = blank or line.startswith("    ")
        else:
            in_indented = previous_blank and not blank and line.startswith("    ")
        lines.append("" if in_fence or in_indented else line)
        previous_blank = blank
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its rendered text, lowercased, with punctuation other than - and _ dropped
    and each space turned into -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading renders as its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor GitHub makes for the page's headings; a repeated heading gets -1, -2, ... after the first."""
    seen: Counter[str] = Counter()
    found: set[str] = set()
    for line in prose_lines(page.read_text()):
        match = HEADING.match(line)
        if match is None:
            continue
        base = slug(match[1])
        found.add(base if seen[base] == 0 else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def links(page: Path) -> list[str]:
    """The targets of the page's links, outside code."""
    return [target for line in prose_lines(page.read_text()) for target in LINK.findall(INLINE_CODE.sub("", line))]


def relative_links(page: Path) -> list[str]:
    return [target for target in links(page) if not SCHEME.match(target) and not target.startswith("//")]


def test_the_docs_folder_has_pages() -> None:
    assert INDEX.is_file()
    assert len(PAGES) > 3


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
            broken.append(f"{target}: no heading with that anchor in {destination.relative_to(ROOT)}")
    assert not broken, broken


def test_every_docs_page_is_linked_from_the_front_page_or_the_index() -> None:
    linked = {
        (page.parent / target.partition("#")[0]).resolve()
        for page in (FRONT_PAGE, INDEX)
        for target in relative_links(page)
    }
    unlinked = [page.name for page in sorted(DOCS_DIR.glob("*.md")) if page != INDEX and page.resolve() not in linked]
    assert not unlinked
    assert INDEX.resolve() in linked, "README.md does not link docs/README.md"


def test_the_front_page_stays_short() -> None:
    assert len(FRONT_PAGE.read_text().splitlines()) <= FRONT_PAGE_MAX_LINES


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Writing your own `routes.py`", "writing-your-own-routespy"),
        ("Outputs, logs and changes", "outputs-logs-and-changes"),
        ("Who can call the API?", "who-can-call-the-api"),
        ("`--jwt-claims` and `--iam-principal`", "--jwt-claims-and---iam-principal"),
        ("Load test and fuzzing", "load-test-and-fuzzing"),
        ("See [SnapStart](snapstart.md) first", "see-snapstart-first"),
        ("snake_case stays", "snake_case-stays"),
    ],
)
def test_anchors_follow_githubs_rules(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_repeated_headings_get_numbered_anchors(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Options\n\n## Example\n\n```sh\n# not a heading\n```\n\n## Example\n\n    # nor this\n")
    assert anchors(page) == {"options", "example", "example-1"}


def test_links_in_code_are_examples_not_links(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "See [serve](serve.md#options) and `[x](nowhere.md)`.\n\n    [y](nowhere.md)\n\n```md\n[z](nowhere.md)\n```\n"
    )
    assert links(page) == ["serve.md#options"]
