/**
 * The fault study as the report reads it: `faults.matrix[kind][variant]` with
 * injected / detected / undetected / falsePositives (written by `faults`).
 * `PagestreamResult.faults` is `unknown` in the schema, so read it defensively:
 * anything that does not look like the matrix is shown as raw JSON instead.
 */

export interface FaultCell {
  injected: number;
  detected: number;
  undetected: number;
  falsePositives: number;
}

export interface FaultMatrix {
  kinds: string[];
  variants: string[];
  cell(kind: string, variant: string): FaultCell | undefined;
  /** True when the cell's `undetected` was inferred rather than counted by the oracle. */
  inferred(kind: string, variant: string): boolean;
  seed?: number;
  ratePerFault?: number;
  /** Clean runs (nothing injected): variant -> figures, as written by `faults`. */
  clean: Array<{ variant: string; figures: Record<string, number> }>;
  notes: string[];
}

/** Column order: the plain variants, each followed by its checksum-verifying form. */
const VARIANT_ORDER = ['v2', 'v2+checksum', 'v3', 'v3+checksum', 'v3-noverify'];

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function readFaultMatrix(faults: unknown): FaultMatrix | undefined {
  if (typeof faults !== 'object' || faults === null) return undefined;
  const f = faults as Record<string, unknown>;
  const m = f.matrix;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return undefined;
  const matrix = m as Record<string, unknown>;
  const kinds = Object.keys(matrix);
  const variants: string[] = [];
  for (const k of kinds) {
    const row = matrix[k];
    if (typeof row !== 'object' || row === null) return undefined;
    for (const v of Object.keys(row)) if (!variants.includes(v)) variants.push(v);
  }
  variants.sort((a, b) => (VARIANT_ORDER.indexOf(a) + 1 || 99) - (VARIANT_ORDER.indexOf(b) + 1 || 99));
  const rawCell = (kind: string, variant: string): Record<string, unknown> | undefined => {
    const c = (matrix[kind] as Record<string, unknown> | undefined)?.[variant];
    return typeof c === 'object' && c !== null ? (c as Record<string, unknown>) : undefined;
  };
  const clean: FaultMatrix['clean'] = [];
  if (typeof f.clean === 'object' && f.clean !== null) {
    const entries = Object.entries(f.clean as Record<string, unknown>).sort(([a], [b]) => (VARIANT_ORDER.indexOf(a) + 1 || 99) - (VARIANT_ORDER.indexOf(b) + 1 || 99));
    for (const [variant, c] of entries) {
      if (typeof c !== 'object' || c === null) continue;
      const figures: Record<string, number> = {};
      for (const [k, v] of Object.entries(c)) if (typeof v === 'number' && Number.isFinite(v)) figures[k] = v;
      clean.push({ variant, figures });
    }
  }
  return {
    kinds,
    variants,
    seed: typeof f.seed === 'number' ? f.seed : undefined,
    ratePerFault: typeof f.ratePerFault === 'number' ? f.ratePerFault : undefined,
    clean,
    notes: Array.isArray(f.notes) ? f.notes.filter((n): n is string => typeof n === 'string') : [],
    inferred: (kind, variant) => rawCell(kind, variant)?.undetectedBasis === 'inferred',
    cell(kind, variant) {
      const o = rawCell(kind, variant);
      if (!o) return undefined;
      return { injected: num(o.injected), detected: num(o.detected), undetected: num(o.undetected), falsePositives: num(o.falsePositives) };
    },
  };
}

/** Share of injected faults detected, or undefined when none were injected. */
export function detectionRate(c: FaultCell): number | undefined {
  return c.injected > 0 ? c.detected / c.injected : undefined;
}
