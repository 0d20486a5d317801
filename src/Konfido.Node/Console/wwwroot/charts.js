// Small SVG charts for the console, drawn with DOM calls (no library, no inline script or style).
const SVG = 'http://www.w3.org/2000/svg';

/** Colours per event category (and a fallback cycle for anything else). */
export const categoryColours = {
  exchange: '#2563eb', identity: '#7c3aed', policy: '#0891b2', ledger: '#059669',
  siem: '#dc2626', device: '#d97706', he: '#db2777', custody: '#4b5563',
};
const fallback = ['#64748b', '#0d9488', '#9333ea', '#ca8a04'];

export function colourOf(category, i = 0) {
  return categoryColours[category] ?? fallback[i % fallback.length];
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c);
  return node;
}

function niceMax(value) {
  if (value <= 5) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * magnitude) return step * magnitude;
  }
  return 10 * magnitude;
}

/**
 * Stacked columns: one per minute, stacked by category.
 * @param {{label: string, total: number, parts: Record<string, number>}[]} columns oldest first
 * @param {string[]} categories stacking order
 */
export function stackedColumns(columns, categories, { width = 1000, height = 240, title = '' } = {}) {
  const pad = { left: 40, right: 12, top: 12, bottom: 28 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(1, ...columns.map(c => c.total)));
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  // niceMax is 1, 2, 2.5 or 5 times a power of ten: five steps give round tick labels.
  for (let i = 0; i <= 5; i++) {
    const y = pad.top + innerH - (innerH * i) / 5;
    svg.append(el('line', { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: 'grid' }));
    svg.append(el('text', { x: pad.left - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' }, String(Math.round((max * i) / 5))));
  }
  const slot = innerW / Math.max(1, columns.length);
  const barW = Math.max(2, slot * 0.7);
  columns.forEach((column, i) => {
    const x = pad.left + i * slot + (slot - barW) / 2;
    let y = pad.top + innerH;
    const group = el('g', { class: 'column', 'data-total': column.total });
    group.append(el('title', {}, `${column.label}: ${column.total} event(s)` +
      categories.filter(c => column.parts[c]).map(c => `\n${c}: ${column.parts[c]}`).join('')));
    categories.forEach((category, ci) => {
      const n = column.parts[category] ?? 0;
      if (!n) return;
      const h = (innerH * n) / max;
      y -= h;
      group.append(el('rect', { x, y, width: barW, height: Math.max(h, 0.5), fill: colourOf(category, ci), rx: 1.5 }));
    });
    svg.append(group);
    if (i % Math.ceil(columns.length / 6) === 0 || i === columns.length - 1) {
      svg.append(el('text', { x: x + barW / 2, y: height - 8, 'text-anchor': 'middle', class: 'tick' }, column.label));
    }
  });
  svg.append(el('line', { x1: pad.left, x2: width - pad.right, y1: pad.top + innerH, y2: pad.top + innerH, class: 'axis' }));
  return svg;
}

/**
 * Horizontal bars, one per row, longest first as given.
 * @param {{label: string, value: number, note?: string}[]} rows
 */
export function horizontalBars(rows, { width = 1000, title = '', colour = '#dc2626' } = {}) {
  const rowH = 30;
  const labelW = Math.min(320, width * 0.45);
  const height = Math.max(1, rows.length) * rowH + 8;
  const max = niceMax(Math.max(1, ...rows.map(r => r.value)));
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(el('title', {}, title));
  rows.forEach((row, i) => {
    const y = 4 + i * rowH;
    const w = ((width - labelW - 60) * row.value) / max;
    const g = el('g', { class: 'bar-row', 'data-label': row.label, 'data-value': row.value });
    g.append(el('title', {}, `${row.label}: ${row.value}${row.note ? ` (${row.note})` : ''}`));
    const label = row.label.length > 44 ? `${row.label.slice(0, 43)}…` : row.label;
    g.append(el('text', { x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'label' }, label));
    g.append(el('rect', { x: labelW, y: y + 5, width: Math.max(w, 2), height: rowH - 10, fill: colour, rx: 3 }));
    g.append(el('text', { x: labelW + Math.max(w, 2) + 6, y: y + rowH / 2 + 4, class: 'value' }, String(row.value)));
    svg.append(g);
  });
  return svg;
}

/** A thin progress bar: the part of a period used up (0..1). */
export function progress(fraction, { width = 300, height = 10, overdue = false } = {}) {
  const f = Math.min(1, Math.max(0, fraction));
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'progress', preserveAspectRatio: 'none' });
  svg.append(el('rect', { x: 0, y: 0, width, height, rx: height / 2, class: 'track' }));
  svg.append(el('rect', { x: 0, y: 0, width: Math.max(width * f, height), height, rx: height / 2, class: overdue || f > 0.85 ? 'fill danger' : f > 0.5 ? 'fill warn' : 'fill' }));
  return svg;
}
