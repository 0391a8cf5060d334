// A markdown renderer that builds DOM nodes and never parses HTML: every piece of text reaches the page through
// text nodes, so nothing in a report, a message or a dataset name can become markup or run script, and no
// sanitizer is needed. It covers what Netra's reports use — headings, paragraphs, emphasis, inline code, fenced
// code, lists, block quotes, rules, links and tables with column alignment (docs/decisions.md, "Web UI markdown").

const SAFE_LINK = /^(https?:|mailto:)/i;

function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

// Inline spans: `code`, **strong**, *em* / _em_, [text](url). Unknown or unsafe syntax stays literal text.
const INLINE = /`([^`]+)`|\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)\s]+)\)|(?<![\w*])\*(?![\s*])(.+?)(?<![\s*])\*(?![\w*])|(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)/;

export function renderInline(text, into) {
  let rest = text;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) {
      into.append(rest);
      break;
    }
    if (m.index > 0) into.append(rest.slice(0, m.index));
    if (m[1] !== undefined) {
      const code = el('code');
      code.textContent = m[1];
      into.append(code);
    } else if (m[2] !== undefined) {
      renderInline(m[2], into.appendChild(el('strong')));
    } else if (m[3] !== undefined) {
      into.append(link(m[3], m[4], m[0]));
    } else {
      renderInline(m[5] ?? m[6], into.appendChild(el('em')));
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return into;
}

// Only http(s) and mailto links become anchors (opened without the opener or a referrer); anything else, such as
// `javascript:` or `data:`, is shown as the literal text it was.
function link(label, href, literal) {
  let url;
  try {
    url = new URL(href, window.location.href);
  } catch {
    return literal;
  }
  if (!SAFE_LINK.test(url.protocol)) return literal;
  const a = el('a');
  a.href = url.href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  renderInline(label, a);
  return a;
}

const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function cells(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  return s.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

function table(lines) {
  const align = cells(lines[1]).map((c) => (c.endsWith(':') ? (c.startsWith(':') ? 'center' : 'right') : 'left'));
  const wrap = el('div', 'table-wrap');
  const t = wrap.appendChild(el('table'));
  const head = t.appendChild(el('thead')).appendChild(el('tr'));
  cells(lines[0]).forEach((c, i) => {
    // An empty corner cell is not a header of anything.
    const th = head.appendChild(el(c ? 'th' : 'td'));
    if (c) th.scope = 'col';
    th.className = `align-${align[i] ?? 'left'}`;
    renderInline(c, th);
  });
  const body = t.appendChild(el('tbody'));
  for (const line of lines.slice(2)) {
    const tr = body.appendChild(el('tr'));
    cells(line).forEach((c, i) => {
      const td = tr.appendChild(el('td'));
      td.className = `align-${align[i] ?? 'left'}`;
      renderInline(c, td);
    });
  }
  return wrap;
}

const LIST_ITEM = /^\s*([-*+]|\d+[.)])\s+(.*)$/;

export function renderMarkdown(source) {
  const out = document.createDocumentFragment();
  const lines = String(source).replace(/\r\n?/g, '\n').split('\n');
  let i = 0;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) renderInline(paragraph.join(' '), out.appendChild(el('p')));
    paragraph = [];
  };
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s*(```|~~~)\s*([\w-]*)/.exec(line);
    if (fence) {
      flush();
      const code = [];
      for (i += 1; i < lines.length && !lines[i].trim().startsWith(fence[1]); i += 1) code.push(lines[i]);
      i += 1; // the closing fence (or the end of a report still streaming)
      const pre = out.appendChild(el('pre'));
      const c = pre.appendChild(el('code'));
      if (fence[2]) c.dataset.language = fence[2];
      c.textContent = code.join('\n');
      continue;
    }
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      renderInline(heading[2], out.appendChild(el(`h${Math.min(6, heading[1].length + 2)}`)));
      i += 1;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1])) {
      flush();
      const rows = [line, lines[i + 1]];
      for (i += 2; i < lines.length && lines[i].includes('|') && lines[i].trim(); i += 1) rows.push(lines[i]);
      out.append(table(rows));
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      flush();
      out.append(el('hr'));
      i += 1;
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      flush();
      const ordered = /\d/.test(item[1]);
      const list = out.appendChild(el(ordered ? 'ol' : 'ul'));
      if (ordered && parseInt(item[1], 10) !== 1) list.start = parseInt(item[1], 10);
      for (let m = item; m && /\d/.test(m[1]) === ordered; m = LIST_ITEM.exec(lines[i] ?? '')) {
        const li = list.appendChild(el('li'));
        let text = m[2];
        // Continuation lines (indented, not a new item) belong to this item.
        for (i += 1; i < lines.length && /^\s{2,}\S/.test(lines[i]) && !LIST_ITEM.test(lines[i]); i += 1) text += ` ${lines[i].trim()}`;
        renderInline(text, li);
      }
      continue;
    }
    if (/^\s*>/.test(line)) {
      flush();
      const quoted = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i += 1) quoted.push(lines[i].replace(/^\s*>\s?/, ''));
      out.appendChild(el('blockquote')).append(renderMarkdown(quoted.join('\n')));
      continue;
    }
    if (!line.trim()) flush();
    else paragraph.push(line.trim());
    i += 1;
  }
  flush();
  return out;
}
