"""The p99 of every lookup against data size, as an SVG drawn here (log-log,
one panel per database), with the goal lines of each kind of lookup."""

import math

from bench.report import DATABASES, LOOKUPS

WIDTH, HEIGHT = 440, 360
LEFT, RIGHT, TOP, BOTTOM = 58, 16, 34, 46
COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
]
DASHES = ["", "6 3", "2 2"]
GOALS = [(2, "exact-match goal"), (10, "numbers goal"), (20, "partial goal")]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _panel(x0, title, series, sizes, low, high) -> list[str]:
    """One database: a line per lookup through its p99 at each size."""
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM

    def x(i):
        return x0 + LEFT + inner_w * (i / max(1, len(sizes) - 1))

    def y(value):
        share = (math.log10(value) - low) / (high - low)
        return TOP + inner_h * (1 - share)

    out = [
        f'<text x="{x0 + LEFT + inner_w / 2}" y="18" text-anchor="middle" '
        f'font-weight="bold">{_escape(title)}</text>',
        f'<rect x="{x0 + LEFT}" y="{TOP}" width="{inner_w}" height="{inner_h}" '
        'fill="none" stroke="#999"/>',
    ]
    for power in range(math.floor(low), math.ceil(high) + 1):
        for step in (1, 2, 5):
            value = step * 10**power
            if not low <= math.log10(value) <= high:
                continue
            yy = y(value)
            out.append(
                f'<line x1="{x0 + LEFT}" x2="{x0 + LEFT + inner_w}" y1="{yy:.1f}" '
                f'y2="{yy:.1f}" stroke="#eee"/>'
            )
            label = f"{value:g}" if value >= 1 else f"{value:.2g}"
            out.append(
                f'<text x="{x0 + LEFT - 4}" y="{yy + 4:.1f}" text-anchor="end" '
                f'font-size="10">{label}</text>'
            )
    for value, label in GOALS:
        if low <= math.log10(value) <= high:
            yy = y(value)
            out.append(
                f'<line x1="{x0 + LEFT}" x2="{x0 + LEFT + inner_w}" y1="{yy:.1f}" '
                f'y2="{yy:.1f}" stroke="#c00" stroke-dasharray="1 3"/>'
                f'<text x="{x0 + LEFT + inner_w - 2}" y="{yy - 3:.1f}" '
                f'text-anchor="end" font-size="9" fill="#c00">{label} {value} ms'
                "</text>"
            )
    for i, size in enumerate(sizes):
        out.append(
            f'<text x="{x(i):.1f}" y="{TOP + inner_h + 16}" text-anchor="middle" '
            f'font-size="11">{size}</text>'
        )
    out.append(
        f'<text x="{x0 + LEFT + inner_w / 2}" y="{HEIGHT - 8}" '
        'text-anchor="middle" font-size="11">subscribers and numbers</text>'
    )
    for n, (label, values) in enumerate(series):
        points = [(x(i), y(v)) for i, v in enumerate(values) if v]
        colour = COLOURS[n % len(COLOURS)]
        dash = DASHES[n // len(COLOURS) % len(DASHES)]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="1.8" stroke-dasharray="{dash}"><title>'
            f"{_escape(label)}</title></polyline>"
        )
        out += [
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>'
            for px, py in points
        ]
    return out


def svg(runs: dict, sizes: list[str]) -> str:
    """The whole chart: one panel per database, a shared legend below."""
    labels, panels, values = {}, [], []
    for db, by_size in runs.items():
        series = []
        for key in LOOKUPS:
            line = []
            for size in sizes:
                entry = by_size.get(size, {}).get("paths", {}).get(key)
                line.append(entry["product"]["p99_ms"] if entry else None)
                if entry:
                    labels[key] = entry["label"]
            if any(line):
                series.append((key, line))
                values += [v for v in line if v]
        panels.append((DATABASES[db], series))
    if not values:
        return ""
    low = math.floor(math.log10(min(values + [1])))
    high = math.ceil(math.log10(max(values + [25])))
    legend_rows = math.ceil(len(LOOKUPS) / 2)
    total_w = WIDTH * len(panels)
    total_h = HEIGHT + 18 * legend_rows + 16
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w}" '
        f'height="{total_h}" viewBox="0 0 {total_w} {total_h}" '
        'font-family="sans-serif" font-size="12">',
        f'<rect width="{total_w}" height="{total_h}" fill="white"/>',
        f'<text x="14" y="{TOP + (HEIGHT - TOP - BOTTOM) / 2}" font-size="11" '
        f'transform="rotate(-90 14 {TOP + (HEIGHT - TOP - BOTTOM) / 2})" '
        'text-anchor="middle">p99 in ms (log scale)</text>',
    ]
    for n, (title, series) in enumerate(panels):
        named = [(labels.get(key, key), line) for key, line in series]
        out += _panel(
            n * WIDTH, f"{title}: p99 of each lookup", named, sizes, low, high
        )
    for n, key in enumerate(LOOKUPS):
        colour = COLOURS[n % len(COLOURS)]
        dash = DASHES[n // len(COLOURS) % len(DASHES)]
        lx = 20 + (n // legend_rows) * (total_w / 2)
        ly = HEIGHT + 8 + 18 * (n % legend_rows)
        out.append(
            f'<line x1="{lx}" x2="{lx + 24}" y1="{ly}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="{dash}"/>'
            f'<text x="{lx + 30}" y="{ly + 4}" font-size="11">'
            f"{_escape(labels.get(key, key))}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
