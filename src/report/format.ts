/** Number formatting shared by the HTML and Markdown reports and the gate. */

export function fmtUs(us: number | undefined): string {
  if (us === undefined || !Number.isFinite(us)) return '–';
  if (us === 0) return '0';
  if (us >= 1e6) return `${(us / 1e6).toFixed(us >= 1e7 ? 1 : 2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(us >= 1e5 ? 0 : us >= 1e4 ? 1 : 2)} ms`;
  return `${us >= 100 ? us.toFixed(0) : us.toFixed(1)} µs`;
}

export function fmtInt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
}

export function fmtNum(n: number | undefined, digits = 1): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A ratio as a signed percentage change: 0.97 -> "-3.0%". */
export function fmtRatioPct(r: number | undefined, digits = 1): string {
  if (r === undefined || !Number.isFinite(r)) return '–';
  return fmtSignedPct((r - 1) * 100, digits);
}

export function fmtSignedPct(p: number | undefined, digits = 1): string {
  if (p === undefined || !Number.isFinite(p)) return '–';
  const s = p.toFixed(digits);
  return (p > 0 && Number(s) !== 0 ? '+' : '') + s + '%';
}

export function fmtRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '–';
  return r.toFixed(3);
}

export function fmtBytes(b: number | undefined): string {
  if (b === undefined || !Number.isFinite(b)) return '–';
  if (b >= 1024 ** 3) return `${(b / 1024 ** 3).toFixed(2)} GiB`;
  if (b >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(1)} MiB`;
  if (b >= 1024 * 10) return `${(b / 1024).toFixed(1)} KiB`;
  return `${fmtNum(b, b % 1 === 0 ? 0 : 1)} B`;
}

export function fmtPercentile(p: number): string {
  return `p${Number(p.toFixed(5))}`;
}
