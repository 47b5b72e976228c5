/**
 * Hand-written inline SVG charts for the HTML report: no library, no script, no
 * network, so the report opens offline and renders identically everywhere.
 * Every data series is an element with class "series" and data-series=<name>,
 * which is what the browser test counts.
 */

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface Series {
  name: string;
  color: string;
  points: Array<{ x: number; y: number; label?: string }>;
  /** Draw point markers (with tooltips). */
  markers?: boolean;
  /** Break the line where consecutive x values are further apart than this (rounds interleave variants). */
  gapOver?: number;
}

export interface Tick {
  v: number;
  label: string;
}

export interface LineChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xTicks?: Tick[];
  xMin?: number;
  xMax?: number;
  yLog?: boolean;
  yFromZero?: boolean;
  yFormat: (v: number) => string;
  xFormat?: (v: number) => string;
  width?: number;
  height?: number;
  /** Corner for the legend, where the data is not: top-left for rising percentile curves. */
  legend?: 'tl' | 'tr' | 'bl' | 'br';
}

const M = { top: 34, right: 34, bottom: 46, left: 74 };

function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * mag;
}

function linearTicks(min: number, max: number, target: number, fmt: (v: number) => string): Tick[] {
  if (!(max > min)) return [{ v: min, label: fmt(min) }];
  const step = niceStep(max - min, target);
  const out: Tick[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push({ v, label: fmt(v) });
  return out;
}

/** 1-2-5 ticks per decade over [min, max] for a log axis. */
function logTicks(min: number, max: number, fmt: (v: number) => string): Tick[] {
  const out: Tick[] = [];
  const decades = Math.log10(max / min);
  const mults = decades > 4 ? [1] : decades > 2 ? [1, 3] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of mults) {
      const v = m * Math.pow(10, e);
      if (v >= min * 0.999 && v <= max * 1.001) out.push({ v, label: fmt(v) });
    }
  }
  return out;
}

