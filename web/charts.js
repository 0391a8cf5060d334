// Charts as plain SVG built node by node (no library, no HTML parsing): horizontal bars for spend per strategy,
// model and feature, vertical bars for daily cost with anomalies marked. Colours come from app.css classes so
// both themes apply. Each chart carries its numbers twice for assistive technology: a summary in aria-label and
// the full table, visually hidden.
import { money } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(kind, caption) {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  figure.dataset.chart = kind;
  figure.appendChild(document.createElement('figcaption')).textContent = caption;
  return figure;
}

function dataTable(figure, head, rows) {
  const t = figure.appendChild(document.createElement('table'));
  t.className = 'visually-hidden';
  const tr = t.appendChild(document.createElement('thead')).appendChild(document.createElement('tr'));
  for (const h of head) tr.appendChild(document.createElement('th')).textContent = h;
  const body = t.appendChild(document.createElement('tbody'));
  for (const r of rows) {
    const row = body.appendChild(document.createElement('tr'));
    for (const c of r) row.appendChild(document.createElement('td')).textContent = c;
  }
}

const truncate = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

// rows: [{label, values: [number…]}], `rowHeader` naming what the labels are; series: [{name, className}] — one bar
// per series per row.
export function barChart(kind, caption, rowHeader, series, rows) {
  const figure = frame(kind, caption);
  // About the width a chart gets on a desktop (two per row) and not much more than a phone's: text stays legible.
  const width = 420;
  const labelWidth = 124;
  const valueWidth = 64;
  const barHeight = 14;
  const rowHeight = series.length * (barHeight + 3) + 10;
  const legend = series.length > 1 ? 22 : 0;
  const height = legend + rows.length * rowHeight + 4;
  const max = Math.max(1e-9, ...rows.flatMap((r) => r.values));
  const scale = (width - labelWidth - valueWidth) / max;
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', width: '100%' });
  svg.setAttribute(
    'aria-label',
    `${caption}: ${rows.map((r) => `${r.label} ${r.values.map((v, i) => `${series[i].name} ${money(v)}`).join(', ')}`).join('; ')}`,
  );
  if (legend) {
    let x = labelWidth;
    for (const s of series) {
      svg.append(svgEl('rect', { x, y: 4, width: 12, height: 12, class: s.className }));
      svg.append(svgEl('text', { x: x + 16, y: 14, class: 'chart-legend' }, s.name));
      x += 24 + s.name.length * 7;
    }
  }
  rows.forEach((r, ri) => {
    const top = legend + ri * rowHeight;
    const label = svgEl('text', { x: labelWidth - 8, y: top + rowHeight / 2 + 3, 'text-anchor': 'end', class: 'chart-label' }, truncate(r.label, 19));
    label.append(svgEl('title', {}, r.label));
    svg.append(label);
    r.values.forEach((v, si) => {
      const y = top + 4 + si * (barHeight + 3);
      const w = Math.max(1, v * scale);
      const bar = svgEl('rect', { x: labelWidth, y, width: w, height: barHeight, rx: 2, class: series[si].className });
      bar.append(svgEl('title', {}, `${r.label} — ${series[si].name}: ${money(v)}`));
      svg.append(bar);
      svg.append(svgEl('text', { x: labelWidth + w + 4, y: y + barHeight - 3, class: 'chart-value' }, money(v)));
    });
  });
  figure.append(svg);
  dataTable(figure, [rowHeader, ...series.map((s) => s.name)], rows.map((r) => [r.label, ...r.values.map(money)]));
  return figure;
}

// daily: [{date, cost_usd}]; anomalies: [{date, cost_usd, z}] — anomaly days drawn in the alarm colour and marked.
export function dailyChart(daily, anomalies) {
  const caption = 'Daily cost';
  const figure = frame('daily', anomalies.length ? `${caption} (anomalies marked)` : caption);
  const anomalous = new Map(anomalies.map((a) => [a.date, a]));
  const width = 420;
  const height = 180;
  const left = 52;
  const bottom = 24;
  const top = 14;
  const max = Math.max(1e-9, ...daily.map((d) => d.cost_usd));
  const step = (width - left - 4) / Math.max(1, daily.length);
  const scale = (height - bottom - top) / max;
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', width: '100%' });
  const flagged = anomalies.map((a) => `${a.date} ${money(a.cost_usd)} (z ${Number(a.z).toFixed(1)})`).join(', ');
  svg.setAttribute('aria-label', `Daily cost over ${daily.length} days, highest ${money(max)}${flagged ? `; anomalies: ${flagged}` : ''}`);
  svg.append(svgEl('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: 'chart-axis' }));
  svg.append(svgEl('text', { x: left - 6, y: top + 4, 'text-anchor': 'end', class: 'chart-value' }, money(max)));
  svg.append(svgEl('text', { x: left - 6, y: height - bottom, 'text-anchor': 'end', class: 'chart-value' }, '$0'));
  daily.forEach((d, i) => {
    const h = Math.max(1, d.cost_usd * scale);
    const x = left + i * step + step * 0.15;
    const a = anomalous.get(d.date);
    const bar = svgEl('rect', { x, y: height - bottom - h, width: Math.max(1, step * 0.7), height: h, class: a ? 'bar-anomaly' : 'bar-daily' });
    bar.append(svgEl('title', {}, `${d.date}: ${money(d.cost_usd)}${a ? ` — anomaly (z ${Number(a.z).toFixed(1)})` : ''}`));
    svg.append(bar);
    if (a) {
      const mark = svgEl('text', { x: x + step * 0.35, y: height - bottom - h - 3, 'text-anchor': 'middle', class: 'chart-anomaly' }, '▲');
      mark.dataset.anomaly = d.date;
      svg.append(mark);
    }
  });
  const every = Math.max(1, Math.ceil(daily.length / 6));
  daily.forEach((d, i) => {
    if (i % every === 0) svg.append(svgEl('text', { x: left + i * step + step / 2, y: height - 6, 'text-anchor': 'middle', class: 'chart-label' }, d.date.slice(5)));
  });
  figure.append(svg);
  dataTable(figure, ['date', 'cost', 'anomaly'], daily.map((d) => [d.date, money(d.cost_usd), anomalous.has(d.date) ? 'yes' : '']));
  return figure;
}
