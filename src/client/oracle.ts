/**
 * Levels of the ground-truth oracle (embedded emulator only) that checks every
 * page the verifier accepted. `StreamSpec.oracle` / `ShardTask.oracle` carry one
 * of these (`true` is read as ORACLE_STAMP, `false` as ORACLE_OFF).
 *
 *  - ORACLE_STAMP: the identity stamp buildPage writes into every emulator page
 *    (spcnode, dbnode, relnode, fork, blkno) names the requested page: catches a
 *    page of another block or relation (drop, swap, stale, wrong-*). 25 bytes.
 *  - ORACLE_PAGE: the stamp, and the page's data checksum against the requested
 *    block. Emulator pages always carry valid checksums, so a bad one is a page
 *    corrupted after it was built (the `corrupt` fault) that the verifier let
 *    through. Costs one checksum (~1 us) per accepted page unless the verifier
 *    already checked it (--verify-checksum).
 */
export const ORACLE_OFF = 0;
export const ORACLE_STAMP = 1;
export const ORACLE_PAGE = 2;

/** The oracle level a run asks for: RunOptions.oracle and RunOptions.oracleChecksum (default on). */
export function oracleLevel(oracle: boolean, oracleChecksum: boolean | undefined): number {
  if (!oracle) return ORACLE_OFF;
  return oracleChecksum === false ? ORACLE_STAMP : ORACLE_PAGE;
}
