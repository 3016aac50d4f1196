"""The anonymity promise, in one place.

A group with fewer respondents than the threshold is never shown. Hiding it alone is not enough
when its parent total is shown (the organisation, a department, a period): the hidden group could
be worked out by subtraction. So siblings are hidden too (complementary suppression) until the
hidden groups together hold at least `threshold` respondents, or every sibling is hidden.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping

from django.conf import settings

NOT_ENOUGH = "Not enough responses to protect anonymity"
WEEKS_NOT_ANONYMOUS = (
    "Anonymous surveys are reported by whole months (a week or a few days can hold one person's "
    "answers): pick month, quarter or all."
)


def threshold_for(organization) -> int:
    """The organisation's threshold, never below 3 (and the setting's default otherwise)."""
    value = (
        getattr(organization, "anonymity_threshold", None) or settings.TANDEM_ANONYMITY_THRESHOLD
    )
    return max(3, int(value))


def suppressed_groups(counts: Mapping[Hashable, int], *, threshold: int) -> set[Hashable]:
    """Keys of the sibling groups to hide, given each group's respondent count.

    1. Hide every group with 1..threshold-1 respondents (groups with 0 have nothing to show).
    2. If anything is hidden, and the hidden groups hold fewer than `threshold` respondents in
       total, also hide the smallest visible group; repeat until they do or nothing is left.
       Then "parent minus the visible groups" always covers at least `threshold` people.
    """
    hidden = {key for key, n in counts.items() if 0 < n < threshold}
    if not hidden:
        return hidden
    visible = sorted(
        ((n, str(key), key) for key, n in counts.items() if key not in hidden and n > 0),
    )
    hidden_total = sum(counts[key] for key in hidden)
    while hidden_total < threshold and visible:
        n, _, key = visible.pop(0)
        hidden.add(key)
        hidden_total += n
    return hidden


def whole_months(
    start: dt.date | None, end: dt.date | None
) -> tuple[dt.date | None, dt.date | None]:
    """The range widened to whole months: what an anonymous survey's figures cover.

    Two ranges of days (1-10 July, 1-11 July) differ by one day's answers, which can be one
    person's; two ranges of whole months differ by whole months, and a month too small to show
    is left out of every figure (dashboards.selectors.scores._anonymous_cells)."""
    if start is not None:
        start = start.replace(day=1)
    if end is not None:
        end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    return start, end


def two_way_suppressed(
    cells: Mapping[tuple[Hashable, Hashable], int],
    *,
    threshold: int,
    row_vertex: Callable[[Hashable], Hashable],
    column_vertex: Callable[[Hashable], Hashable],
) -> set[tuple[Hashable, Hashable]]:
    """Keys (row, column) of a two-way table's cells to hide, given each cell's respondents
    and which margins are published.

    The table is teams x locations: each team's and each location's total is shown on its own
    (or, hidden, only together with the others hidden beside it), and a cell is what a team
    filter grouped by location, or a location filter grouped by team, shows. Hiding cells row by
    row is not enough: a cell hidden as the complement within its row can be shown in its
    column, and the row's total minus it gives the small cell. So the cells are decided for the
    whole table at once:

    1. Hide every cell with 1..threshold-1 respondents, and every cell of a row or column whose
       vertex is not its own (a hidden team or location: `row_vertex(row)` and
       `column_vertex(column)` name the total each one's cells add up to; hidden ones share
       the total of the hidden ones beside them).
    2. In every row and column with a total of its own, the hidden cells hold 0 or at least
       `threshold` (else hide its smallest visible cell), as for siblings.
    3. A small hidden cell that is a bridge of the graph of hidden cells (rows and columns as
       vertices, each hidden cell an edge) can be worked out from the totals: with every total
       known, a cell is determined exactly when no cycle of hidden cells runs through it. Hide
       the smallest visible cell joining the bridge's two sides (else its whole row and
       column), and repeat from 2 until nothing changes.
    """
    people = {key: n for key, n in cells.items() if n > 0}
    vertices = {key: (("r", row_vertex(key[0])), ("c", column_vertex(key[1]))) for key in people}
    hidden = {
        key
        for key, n in people.items()
        if n < threshold
        or vertices[key][0] != ("r", ("own", key[0]))
        or vertices[key][1] != ("c", ("own", key[1]))
    }
    while True:
        added = _close_lines(people, hidden, vertices, threshold)
        if not added:
            added = _join_bridges(people, hidden, vertices, threshold)
        if not added:
            return hidden
        hidden |= added


def _close_lines(people, hidden, vertices, threshold) -> set:
    """Step 2: the smallest visible cell of each own row or column whose hidden cells hold
    1..threshold-1 respondents."""
    lines: dict = defaultdict(list)
    for key in people:
        for vertex in vertices[key]:
            if vertex[1][0] == "own":
                lines[vertex].append(key)
    added = set()
    for keys in lines.values():
        hidden_total = sum(people[key] for key in keys if key in hidden)
        if 0 < hidden_total < threshold:
            visible = [(people[key], str(key), key) for key in keys if key not in hidden]
            if visible:
                added.add(min(visible)[2])
    return added


def _join_bridges(people, hidden, vertices, threshold) -> set:
    """Step 3, for the first small hidden cell that is a bridge (one at a time: what joins
    one bridge's sides often joins others')."""
    edges = sorted(hidden, key=str)
    for key in _bridges(edges, vertices):
        if people[key] >= threshold:
            continue  # worked out, but not small: it gives nothing away by itself
        side = _side(edges, vertices, without=key, start=vertices[key][0])
        joining = [
            (people[other], str(other), other)
            for other in people
            if other not in hidden and (vertices[other][0] in side) != (vertices[other][1] in side)
        ]
        if joining:
            return {min(joining)[2]}
        row, column = vertices[key]
        lines = {other for other in people if row in vertices[other] or column in vertices[other]}
        if lines - hidden:
            return lines - hidden
    return set()


def _bridges(edges: list, vertices: dict) -> list:
    """The edges (cells) that are bridges of the multigraph, by Tarjan's low-link (iterative;
    parallel edges are each other's cycle)."""
    adjacent: dict = defaultdict(list)
    for index, key in enumerate(edges):
        u, v = vertices[key]
        adjacent[u].append((v, index))
        adjacent[v].append((u, index))
    order: dict = {}
    low: dict = {}
    bridges = []
    for root in adjacent:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack = [(root, None, iter(adjacent[root]))]
        while stack:
            vertex, via, neighbours = stack[-1]
            step = next(neighbours, None)
            if step is None:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                    if low[vertex] > order[parent]:
                        bridges.append(edges[via])
                continue
            other, index = step
            if index == via:
                continue
            if other in order:
                low[vertex] = min(low[vertex], order[other])
            else:
                order[other] = low[other] = len(order)
                stack.append((other, index, iter(adjacent[other])))
    return bridges


def _side(edges: list, vertices: dict, *, without, start) -> set:
    """The vertices reachable from `start` over the edges but `without`."""
    adjacent: dict = defaultdict(set)
    for key in edges:
        if key != without:
            u, v = vertices[key]
            adjacent[u].add(v)
            adjacent[v].add(u)
    seen, todo = {start}, [start]
    while todo:
        for other in adjacent[todo.pop()] - seen:
            seen.add(other)
            todo.append(other)
    return seen
