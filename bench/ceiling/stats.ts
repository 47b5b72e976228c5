import { spreadOf } from '../../src/report/compare.js';

/** Median and min–max over rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  perRound: number[];
}

export function spread(xs: readonly number[]): Spread {
  const s = spreadOf(xs) ?? { median: NaN, min: NaN, max: NaN };
  return { ...s, perRound: [...xs] };
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
