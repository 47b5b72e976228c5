/**
 * Text forms used on the command line, in the management API and in Neon's logs:
 * LSN `X/Y`, tenant/timeline ids (32 hex chars), RelTag `spc/db/rel[.fork]`.
 */
import { ProtocolError } from './errors.js';
import { fromHiLo, hi32, lo32 } from './u64.js';

/** Fork numbers (PostgreSQL ForkNumber). */
export const ForkNumber = { main: 0, fsm: 1, vm: 2, init: 3 } as const;
const FORK_NAMES = ['main', 'fsm', 'vm', 'init'] as const;

export interface RelTag {
  spcnode: number;
  dbnode: number;
  relnode: number;
  forknum: number;
}

const LSN_RE = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** Parse `X/Y` (each half 1–8 hex digits) into a u64. */
export function parseLsn(text: string): bigint {
  const m = LSN_RE.exec(text);
  if (!m) throw new ProtocolError('ERR_BAD_LSN', `bad LSN ${JSON.stringify(text)}: expected X/Y with 1-8 hex digits each side, e.g. 0/169AD58`);
  return fromHiLo(parseInt(m[1]!, 16), parseInt(m[2]!, 16));
}

/** Format a u64 LSN as PostgreSQL does: `%X/%08X`. */
export function formatLsn(lsn: bigint): string {
  return `${hi32(lsn).toString(16).toUpperCase()}/${lo32(lsn).toString(16).toUpperCase().padStart(8, '0')}`;
}

const ID_RE = /^[0-9a-fA-F]{32}$/;

/** Validate and normalise (lowercase) a 32-hex-char tenant or timeline id. */
export function parseId(text: string, what = 'id'): string {
  if (!ID_RE.test(text)) {
    throw new ProtocolError('ERR_BAD_ID', `bad ${what} ${JSON.stringify(text)}: expected 32 hex characters`);
  }
  return text.toLowerCase();
}

/** Parse a fork given by number (0-3) or name (main, fsm, vm, init). */
export function parseFork(text: string): number {
  if (/^[0-3]$/.test(text)) return Number(text);
  const i = (FORK_NAMES as readonly string[]).indexOf(text);
  if (i < 0) throw new ProtocolError('ERR_BAD_RELTAG', `bad fork ${JSON.stringify(text)}: expected 0-3 or main, fsm, vm, init`);
  return i;
}

export function forkName(forknum: number): string {
  return FORK_NAMES[forknum] ?? String(forknum);
}

const U32_RE = /^(0|[1-9][0-9]{0,9})$/;
function parseOid(text: string, field: string, whole: string): number {
  const n = U32_RE.test(text) ? Number(text) : NaN;
  if (!(n <= 0xFFFF_FFFF)) {
    throw new ProtocolError('ERR_BAD_RELTAG', `bad RelTag ${JSON.stringify(whole)}: ${field} must be a u32 decimal`);
  }
  return n;
}

/** Parse `spc/db/rel[.fork]`; fork defaults to main. */
export function parseRelTag(text: string): RelTag {
  const dot = text.indexOf('.');
  const path = dot < 0 ? text : text.slice(0, dot);
  const parts = path.split('/');
  if (parts.length !== 3) {
    throw new ProtocolError('ERR_BAD_RELTAG', `bad RelTag ${JSON.stringify(text)}: expected spc/db/rel[.fork], e.g. 1663/5/16384.main`);
  }
  return {
    spcnode: parseOid(parts[0]!, 'spcnode', text),
    dbnode: parseOid(parts[1]!, 'dbnode', text),
    relnode: parseOid(parts[2]!, 'relnode', text),
    forknum: dot < 0 ? 0 : parseFork(text.slice(dot + 1)),
  };
}

export function formatRelTag(r: RelTag): string {
  return `${r.spcnode}/${r.dbnode}/${r.relnode}.${forkName(r.forknum)}`;
}
