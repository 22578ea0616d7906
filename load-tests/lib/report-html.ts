/** Self-contained HTML reports with inline SVG charts: no scripts, no external assets. */

export interface Series {
  name: string;
  points: [number, number][];
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#be185d', '#4b5563'];
const W = 720;
const H = 260;
const PAD = { left: 60, right: 16, top: 28, bottom: 36 };

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * mag) return m * mag;
  return 10 * mag;
}

function fmt(v: number): string {
  if (v >= 10_000) return `${Math.round(v / 1000)}k`;
  if (v >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return v.toFixed(1);
}

export function lineChart(opts: { title: string; xLabel: string; yLabel: string; series: Series[] }): string {
  const all = opts.series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yMax = niceMax(Math.max(0, ...all.map(([, y]) => y)));
  const px = (x: number) => PAD.left + (x / xMax) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const y = py(yMax * f);
      return `<line x1="${PAD.left}" y1="${y}" x2="${W - PAD.right}" y2="${y}" stroke="#e5e7eb"/><text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${fmt(yMax * f)}</text>`;
    })
    .join('');
  const lines = opts.series
    .map((s, i) => {
      const d = s.points
        .map(([x, y], k) => `${k ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
        .join('');
      return `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>`;
    })
    .join('');
  const legend = opts.series
    .map(
      (s, i) =>
        `<tspan fill="${COLORS[i % COLORS.length]}">■</tspan> ${esc(s.name)}${i < opts.series.length - 1 ? '&#160;&#160;&#160;' : ''}`,
    )
    .join('');
  return `<figure><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(opts.title)}">
<text x="${PAD.left}" y="14" class="title">${esc(opts.title)}</text>
<text x="${W - PAD.right}" y="${PAD.top - 2}" text-anchor="end">${legend}</text>
${grid}
<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#9ca3af"/>
<text x="${PAD.left}" y="${H - 10}">0</text><text x="${W - PAD.right}" y="${H - 10}" text-anchor="end">${fmt(xMax)} ${esc(opts.xLabel)}</text>
<text x="12" y="${H / 2}" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">${esc(opts.yLabel)}</text>
${lines}</svg></figure>`;
}

export function barChart(opts: {
  title: string;
  unit?: string;
  bars: { label: string; value: number; color?: string }[];
  /** Room for the labels on the left, in the chart's 720-unit width (default 190). */
  labelWidth?: number;
}): string {
  const max = niceMax(Math.max(0, ...opts.bars.map((b) => b.value)));
  const rowH = 26;
  const height = PAD.top + opts.bars.length * rowH + 12;
  const labelW = opts.labelWidth ?? 190;
  const bw = W - labelW - 90;
  const rows = opts.bars
    .map((b, i) => {
      const y = PAD.top + i * rowH;
      const w = Math.max(1, (b.value / max) * bw);
      return `<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${esc(b.label)}</text>
<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${b.color ?? COLORS[i % COLORS.length]}"/>
<text x="${labelW + w + 6}" y="${y + 16}">${fmt(b.value)}${opts.unit ? ` ${esc(opts.unit)}` : ''}</text>`;
    })
    .join('');
  return `<figure><svg viewBox="0 0 ${W} ${height}" role="img" aria-label="${esc(opts.title)}">
<text x="${PAD.left}" y="16" class="title">${esc(opts.title)}</text>${rows}</svg></figure>`;
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const th = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>`;
}

/** A whole report page; `maxWidth` (px, default 780) widens the text and tables, never the charts. */
export function page(title: string, sections: string[], opts: { maxWidth?: number } = {}): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:${opts.maxWidth ?? 780}px;color:#111827;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}figure{margin:1rem 0;max-width:780px}svg{width:100%;height:auto;font-size:11px;fill:#374151}
.title{font-size:13px;font-weight:600;fill:#111827}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #d1d5db;padding:.25rem .6rem;text-align:left}table{display:block;overflow-x:auto}
.ok{color:#15803d;font-weight:600}.fail{color:#b91c1c;font-weight:600}code{background:#f3f4f6;padding:0 .2rem}
</style></head><body><h1>${esc(title)}</h1>${sections.join('\n')}</body></html>`;
}

export { esc as escapeHtml };
