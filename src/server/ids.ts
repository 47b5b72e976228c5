/**
 * Fixed identities of the emulator's default dataset. Lowercase 32-hex, as a
 * real pageserver prints tenant and timeline ids (protocol.md §1).
 */
export const DEFAULT_TENANT_ID = '3a1b5c7d9e0f42a4b6c8d0e2f4a6b8c0';
export const DEFAULT_TIMELINE_ID = '7e2f4a6c8b0d41e3a5c7e9f1b3d5f7a9';

/** PostgreSQL's default tablespace and the first user OIDs (initdb leaves 16384 free). */
export const DEFAULTTABLESPACE_OID = 1663;
export const GLOBALTABLESPACE_OID = 1664;
export const FIRST_USER_DB_OID = 16384;
export const FIRST_USER_REL_OID = 16385;

function hex32(seed: number, salt: number): string {
  // Deterministic ids for tenants/timelines beyond the first: a fixed mix, printed lowercase.
  let out = '';
  let h = (0x9e3779b1 ^ Math.imul(seed + 1, 0x85ebca6b) ^ Math.imul(salt + 7, 0xc2b2ae35)) >>> 0;
  for (let i = 0; i < 4; i++) {
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
    h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out;
}

export function tenantIdOf(i: number): string {
  return i === 0 ? DEFAULT_TENANT_ID : hex32(i, 1);
}
export function timelineIdOf(tenant: number, i: number): string {
  return tenant === 0 && i === 0 ? DEFAULT_TIMELINE_ID : hex32(tenant * 1024 + i, 2);
}
