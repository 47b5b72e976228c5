import type { CommandSpec, ParsedArgs } from './options.js';

/** Exit codes from contract.md. */
export const EXIT_OK = 0;
export const EXIT_MISMATCH = 1; // run: finished with mismatches; gate: regression
export const EXIT_USAGE = 2; // usage or input error, unreachable target
export const EXIT_SIGINT = 130;
export const EXIT_SIGTERM = 143;

/** One module per command (src/cli/commands/<name>.ts) exports a Command. */
export interface Command extends CommandSpec {
  run(args: ParsedArgs): Promise<number>;
}
