/**
 * The study as a `pagestream-bench.result/v1` file: the environment of the
 * last run, the study's configuration, the clean runs' variant figures (so
 * `report` can show them), and the `faults` object (matrix, clean, notes).
 */
import { resultEnvelope } from '../report/result.js';
import type { PagestreamResult } from '../report/result.js';
import type { StudyOutcome } from './study.js';

export function studyResult(o: StudyOutcome, startedAt: Date): PagestreamResult {
  const s = o.study;
  const shell = o.shell;
  return {
    ...resultEnvelope(startedAt, o.partial ? (o.partialReason ?? 'interrupted') : undefined),
    config: {
      command: 'faults',
      target: 'embedded',
      rels: shell?.config.rels ?? [],
      protocol: 'both',
      connections: s.connections,
      pipeline: s.pipeline,
      workers: shell?.config.workers ?? 1,
      durationS: s.durationS,
      warmupS: 0,
      rounds: 1,
      pattern: 'uniform',
      batch: 1,
      lsn: 'latest',
      seed: s.seed,
      verifyChecksum: false,
      onMismatch: s.onMismatch,
      ratePerFault: s.ratePerFault,
      kinds: s.kinds,
      faultVariants: s.variants,
      oracle: true,
    },
    // The clean runs' last figures, when they ran (the fault cells are in `faults`).
    variants: shell && Object.keys(s.clean).length > 0 ? shell.variants : {},
    comparison: shell && Object.keys(s.clean).length > 0 ? shell.comparison : {},
    faults: s,
  };
}
