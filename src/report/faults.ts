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
  seed?: number;
}

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
  const order = ['v2', 'v3', 'v3-noverify'];
  variants.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  return {
    kinds,
    variants,
    seed: typeof f.seed === 'number' ? f.seed : undefined,
    cell(kind, variant) {
      const c = (matrix[kind] as Record<string, unknown> | undefined)?.[variant];
      if (typeof c !== 'object' || c === null) return undefined;
      const o = c as Record<string, unknown>;
      return { injected: num(o.injected), detected: num(o.detected), undetected: num(o.undetected), falsePositives: num(o.falsePositives) };
    },
  };
}

/** Share of injected faults detected, or undefined when none were injected. */
export function detectionRate(c: FaultCell): number | undefined {
  return c.injected > 0 ? c.detected / c.injected : undefined;
}
