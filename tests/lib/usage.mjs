// A generated usage log for the upload tests, in Netra's CSV columns: deterministic (seeded), several models and
// features over 20 complete days, one day with a spend spike (so the data agent's profile reports an anomaly) and one
// malformed line (so the upload reports a rejected row with its line number).

// mulberry32: a tiny seeded generator, so every run uploads the same bytes.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = [
  ['gpt-4o', 'openai'],
  ['gpt-4o-mini', 'openai'],
  ['claude-sonnet-4-5', 'anthropic'],
  ['claude-haiku-4-5', 'anthropic'],
];
const FEATURES = ['support_chat', 'summarize', 'classify', 'search'];

/**
 * @param {object} [o]
 * @param {number} [o.days] complete days of traffic (UTC), ending yesterday
 * @param {number} [o.perDay] rows a day (the spike day has 4× as many, all on the dearest model)
 * @param {number} [o.spikeDay] index of the spike day (0 = first)
 * @param {number} [o.badAfter] the malformed record comes after this many good ones
 * @param {string[]} [o.features] feature names (no comma, quote or newline: written unquoted)
 * @returns {{csv: string, rows: number, badLine: number, spikeDate: string, days: string[]}}
 *   rows = good records; badLine = the physical line (1 = header) of the malformed record
 */
export function usageCsv({ days = 20, perDay = 150, spikeDay = 13, badAfter = 500, features = FEATURES } = {}) {
  const rand = rng(20240601);
  const lines = ['timestamp,model,provider,input_tokens,output_tokens,cached_tokens,latency_ms,feature'];
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const first = today - days * 86_400_000;
  const dates = [];
  let rows = 0;
  let badLine = 0;
  for (let d = 0; d < days; d++) {
    const dayStart = first + d * 86_400_000;
    dates.push(new Date(dayStart).toISOString().slice(0, 10));
    const spike = d === spikeDay;
    const n = spike ? perDay * 4 : perDay;
    for (let i = 0; i < n; i++) {
      // Spread over the day, away from midnight so no row spills into the next day.
      const ts = new Date(dayStart + 60_000 + Math.floor((i / n) * 86_000_000)).toISOString();
      const [model, provider] = spike ? MODELS[0] : MODELS[i % MODELS.length];
      const input = 400 + Math.floor(rand() * 3000) + (spike ? 6000 : 0);
      const output = 80 + Math.floor(rand() * 600);
      const cached = i % 3 === 0 ? Math.min(256, input) : 0; // cached tokens are part of the input tokens
      const latency = 300 + Math.floor(rand() * 1500);
      lines.push(`${ts},${model},${provider},${input},${output},${cached},${latency},${features[i % features.length]}`);
      rows++;
      if (rows === badAfter) {
        lines.push(`${ts},gpt-4o,openai,not-a-number,12,0,500,support_chat`);
        badLine = lines.length; // 1-based: the header is line 1
      }
    }
  }
  return { csv: lines.join('\n') + '\n', rows, badLine, spikeDate: dates[spikeDay], days: dates };
}
