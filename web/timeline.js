// One run in the conversation: its events applied exactly once and in seq order (out-of-order ones wait for the
// gap to be filled), rendered as agent steps with their thinking, tool calls and durations, the data request as a
// checklist, the report as markdown while it streams, and the result's figures and charts. Every text from the
// server goes in through textContent or the DOM-building markdown renderer.
import { barChart, dailyChart } from './charts.js';
import { compact, duration, money, percent } from './format.js';
import { renderMarkdown } from './markdown.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const SECTIONS = ['data-request', 'report', 'figures', 'charts', 'run-end'];
const AGENT_LABELS = {
  triage: 'Triage',
  data_helper: 'Data helper',
  data: 'Data',
  optimization: 'Optimization',
  actions: 'Actions',
  reporting: 'Reporting',
  supervisor: 'Supervisor',
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class RunView {
  // hooks.requestUpload(): the data request's upload button; hooks.changed(view): status or content changed.
  constructor(runId, hooks) {
    this.id = runId;
    this.hooks = hooks;
    this.seq = 0;
    this.pending = new Map();
    this.appliedText = ''; // data-seqs, grown as events apply (joining the whole list each time is quadratic)
    this.status = 'queued';
    this.steps = new Map(); // agent -> its latest step
    this.reportText = '';
    this.renderQueued = false;

    this.element = el('li', 'run');
    this.element.dataset.runId = runId;
    this.element.setAttribute('aria-label', 'Netra run');
    const head = this.element.appendChild(el('div', 'run-head'));
    this.state = head.appendChild(el('span', 'run-state'));
    this.agentStatus = head.appendChild(el('span', 'agent-status'));
    this.agentStatus.hidden = true;
    this.stepList = this.element.appendChild(el('ol', 'steps'));
    this.stepList.setAttribute('aria-label', 'Agent steps');
    this.setStatus('queued');
  }

  get done() {
    return TERMINAL.has(this.status);
  }

  setStatus(status) {
    this.status = status;
    this.element.dataset.status = status;
    this.state.textContent = { queued: 'Queued', running: 'Working…', completed: 'Completed', failed: 'Failed', cancelled: 'Cancelled' }[status] ?? status;
    if (this.done) {
      this.agentStatus.hidden = true;
      this.agentStatus.textContent = '';
    }
    this.hooks.changed?.(this);
  }

  // Takes an event in whatever order it arrives; applies it and any queued successors once its turn comes.
  // Returns true when an earlier event is missing (the caller fetches from this.seq to fill the gap).
  accept(event) {
    if (event.seq <= this.seq || this.pending.has(event.seq)) return false;
    this.pending.set(event.seq, event);
    while (this.pending.has(this.seq + 1)) {
      const next = this.pending.get(this.seq + 1);
      this.pending.delete(this.seq + 1);
      this.seq += 1;
      this.appliedText += this.appliedText ? `,${next.seq}` : String(next.seq);
      this.apply(next);
    }
    this.element.dataset.seqs = this.appliedText;
    return this.pending.size > 0;
  }

  showAgentStatus(status) {
    if (this.done || !status) return;
    this.agentStatus.hidden = false;
    const agent = AGENT_LABELS[status.current_agent] ?? status.current_agent ?? 'none yet';
    this.agentStatus.textContent = `${status.status}, agent ${agent}, event ${status.seq}`;
  }

  step(agent) {
    if (!this.steps.has(agent)) this.startStep(agent, '');
    return this.steps.get(agent);
  }

  startStep(agent, summary) {
    const li = this.stepList.appendChild(el('li', 'step'));
    li.dataset.agent = agent;
    const head = li.appendChild(el('div', 'step-head'));
    head.append(el('strong', 'agent', AGENT_LABELS[agent] ?? agent));
    const state = head.appendChild(el('span', 'step-state', 'working…'));
    const progress = head.appendChild(el('progress'));
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute('aria-label', `${AGENT_LABELS[agent] ?? agent} progress`);
    if (summary) li.append(el('p', 'summary', summary));
    const body = li.appendChild(el('ul', 'step-body'));
    const entry = { li, state, progress, body, tools: [] };
    this.steps.set(agent, entry);
    return entry;
  }

  apply(e) {
    const p = e.payload ?? {};
    const agent = e.agent_name || p.agent || '';
    switch (e.type) {
      case 'run_started':
        this.setStatus('running');
        break;
      case 'run_resumed':
        this.setStatus('running');
        this.stepList.append(el('li', 'step resumed', 'Resumed after an interruption: completed agents keep their results.'));
        break;
      case 'agent_started':
        this.startStep(agent, p.input_summary ?? '');
        break;
      case 'agent_thinking': {
        const s = this.step(agent);
        s.body.append(el('li', 'thought', p.thought ?? ''));
        if (typeof p.progress === 'number') s.progress.value = p.progress;
        break;
      }
      case 'tool_executing': {
        const s = this.step(agent);
        const li = s.body.appendChild(el('li', 'tool'));
        li.dataset.tool = p.tool ?? '';
        li.append(el('code', 'tool-name', p.tool ?? 'tool'), el('span', 'params', compact(p.parameters)));
        s.tools.push(li);
        break;
      }
      case 'tool_completed': {
        const s = this.step(agent);
        let li = s.tools.findLast((t) => t.dataset.tool === p.tool && !t.classList.contains('finished'));
        if (!li) {
          li = s.body.appendChild(el('li', 'tool'));
          li.dataset.tool = p.tool ?? '';
          li.append(el('code', 'tool-name', p.tool ?? 'tool'));
        }
        li.classList.add('finished');
        if (p.success === false) li.classList.add('failed');
        li.append(el('span', 'duration', `${p.success === false ? 'failed after' : 'took'} ${duration(p.duration_ms ?? 0)}`));
        // The result summary is there to look into, not to read through: folded by default.
        const result = li.appendChild(el('details', 'result'));
        result.append(el('summary', '', p.success === false ? 'error' : 'result'), el('code', '', compact(p.result, 2000)));
        if (p.success === false) result.open = true;
        break;
      }
      case 'agent_completed': {
        const s = this.step(agent);
        const m = p.metadata ?? {};
        const tokens = m.tokens_used ? `, ${m.tokens_used} tokens` : '';
        s.state.textContent = `done in ${duration(m.duration_ms ?? 0)}${tokens}`;
        s.progress.value = 100;
        this.agentResult(agent, p.result ?? {});
        break;
      }
      case 'agent_failed': {
        const s = this.step(agent);
        s.li.classList.add('failed');
        s.state.textContent = `failed: ${p.error?.message ?? p.error?.code ?? 'unknown error'}`;
        s.progress.hidden = true;
        break;
      }
      case 'stream_chunk':
        this.reportText += p.text ?? '';
        this.scheduleReport();
        break;
      case 'run_completed':
      case 'run_failed':
      case 'run_cancelled':
        this.finish(e.type.slice(4), p);
        break;
      default:
        break;
    }
  }

  agentResult(agent, result) {
    if (agent === 'data_helper' && result.data_request) this.dataRequest(result.data_request);
    if (agent === 'data' && result.profile) this.profileCharts(result.profile);
    if (agent === 'reporting' && !this.reportText && result.report_markdown) {
      this.reportText = result.report_markdown;
      this.scheduleReport();
    }
  }

  // The run's sections keep one order whatever order their events come in.
  section(className) {
    let node = this.element.querySelector(`:scope > .${className}`);
    if (node) return node;
    node = el('div', className);
    const later = SECTIONS.slice(SECTIONS.indexOf(className) + 1);
    const next = [...this.element.children].find((c) => later.some((k) => c.classList.contains(k)));
    this.element.insertBefore(node, next ?? null);
    return node;
  }

  scheduleReport() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      const report = this.section('report');
      report.classList.add('markdown');
      report.replaceChildren(renderMarkdown(this.reportText));
      this.hooks.changed?.(this);
    });
  }

  dataRequest(request) {
    const box = this.section('data-request');
    box.replaceChildren(el('h3', '', 'What Netra needs from you'));
    for (const category of request.categories ?? []) {
      const group = box.appendChild(el('fieldset', 'checklist'));
      group.append(el('legend', '', category.name));
      for (const item of category.items ?? []) {
        const label = group.appendChild(el('label', 'check'));
        const box2 = label.appendChild(el('input'));
        box2.type = 'checkbox';
        label.append(el('span', 'item', `${item.item}${item.required ? ' (required)' : ''}`), el('small', 'why', item.justification ?? ''));
      }
    }
    if (request.instructions) {
      const how = box.appendChild(el('details', 'instructions'));
      how.append(el('summary', '', 'How to export your usage data'));
      how.append(renderMarkdown(request.instructions));
    }
    if (request.example) {
      const pre = box.appendChild(el('pre'));
      pre.append(el('code', '', request.example));
    }
    const formats = (request.accepted_formats ?? []).map((f) => f.format).join(', ');
    const row = box.appendChild(el('div', 'row'));
    const upload = row.appendChild(el('button', 'upload', 'Upload usage data…'));
    upload.type = 'button';
    upload.addEventListener('click', () => this.hooks.requestUpload?.());
    if (formats) row.append(el('small', 'formats', `Accepted: ${formats}, or a provider's usage export. You can also drop a file here.`));
  }

  profileCharts(profile) {
    const charts = this.section('charts');
    const add = (node) => {
      charts.querySelector(`[data-chart="${node.dataset.chart}"]`)?.remove();
      charts.append(node);
    };
    const top = (list) => [...(list ?? [])].sort((a, b) => b.monthly_cost_usd - a.monthly_cost_usd).slice(0, 8);
    const series = [{ name: 'per month', className: 'bar-current' }];
    const models = top(profile.by_model);
    if (models.length) add(barChart('by_model', 'Monthly spend by model', 'model', series, models.map((m) => ({ label: m.name, values: [m.monthly_cost_usd] }))));
    const features = top(profile.by_feature);
    if (features.length) add(barChart('by_feature', 'Monthly spend by feature', 'feature', series, features.map((f) => ({ label: f.name, values: [f.monthly_cost_usd] }))));
    if ((profile.daily ?? []).length > 1) add(dailyChart(profile.daily, profile.anomalies ?? []));
  }

  finish(status, payload) {
    this.setStatus(status);
    const result = payload.result ?? {};
    if (typeof result.current_monthly_usd === 'number') this.figures(result);
    const end = this.section('run-end');
    const took = typeof payload.duration_ms === 'number' ? ` in ${duration(payload.duration_ms)}` : '';
    if (status === 'completed') end.textContent = `Completed${took}.`;
    else if (status === 'cancelled') end.textContent = `Cancelled${took}.`;
    else end.textContent = `Failed${took}: ${payload.error?.message ?? payload.error?.code ?? 'unknown error'}`;
    if (status !== 'completed') end.classList.add('failed');
  }

  figures(result) {
    const box = this.section('figures');
    box.replaceChildren();
    const items = [
      ['current_monthly_usd', 'Current spend / month', money],
      ['projected_monthly_usd', 'Projected spend / month', money],
      ['savings_usd', 'Savings / month', money],
      ['savings_pct', 'Savings', percent],
    ];
    const list = box.appendChild(el('dl'));
    for (const [key, label, fmt] of items) {
      if (typeof result[key] !== 'number') continue;
      const item = list.appendChild(el('div', 'figure'));
      item.append(el('dt', '', label));
      const dd = item.appendChild(el('dd', '', fmt(result[key])));
      dd.dataset.figure = key;
      dd.dataset.value = String(result[key]);
    }
    if (result.estimated) box.append(el('p', 'note', 'Estimated from the facts you gave; upload usage data for exact figures.'));
    const strategies = result.strategies ?? [];
    if (strategies.length) {
      const rows = strategies.map((s) => ({ label: s.type.replaceAll('_', ' '), values: [s.current_monthly_usd, s.projected_monthly_usd] }));
      rows.push({ label: 'combined', values: [result.current_monthly_usd, result.projected_monthly_usd] });
      const series = [
        { name: 'current', className: 'bar-current' },
        { name: 'projected', className: 'bar-projected' },
      ];
      const chart = barChart('strategies', 'Current vs projected monthly spend per strategy', 'strategy', series, rows);
      this.section('charts').prepend(chart);
    }
  }
}