export function lineChart(spec: LineChartSpec): string {
  const W = spec.width ?? 760;
  const H = spec.height ?? 340;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const all = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.yLog || p.y > 0));
  let xMin = spec.xMin ?? Math.min(...all.map((p) => p.x));
  let xMax = spec.xMax ?? Math.max(...all.map((p) => p.x));
  if (!Number.isFinite(xMin) || !Number.isFinite(xMax)) (xMin = 0), (xMax = 1);
  if (xMax <= xMin) xMax = xMin + 1;
  let yMin = Math.min(...all.map((p) => p.y));
  let yMax = Math.max(...all.map((p) => p.y));
  if (!Number.isFinite(yMin)) (yMin = spec.yLog ? 1 : 0), (yMax = spec.yLog ? 10 : 1);
  let yTicks: Tick[];
  if (spec.yLog) {
    yMin = Math.pow(10, Math.floor(Math.log10(Math.max(yMin, 1e-9)) * 4) / 4);
    yMax = Math.pow(10, Math.ceil(Math.log10(Math.max(yMax, yMin * 1.5)) * 4) / 4);
    yTicks = logTicks(yMin, yMax, spec.yFormat);
  } else {
    if (spec.yFromZero !== false) yMin = Math.min(0, yMin);
    if (yMax <= yMin) yMax = yMin + 1;
    const step = niceStep(yMax - yMin, 5);
    yMax = Math.ceil((yMax * 1.04) / step) * step;
    yTicks = linearTicks(yMin, yMax, 5, spec.yFormat);
  }
  const sx = (x: number): number => M.left + ((x - xMin) / (xMax - xMin)) * pw;
  const sy = spec.yLog
    ? (y: number): number => M.top + ph - ((Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph
    : (y: number): number => M.top + ph - ((y - yMin) / (yMax - yMin)) * ph;
  const xTicks = spec.xTicks ?? linearTicks(xMin, xMax, 8, spec.xFormat ?? ((v) => String(Number(v.toFixed(2)))));
  const parts: string[] = [];
  parts.push(`<svg class="chart" id="${esc(spec.id)}" data-chart="${esc(spec.id)}" data-series-count="${spec.series.length}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<text class="title" x="${M.left}" y="20">${esc(spec.title)}</text>`);
  parts.push(`<g class="grid">`);
  for (const t of yTicks) {
    const y = sy(t.v).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}"/><text class="tick" x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(t.label)}</text>`);
  }
  for (const t of xTicks) {
    if (t.v < xMin - 1e-9 || t.v > xMax + 1e-9) continue;
    const x = sx(t.v).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}"/><text class="tick" x="${x}" y="${M.top + ph + 16}" text-anchor="middle">${esc(t.label)}</text>`);
  }
  parts.push(`</g>`);
  parts.push(`<rect class="frame" x="${M.left}" y="${M.top}" width="${pw}" height="${ph}"/>`);
  parts.push(`<text class="axis" x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(`<text class="axis" transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  for (const s of spec.series) {
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.yLog || p.y > 0));
    const d = pts.map((p, i) => `${i && !(s.gapOver !== undefined && p.x - pts[i - 1]!.x > s.gapOver) ? 'L' : 'M'}${sx(p.x).toFixed(1)} ${sy(p.y).toFixed(1)}`).join('');
    parts.push(`<g class="series" data-series="${esc(s.name)}" data-points="${pts.length}">`);
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2.2" stroke-linejoin="round"/>`);
    if (s.markers) {
      for (const p of pts) {
        parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.2" fill="${s.color}"><title>${esc(`${s.name}: ${p.label ?? spec.yFormat(p.y)}`)}</title></circle>`);
      }
    }
    parts.push(`</g>`);
  }
  // Legend inside the plot, in the corner the caller says is empty.
  const pos = spec.legend ?? 'tr';
  const lw = Math.max(...spec.series.map((s) => s.name.length), 4) * 7.5 + 34;
  const lh = spec.series.length * 18 + 6;
  const lx = pos[1] === 'l' ? M.left + 10 : M.left + pw - lw - 8;
  let ly = pos[0] === 't' ? M.top + 8 : M.top + ph - lh - 6;
  parts.push(`<g class="legend"><rect x="${lx}" y="${ly - 4}" width="${lw}" height="${lh}" rx="4"/>`);
  for (const s of spec.series) {
    parts.push(`<line x1="${lx + 8}" x2="${lx + 26}" y1="${ly + 7}" y2="${ly + 7}" stroke="${s.color}" stroke-width="3"/><text x="${lx + 32}" y="${ly + 7}" dominant-baseline="middle">${esc(s.name)}</text>`);
    ly += 18;
  }
  parts.push(`</g></svg>`);
  return parts.join('');
}

export interface Bar {
  name: string;
  color: string;
  value: number;
  label: string;
}

/** Horizontal bars, one per variant: long labels stay readable. */
export function barChart(spec: { id: string; title: string; bars: Bar[]; width?: number; note?: string }): string {
  const W = spec.width ?? 364;
  const rowH = 30;
  const top = 34;
  const left = 92;
  const right = 124;
  const H = top + spec.bars.length * rowH + (spec.note ? 26 : 10);
  const max = Math.max(...spec.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), 1e-12);
  const pw = W - left - right;
  const parts: string[] = [];
  parts.push(`<svg class="chart bar" id="${esc(spec.id)}" data-chart="${esc(spec.id)}" data-series-count="${spec.bars.length}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<text class="title" x="8" y="20">${esc(spec.title)}</text>`);
  spec.bars.forEach((b, i) => {
    const y = top + i * rowH;
    const w = Number.isFinite(b.value) ? Math.max(1, (b.value / max) * pw) : 0;
    parts.push(`<g class="series" data-series="${esc(b.name)}"><text x="${left - 8}" y="${y + 11}" text-anchor="end" dominant-baseline="middle">${esc(b.name)}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="22" rx="3" fill="${b.color}"><title>${esc(`${b.name}: ${b.label}`)}</title></rect>`);
    parts.push(`<text class="value" x="${(left + w + 6).toFixed(1)}" y="${y + 11}" dominant-baseline="middle">${esc(b.label)}</text></g>`);
  });
  if (spec.note) parts.push(`<text class="note" x="8" y="${H - 8}">${esc(spec.note)}</text>`);
  parts.push(`</svg>`);
  return parts.join('');
}
