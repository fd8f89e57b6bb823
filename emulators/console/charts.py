"""Charts drawn on the server as SVG: line charts (metrics, tuning objectives) and
workflow graphs (Step Functions executions, SageMaker pipeline executions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from emulators.console.ui import Markup, esc

STATE_COLOURS = {
    "succeeded": ("#e9f7ea", "#037f0c"),
    "failed": ("#ffebe9", "#d91515"),
    "caught": ("#fff4e5", "#c45500"),
    "running": ("#e8f2fc", "#0972d3"),
    "not-run": ("#f4f4f4", "#8d99a8"),
}


def line_chart(points: Sequence[tuple[Any, float]], title: str = "", width: int = 640, height: int = 220,
               x_is_time: bool = True, y_label: str = "") -> Markup:
    """A line chart with dots; ``points`` are (x, y) with x a datetime or a number."""
    if not points:
        return Markup('<p class="muted">No datapoints in this period.</p>')
    pts = sorted(points, key=lambda p: p[0])
    xs = [p[0].timestamp() if hasattr(p[0], "timestamp") else float(p[0]) for p in pts]
    ys = [float(p[1]) for p in pts]
    left, right, top, bottom = 56, 16, 24, 34
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1
    pad = (y1 - y0) * 0.08
    y0, y1 = y0 - pad, y1 + pad

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom)

    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(zip(xs, ys)))
    dots = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="#0972d3"><title>{esc(_fmt(y))}</title></circle>'
                   for x, y in zip(xs, ys))
    grid = ""
    for i in range(5):
        value = y0 + (y1 - y0) * i / 4
        y = sy(value)
        grid += (f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e9ebed"/>'
                 f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5f6b7a">{esc(_fmt(value))}</text>')

    def x_text(x: float) -> str:
        if x_is_time and hasattr(pts[0][0], "timestamp"):
            import datetime as dt

            return dt.datetime.fromtimestamp(x, tz=dt.timezone.utc).strftime("%H:%M:%S")
        return _fmt(x)

    axis = (f'<text x="{left}" y="{height - 10}" fill="#5f6b7a">{esc(x_text(x0))}</text>'
            f'<text x="{width - right}" y="{height - 10}" text-anchor="end" fill="#5f6b7a">{esc(x_text(x1))}</text>')
    label = f'<text x="{left}" y="14" fill="#414d5c" font-weight="bold">{esc(title or y_label)}</text>'
    return Markup(f'<svg class="chart" role="img" aria-label="{esc(title)}" width="{width}" height="{height}" '
                  f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">{label}{grid}{axis}'
                  f'<path d="{path}" fill="none" stroke="#0972d3" stroke-width="2"/>{dots}</svg>')


def _fmt(value: float) -> str:
    if abs(value) >= 1000 or value == int(value):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.0f}"
    return f"{value:.3g}"


def layered_layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]], start: str | None) -> dict[str, tuple[int, int]]:
    """(layer, position) per node: the layer is the longest path from the start over forward edges."""
    order = list(nodes)
    children: dict[str, list[str]] = {n: [] for n in order}
    for a, b in edges:
        if a in children and b in children and b not in children[a]:
            children[a].append(b)
    # forward edges: a DFS from the start; back edges (loops) are ignored for layering
    seen: set[str] = set()
    on_stack: set[str] = set()
    forward: list[tuple[str, str]] = []

    def dfs(node: str) -> None:
        seen.add(node)
        on_stack.add(node)
        for child in children[node]:
            if child in on_stack:
                continue
            forward.append((node, child))
            if child not in seen:
                dfs(child)
        on_stack.discard(node)

    roots = [start] if start in children else []
    roots += [n for n in order if n not in roots]
    for root in roots:
        if root not in seen:
            dfs(root)
    layer = {n: 0 for n in order}
    for _ in range(len(order)):
        changed = False
        for a, b in forward:
            if layer[b] < layer[a] + 1:
                layer[b] = layer[a] + 1
                changed = True
        if not changed:
            break
    positions: dict[str, tuple[int, int]] = {}
    counts: dict[int, int] = {}
    for node in order:
        lay = layer[node]
        positions[node] = (lay, counts.get(lay, 0))
        counts[lay] = counts.get(lay, 0) + 1
    return positions


def workflow_graph(nodes: Sequence[str], edges: Sequence[tuple[str, str]], statuses: Mapping[str, str],
                   start: str | None = None, kinds: Mapping[str, str] | None = None, label: str = "Graph") -> Markup:
    """Boxes for states/steps coloured by status (succeeded, failed, caught, running, not-run)."""
    if not nodes:
        return Markup('<p class="muted">Nothing to draw.</p>')
    kinds = kinds or {}
    pos = layered_layout(nodes, edges, start)
    box_w, box_h, gap_x, gap_y = 170, 40, 30, 36
    columns = max(p[1] for p in pos.values()) + 1
    layers = max(p[0] for p in pos.values()) + 1
    width = columns * (box_w + gap_x) + gap_x
    height = layers * (box_h + gap_y) + gap_y + 20

    def centre(node: str) -> tuple[float, float]:
        lay, col = pos[node]
        in_layer = sum(1 for p in pos.values() if p[0] == lay)
        offset = (columns - in_layer) * (box_w + gap_x) / 2
        return gap_x + offset + col * (box_w + gap_x) + box_w / 2, gap_y + lay * (box_h + gap_y) + box_h / 2

    lines = []
    for a, b in edges:
        if a not in pos or b not in pos:
            continue
        (ax, ay), (bx, by) = centre(a), centre(b)
        if by > ay:
            lines.append(f'<line x1="{ax:.0f}" y1="{ay + box_h / 2:.0f}" x2="{bx:.0f}" y2="{by - box_h / 2 - 2:.0f}" '
                         'stroke="#7d8998" stroke-width="1.5" marker-end="url(#arrow)"/>')
        else:  # a loop back up: a curve on the right
            lines.append(f'<path d="M{ax + box_w / 2:.0f},{ay:.0f} C{ax + box_w / 2 + 40:.0f},{ay:.0f} '
                         f'{bx + box_w / 2 + 40:.0f},{by:.0f} {bx + box_w / 2 + 2:.0f},{by:.0f}" fill="none" '
                         'stroke="#7d8998" stroke-width="1.5" stroke-dasharray="4 3" marker-end="url(#arrow)"/>')
    boxes = []
    for node in nodes:
        x, y = centre(node)
        state = statuses.get(node, "not-run")
        fill, stroke = STATE_COLOURS.get(state, STATE_COLOURS["not-run"])
        name = node if len(node) <= 22 else node[:21] + "\u2026"
        kind = kinds.get(node, "")
        boxes.append(
            f'<g class="node" data-state="{esc(node)}" data-status="{esc(state)}">'
            f'<title>{esc(node)}: {esc(state)}{" (" + esc(kind) + ")" if kind else ""}</title>'
            f'<rect x="{x - box_w / 2:.0f}" y="{y - box_h / 2:.0f}" width="{box_w}" height="{box_h}" rx="8" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{3 if state == "failed" else 1.5}"/>'
            f'<text x="{x:.0f}" y="{y + 4:.0f}" text-anchor="middle" fill="#16191f">{esc(name)}</text></g>')
    legend = "".join(
        f'<g><rect x="{10 + i * 110}" y="{height - 16}" width="12" height="12" rx="2" fill="{f}" stroke="{s}"/>'
        f'<text x="{26 + i * 110}" y="{height - 6}" fill="#414d5c">{esc(k)}</text></g>'
        for i, (k, (f, s)) in enumerate(STATE_COLOURS.items()))
    width = max(width, 10 + len(STATE_COLOURS) * 110)
    return Markup(
        f'<svg class="graph" role="img" aria-label="{esc(label)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrow" '
        'viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#7d8998"/></marker></defs>'
        + "".join(lines) + "".join(boxes) + legend + "</svg>")
