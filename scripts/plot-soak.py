#!/usr/bin/env python3
"""The server's resident memory over a `netra bench --json` run, as an SVG: the samples, the least-squares line and
its slope; and malloc's in-use heap beside it when the server reported it (netra_malloc_in_use_bytes). Python's standard library only (the SVG is written by hand), so it runs wherever the test tools do.

Usage: scripts/plot-soak.py BENCH.json OUT.svg
"""
import json
import sys


def fit(points):
    n = len(points)
    if n < 2:
        return 0.0, points[0][1] if points else 0.0
    sx = sum(x for x, _ in points)
    sy = sum(y for _, y in points)
    sxx = sum(x * x for x, _ in points)
    sxy = sum(x * y for x, y in points)
    d = n * sxx - sx * sx
    slope = (n * sxy - sx * sy) / d if d else 0.0
    return slope, (sy - slope * sx) / n


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    bench = json.load(open(sys.argv[1]))
    samples = [(s["at_s"], s["resident_mib"]) for s in bench["server"]]
    if len(samples) < 2:
        sys.exit("fewer than two memory samples: nothing to plot")
    slope, intercept = fit(samples)
    width, height, left, right, top, bottom = 720, 320, 64, 16, 40, 44
    t_max = max(t for t, _ in samples) or 1
    heap = [(s["at_s"], s["heap_in_use_mib"]) for s in bench["server"] if s.get("heap_in_use_mib", -1) >= 0]
    y_max = max(m for _, m in samples) * 1.15
    x = lambda t: left + (width - left - right) * t / t_max
    y = lambda m: height - bottom - (height - top - bottom) * m / y_max
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">Server resident memory during the soak: {bench["shape"]}</text>',
    ]
    for i in range(6):  # horizontal grid with MiB labels
        m = y_max * i / 5
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(m):.1f}" y2="{y(m):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(m) + 4:.1f}" text-anchor="end" fill="#555">{m:.0f}</text>')
    for i in range(7):  # time axis in minutes
        t = t_max * i / 6
        out.append(f'<text x="{x(t):.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="#555">{t / 60:.0f}</text>')
    out.append(f'<text x="{(left + width) / 2}" y="{height - 8}" text-anchor="middle" fill="#555">minutes</text>')
    out.append(f'<text x="14" y="{(top + height - bottom) / 2}" fill="#555" transform="rotate(-90 14 {(top + height - bottom) / 2})" text-anchor="middle">RSS (MiB)</text>')
    path = " ".join(f"{x(t):.1f},{y(m):.1f}" for t, m in samples)
    out.append(f'<polyline points="{path}" fill="none" stroke="#0b57d0" stroke-width="1.5"/>')
    out.append(
        f'<line x1="{x(0):.1f}" y1="{y(intercept):.1f}" x2="{x(t_max):.1f}" y2="{y(intercept + slope * t_max):.1f}" '
        'stroke="#c5221f" stroke-dasharray="6 4" stroke-width="1.5"/>'
    )
    if len(heap) >= 2:
        heap_slope, _ = fit(heap)
        path = " ".join(f"{x(t):.1f},{y(m):.1f}" for t, m in heap)
        out.append(f'<polyline points="{path}" fill="none" stroke="#188038" stroke-width="1.5"/>')
        out.append(
            f'<text x="{width - right}" y="{y(heap[-1][1]) - 8:.1f}" text-anchor="end" fill="#188038">malloc in use '
            f'(slope {heap_slope * 3600:+.2f} MiB/h; {heap[0][1]:.1f} → {heap[-1][1]:.1f} MiB)</text>'
        )
    first, last = samples[0][1], samples[-1][1]
    out.append(
        f'<text x="{width - right}" y="{top - 6}" text-anchor="end" fill="#c5221f">least-squares slope '
        f'{slope * 3600:+.2f} MiB/h over {len(samples)} samples; {first:.1f} → {last:.1f} MiB</text>'
    )
    out.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"{sys.argv[2]}: {len(samples)} samples, slope {slope * 3600:+.2f} MiB/h")


if __name__ == "__main__":
    main()
