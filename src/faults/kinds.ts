/**
 * The two axes of the fault study: what the emulator does wrong (fault kinds,
 * issue 3 item 6) and how the client checks responses (verification variants).
 */

/** Fault kinds, in the order the matrix shows them. Same names as the emulator's `--faults`. */
export const STUDY_FAULT_KINDS = ['drop', 'swap', 'stale', 'wrong-block', 'wrong-rel', 'wrong-lsn', 'corrupt', 'error', 'close'] as const;
export type StudyFaultKind = (typeof STUDY_FAULT_KINDS)[number];

export type VerifyVariantName = 'v2' | 'v2+checksum' | 'v3' | 'v3+checksum';

export interface VerifyVariant {
  name: VerifyVariantName;
  /** Wire protocol of the run. */
  protocol: 'v2' | 'v3';
  /** Verify each page's data checksum against the requested block number. */
  verifyChecksum: boolean;
}

export const VERIFY_VARIANTS: readonly VerifyVariant[] = [
  { name: 'v2', protocol: 'v2', verifyChecksum: false },
  { name: 'v2+checksum', protocol: 'v2', verifyChecksum: true },
  { name: 'v3', protocol: 'v3', verifyChecksum: false },
  { name: 'v3+checksum', protocol: 'v3', verifyChecksum: true },
];

/**
 * What the client-side signal of each kind is. Mismatch kinds are caught (if
 * at all) by the verifier; `error` shows up as a page-stream Error response and
 * `close` as a connection error — neither can make the client accept a wrong
 * page by itself, which is what the study shows for them.
 */
export const DETECTION_SIGNAL: Record<StudyFaultKind, 'mismatch' | 'error-response' | 'connection-error'> = {
  drop: 'mismatch',
  swap: 'mismatch',
  stale: 'mismatch',
  'wrong-block': 'mismatch',
  'wrong-rel': 'mismatch',
  'wrong-lsn': 'mismatch',
  corrupt: 'mismatch',
  error: 'error-response',
  close: 'connection-error',
};

/**
 * Faults the emulator injects per response, except `stale`, which it injects
 * per fresh connection. A stale response only exists after a connection reset
 * (protocol.md §3: the connection was reset but the prefetch ring was not), so
 * the stale cell pairs it with `close` at the study rate — the server resets
 * connections now and then — and `stale=1`: every fresh connection first gets
 * one response meant for the old one. That is the seed's scenario end to end.
 */
export function faultSpec(kind: StudyFaultKind, rate: number): { faults: string; companions: StudyFaultKind[] } {
  if (kind === 'stale') return { faults: `close=${rate},stale=0.5`, companions: ['close'] };
  return { faults: `${kind}=${rate}`, companions: [] };
}
