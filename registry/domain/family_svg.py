"""The family picture: an extended (INPADOC) family drawn as SVG, earliest application on the left.

``GET /v1/families/{commitment}.svg`` (docs/api.md#families) answers with :func:`family_svg` applied to the JSON
of :func:`registry.service.family_view.family_view`, so the picture and the JSON can never disagree. This
module is pure: dictionaries in, one SVG string out, no I/O.

How it is drawn, and why:

- **Layered left to right** (Sugiyama, the layout Graphviz calls ``dot``, here from the pure-Python
  ``grandalf`` so the server stays pip-only). A priority can only be claimed from an earlier
  application (Paris Convention Art. 4A(1)), so following links from the claimed to the claiming
  application is following time: first filings form the left-most layer, each later application
  sits right of everything it claims. Crossing reduction keeps the picture readable.
- **One box per member**: office, kind and filing date; the application number once the office has
  published it (before that the ledger only holds a commitment, docs/design.md#p1-nothing-unpublished-is-readable); a
  member known only from someone's priority claim is dashed and says "not anchored yet", with the date the
  claim names. The application asked about has a bold border.
- **One arrow per priority link**, from the earlier application to the later one claiming it,
  labelled with the filing date the claim names. When that date differs from the date the earlier
  office anchored, the arrow is drawn in red: the claim will not verify (PCT Rule 4.10(a)(i)).
- **Accessible**: a ``<title>`` and a ``<desc>`` that reads the whole family as sentences, and a
  ``<title>``/``aria-label`` on every box and arrow; members appear in the document in reading order.
- **Safe**: every piece of text is XML-escaped, and characters XML 1.0 cannot carry are dropped, so
  whatever a caller passes in, the answer is well-formed and carries no markup of its own.

A wrongly linked giant family (a known INPADOC failure) is not drawn whole: at most
:data:`MAX_DRAWN` members nearest (in links) to the application asked about are shown, and the
picture says how many were left out.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Final

from grandalf.graphs import Edge, Graph, Vertex  # type: ignore[import-untyped]
from grandalf.layouts import SugiyamaLayout  # type: ignore[import-untyped]

__all__ = ["MAX_DRAWN", "family_svg"]

#: Most members one picture shows; beyond this a layered drawing is unreadable (and slow to lay out).
MAX_DRAWN: Final = 60

BOX_W: Final = 214
BOX_H: Final = 76
LAYER_GAP: Final = 150  # room between layers for the date label on each arrow
PORT_GAP: Final = 20  # between arrows leaving (or entering) one side of a box
ROW_GAP: Final = 26
MARGIN: Final = 24
HEADER_H: Final = 30
LEGEND_H: Final = 78  # four lines of legend
MIN_WIDTH: Final = 600.0

_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif"
_MONO = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace"
_INK = "#1b1f24"
_MUTED = "#57606a"
_LINE = "#4f5b66"
_ACCENT = "#0b5cad"
_WARN = "#b3261e"

_LEGEND = (
    "Earliest on the left. Arrows run from a priority application to the later one claiming it,",
    "labelled with the filing date the claim names. Bold border: the application asked about.",
    "Dashed: known only from a priority claim. Red: the claimed date differs from the anchored one.",
    "Dotted arrow: a link the earlier office has not confirmed "
    "(docs/spec/entries.md#claim-tokens-and-confirmed-links).",
)
_KIND_NAMES = {"patent": "patent", "utilityModel": "utility model", "design": "design", "trademark": "trademark"}
# XML 1.0 "Char": anything else (most C0 controls, lone surrogates, U+FFFE/FFFF) makes the document ill-formed.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object, limit: int | None = None) -> str:
    """``value`` as escaped XML text (also safe inside attribute quotes), cut to ``limit`` characters."""
    raw = _NOT_XML_CHAR.sub("", str(value))
    if limit is not None and len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    return escape(raw, quote=True)


def _short(commitment: str) -> str:
    return f"{commitment[:6]}…{commitment[-4:]}" if len(commitment) > 12 else commitment


@dataclass(frozen=True)
class _Member:
    commitment: str
    anchored: bool
    office: str | None
    kind: str | None
    filing_date: str | None
    number: str | None
    claimed_dates: tuple[str, ...]  # dates other members' claims name for this one
    focal: bool

    @property
    def sort_date(self) -> str:
        return self.filing_date or min(self.claimed_dates, default="9999-12-31")

    def heading(self) -> str:
        if not self.anchored:
            return "not anchored yet"
        kind = _KIND_NAMES.get(str(self.kind), str(self.kind or ""))
        return f"{self.office or '??'} · {kind}" if kind else str(self.office or "??")

    def date_line(self) -> str:
        if self.anchored:
            return f"filed {self.filing_date}"
        if self.claimed_dates:
            return "claimed as filed " + ", ".join(self.claimed_dates)
        return "filing date unknown"

    def number_line(self) -> str:
        if self.number:
            return str(self.number)
        return "number not published" if self.anchored else _short(self.commitment)

    def spoken(self) -> str:
        """How a sentence names this member."""
        if not self.anchored:
            return f"an application not anchored yet ({_short(self.commitment)}, {self.date_line()})"
        number = f" {self.number}" if self.number else ""
        return f"{self.heading().replace(' · ', ' ')} application{number} filed {self.filing_date}"


@dataclass(frozen=True)
class _Link:
    later: str
    earlier: str
    claimed_date: str
    confirmed: bool = True


@dataclass(frozen=True)
class _Placed:
    x: float  # centre
    y: float


class _View:
    """What grandalf needs of a vertex or edge: its size, and where the layout puts it."""

    def __init__(self, w: float = 0.0, h: float = 0.0) -> None:
        self.w = w
        self.h = h
        self.xy: tuple[float, float] = (0.0, 0.0)
        self.path: list[tuple[float, float]] = []

    def setpath(self, points: list[tuple[float, float]]) -> None:
        self.path = list(points)


def _members(family: Mapping[str, Any]) -> tuple[list[_Member], list[_Link]]:
    focal = str(family.get("commitment", ""))
    raw_links = [
        _Link(str(link["from"]), str(link["to"]), str(link["claimedFilingDate"]), bool(link.get("confirmed", True)))
        for link in family.get("links", [])
    ]
    claimed: dict[str, set[str]] = {}
    for link in raw_links:
        claimed.setdefault(link.earlier, set()).add(link.claimed_date)
    members = [
        _Member(
            commitment=str(m["commitment"]),
            anchored=bool(m.get("anchored", m.get("ipOfficeCode") is not None)),
            office=m.get("ipOfficeCode"),
            kind=m.get("ipRightKind"),
            filing_date=m.get("filingDate"),
            number=m.get("applicationNumber"),
            claimed_dates=tuple(sorted(claimed.get(str(m["commitment"]), ()))),
            focal=str(m["commitment"]) == focal,
        )
        for m in family.get("extendedFamily", [])
    ]
    known = {m.commitment for m in members}
    links = [link for link in raw_links if link.later in known and link.earlier in known and link.later != link.earlier]
    return members, links


def _nearest(members: list[_Member], links: list[_Link], focal: str, limit: int) -> set[str]:
    """The ``limit`` members fewest links away from ``focal`` (breadth first, earliest first on ties)."""
    by_id = {m.commitment: m for m in members}
    neighbours: dict[str, list[str]] = {}
    for link in links:
        neighbours.setdefault(link.later, []).append(link.earlier)
        neighbours.setdefault(link.earlier, []).append(link.later)
    start = focal if focal in by_id else min(members, key=lambda m: (m.sort_date, m.commitment)).commitment
    kept = {start}
    queue = deque([start])
    while queue and len(kept) < limit:
        node = queue.popleft()
        for other in sorted(neighbours.get(node, ()), key=lambda c: (by_id[c].sort_date, c)):
            if other not in kept and len(kept) < limit:
                kept.add(other)
                queue.append(other)
    return kept


def _layout(
    members: Sequence[_Member], links: Sequence[_Link]
) -> tuple[dict[str, _Placed], dict[_Link, list[_Placed]]]:
    """Centres of the boxes and the bend points of each link, layered left to right.

    grandalf lays layers out top to bottom; giving each vertex its box *turned* (width ↔ height) and
    swapping x and y afterwards turns that into left to right without touching the algorithm.
    """
    vertices = {m.commitment: Vertex(m.commitment) for m in members}
    for v in vertices.values():
        v.view = _View(w=BOX_H, h=BOX_W)
    edges: dict[_Link, Any] = {}
    for link in links:
        # Drawn from the claimed (earlier) to the claiming (later) application: time runs left to right.
        edge = Edge(vertices[link.earlier], vertices[link.later])
        edge.view = _View()
        edges[link] = edge
    graph = Graph(list(vertices.values()), list(edges.values()))
    order = {m.commitment: (m.sort_date, m.commitment) for m in members}
    placed: dict[str, _Placed] = {}
    routes: dict[_Link, list[_Placed]] = {}
    offset = 0.0
    # One layout per connected part (an extended family is one part; stray input may make more),
    # stacked top to bottom, earliest first.
    for part in sorted(graph.C, key=lambda part: min(order[v.data] for v in part.sV)):
        layout = SugiyamaLayout(part)
        layout.xspace = ROW_GAP
        layout.yspace = LAYER_GAP
        roots = sorted((v for v in part.sV if not v.e_in()), key=lambda v: order[v.data])
        if not roots:  # a cycle (impossible on the ledger, but the input is not trusted): earliest first
            roots = [min(part.sV, key=lambda v: order[v.data])]
        layout.init_all(roots=roots)
        layout.draw()
        top = min(v.view.xy[0] for v in part.sV) - BOX_H / 2
        for v in part.sV:
            across, along = v.view.xy
            placed[v.data] = _Placed(along, across - top + offset)
        for link, edge in edges.items():
            if edge.v[0] in part.sV:
                routes[link] = [_Placed(along, across - top + offset) for across, along in edge.view.path[1:-1]]
        offset = max(p.y for p in placed.values()) + BOX_H / 2 + ROW_GAP
    return placed, routes


def _curve(points: Sequence[tuple[float, float]]) -> str:
    """A smooth path through ``points``: each step a cubic leaving and arriving level.

    The first step stays level longer, so the date label written at its start is not crossed.
    """
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{x0:.1f},{y0:.1f}"]
    px, py = x0, y0
    for i, (x, y) in enumerate(rest):
        lead, trail = (0.75, 0.35) if i == 0 else (0.5, 0.5)
        c1, c2 = px + (x - px) * lead, x - (x - px) * trail
        parts.append(f"C{c1:.1f},{py:.1f} {c2:.1f},{y:.1f} {x:.1f},{y:.1f}")
        px, py = x, y
    return " ".join(parts)


def _box(member: _Member, at: _Placed) -> list[str]:
    left, top = at.x - BOX_W / 2, at.y - BOX_H / 2
    label = member.spoken() + (" (this application)" if member.focal else "")
    stroke = _ACCENT if member.focal else _LINE
    fill = "#eaf2fb" if member.focal else ("#f6f8fa" if not member.anchored else "#ffffff")
    dash = ' stroke-dasharray="6 4"' if not member.anchored else ""
    heading_colour = _MUTED if not member.anchored else _INK
    number_font = _MONO if member.number or not member.anchored else _FONT
    number_style = "" if member.number else ' font-style="italic"'
    return [
        f'<g class="member" role="graphics-symbol img" aria-label="{_text(label)}"'
        f' data-commitment="{_text(member.commitment)}" data-anchored="{str(member.anchored).lower()}">',
        f"<title>{_text(label)}\n{_text(member.commitment)}</title>",
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{BOX_W}" height="{BOX_H}" rx="7" fill="{fill}"'
        f' stroke="{stroke}" stroke-width="{3 if member.focal else 1.4}"{dash}/>',
        f'<text x="{left + 12:.1f}" y="{top + 23:.1f}" font-size="15" font-weight="700"'
        f' fill="{heading_colour}">{_text(member.heading(), 26)}</text>',
        f'<text x="{left + 12:.1f}" y="{top + 44:.1f}" font-size="13" fill="{_INK}">'
        f"{_text(member.date_line(), 30)}</text>",
        f'<text x="{left + 12:.1f}" y="{top + 64:.1f}" font-size="12.5" font-family="{number_font}"'
        f' fill="{_INK if member.number else _MUTED}"{number_style}>{_text(member.number_line(), 28)}</text>',
        "</g>",
    ]


def _ports(
    links: Sequence[_Link], placed: Mapping[str, _Placed], routes: Mapping[_Link, list[_Placed]]
) -> dict[_Link, tuple[float, float]]:
    """Where each arrow leaves its earlier box and enters its later box (y of each end).

    Arrows sharing a box side are spread along it in the order of where they head, so they do not
    cross at the box and each date label, written where its arrow leaves, has a line of its own.
    """
    leaving: dict[str, list[tuple[float, _Link]]] = {}
    entering: dict[str, list[tuple[float, _Link]]] = {}
    for link in links:
        bends = routes.get(link, [])
        toward = bends[0].y if bends else placed[link.later].y
        came_from = bends[-1].y if bends else placed[link.earlier].y
        leaving.setdefault(link.earlier, []).append((toward, link))
        entering.setdefault(link.later, []).append((came_from, link))

    def spread(groups: dict[str, list[tuple[float, _Link]]]) -> dict[_Link, float]:
        out: dict[_Link, float] = {}
        for member, group in groups.items():
            group.sort(key=lambda item: (item[0], item[1].claimed_date))
            step = min(PORT_GAP, (BOX_H - 12) / max(len(group) - 1, 1))
            for i, (_y, link) in enumerate(group):
                out[link] = placed[member].y + (i - (len(group) - 1) / 2) * step
        return out

    starts, ends = spread(leaving), spread(entering)
    return {link: (starts[link], ends[link]) for link in links}


def _arrow(
    link: _Link,
    by_id: Mapping[str, _Member],
    placed: Mapping[str, _Placed],
    bends: list[_Placed],
    ports: tuple[float, float],
) -> list[str]:
    earlier, later = by_id[link.earlier], by_id[link.later]
    start, end = placed[link.earlier], placed[link.later]
    x0, y0 = start.x + BOX_W / 2, ports[0]
    points = [(x0, y0), *((b.x, b.y) for b in bends), (end.x - BOX_W / 2 - 2, ports[1])]
    mismatch = earlier.anchored and earlier.filing_date is not None and earlier.filing_date != link.claimed_date
    colour = _WARN if mismatch else _LINE
    label = f"{later.spoken()} claims the priority of {earlier.spoken()}, naming the filing date {link.claimed_date}"
    if mismatch:
        label += f", which differs from the anchored filing date {earlier.filing_date}"
    if not link.confirmed:
        # docs/spec/entries.md#claim-tokens-and-confirmed-links: only the earlier office can confirm a link; until then
        # it grants nothing.
        label += "; not confirmed by the earlier office"
    text = ("≠ " if mismatch else "") + link.claimed_date
    dash = "" if link.confirmed else ' stroke-dasharray="3 3"'

    # Written just above where the arrow leaves its box: the curve is still level there.
    return [
        f'<g class="link" role="graphics-symbol img" aria-label="{_text(label)}"'
        f' data-from="{_text(link.later)}" data-to="{_text(link.earlier)}"'
        f' data-confirmed="{"true" if link.confirmed else "false"}">',
        f"<title>{_text(label)}</title>",
        f'<path d="{_curve(points)}" fill="none" stroke="{colour}" stroke-width="1.8"{dash}'
        f' marker-end="url(#{"prio-arrow-warn" if mismatch else "prio-arrow"})"/>',
        f'<text x="{x0 + 6:.1f}" y="{y0 - 4:.1f}" font-size="12" fill="{colour}"'
        f' stroke="#ffffff" stroke-width="4" paint-order="stroke" stroke-linejoin="round">{_text(text, 40)}</text>',
        "</g>",
    ]


def _description(members: Iterable[_Member], links: Sequence[_Link], by_id: Mapping[str, _Member]) -> str:
    sentences = [m.spoken()[0].upper() + m.spoken()[1:] + (" (this application)." if m.focal else ".") for m in members]
    for link in links:
        sentence = (
            f"{by_id[link.later].spoken()} claims the priority of {by_id[link.earlier].spoken()},"
            f" naming the filing date {link.claimed_date}."
        )
        sentences.append(sentence[0].upper() + sentence[1:])
    return " ".join(sentences)


def family_svg(family: Mapping[str, Any]) -> str:
    """The SVG picture of ``family``, the JSON answer of ``GET /v1/families/{commitment}`` (docs/api.md#families)."""
    members, links = _members(family)
    focal = str(family.get("commitment", ""))
    total = len(members)
    if total > MAX_DRAWN:
        kept = _nearest(members, links, focal, MAX_DRAWN)
        members = [m for m in members if m.commitment in kept]
        links = [link for link in links if link.later in kept and link.earlier in kept]
    by_id = {m.commitment: m for m in members}
    placed, routes = _layout(members, links) if members else ({}, {})

    # Reading order for assistive technology: left to right, then top to bottom.
    members.sort(key=lambda m: (round(placed[m.commitment].x), placed[m.commitment].y))
    width = (max((p.x for p in placed.values()), default=0.0) + BOX_W / 2) + 2 * MARGIN
    body_h = max((p.y for p in placed.values()), default=0.0) + BOX_H / 2
    width = max(width, MIN_WIDTH)
    height = HEADER_H + MARGIN + body_h + LEGEND_H
    dx, dy = MARGIN, HEADER_H + MARGIN

    heading = f"Extended family of {_short(focal)}: {total} application{'s' if total != 1 else ''}"
    if total > len(members):
        heading += f" (the {len(members)} nearest shown)"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}"'
        f' viewBox="0 0 {width:.0f} {height:.0f}" role="graphics-document document"'
        f' aria-labelledby="prio-family-title prio-family-desc" font-family="{_text(_FONT)}">',
        f'<title id="prio-family-title">{_text(heading)}, earliest on the left</title>',
        f'<desc id="prio-family-desc">{_text(_description(members, links, by_id))}</desc>',
        "<defs>",
        *(
            f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8"'
            f' orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
            for name, colour in (("prio-arrow", _LINE), ("prio-arrow-warn", _WARN))
        ),
        "</defs>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 4}" font-size="14" font-weight="600" fill="{_INK}">{_text(heading)}</text>',
        f'<g transform="translate({dx},{dy})">',
    ]
    for member in members:
        out.extend(_box(member, placed[member.commitment]))
    ports = _ports(links, placed, routes)
    for link in links:
        out.extend(_arrow(link, by_id, placed, routes.get(link, []), ports[link]))
    out.append("</g>")
    legend_y = height - LEGEND_H + 18
    for i, line in enumerate(_LEGEND):
        out.append(
            f'<text x="{MARGIN}" y="{legend_y + 16 * i:.0f}" font-size="12" fill="{_MUTED}">{_text(line)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
