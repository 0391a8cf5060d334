// How figures are written everywhere in the UI: the same rounding as the report's own tables.
const usd = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const count = new Intl.NumberFormat('en-US');

export const money = (v) => `${v < 0 ? '-' : ''}$${usd.format(Math.abs(v))}`;
export const percent = (v) => `${Number(v).toFixed(1)}%`;
export const integer = (v) => count.format(Math.round(v));

export function duration(ms) {
  if (ms < 1) return '<1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

// A compact one-line rendering of a JSON value for tool parameters and results, cut at `max` characters.
export function compact(value, max = 240) {
  const text = JSON.stringify(value ?? {});
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
