/** Median and min–max over rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  perRound: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function spread(xs: readonly number[]): Spread {
  const ok = xs.filter((x) => Number.isFinite(x));
  return { median: median(ok), min: ok.length ? Math.min(...ok) : NaN, max: ok.length ? Math.max(...ok) : NaN, perRound: [...xs] };
}

/**
 * Per-round ratio of one field between two arms, pairing round i with round i
 * (arms measured seconds apart, so machine drift mostly cancels), then median
 * and min–max. A round missing from either arm (it failed) is left out.
 */
export function roundRatio<K extends string>(
  num: ReadonlyArray<{ round: number } & Record<K, number>> | undefined,
  den: ReadonlyArray<{ round: number } & Record<K, number>> | undefined,
  field: K,
): Spread | undefined {
  if (!num?.length || !den?.length) return undefined;
  const xs: number[] = [];
  for (const x of num) {
    const y = den.find((q) => q.round === x.round);
    if (y) xs.push(x[field] / y[field]);
  }
  return xs.length ? spread(xs) : undefined;
}
