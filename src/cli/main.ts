/**
 * Command dispatch. Logs and progress go to stderr, results (table or JSON) to
 * stdout. User errors (UsageError, TargetError, ProtocolError) print one line
 * and exit 2; anything else is a bug and prints its stack.
 */
import type { Command } from './command.js';
import { EXIT_USAGE } from './command.js';
import { parseArgs, renderHelp } from './options.js';
import { ProtocolError, TargetError, UsageError } from '../protocol/errors.js';
import { VERSION } from '../version.js';

/** Lazily imported so `--help` of one command does not load all of them. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.js')).default,
  serve: async () => (await import('./commands/serve.js')).default,
  report: async () => (await import('./commands/report.js')).default,
  gate: async () => (await import('./commands/gate.js')).default,
  merge: async () => (await import('./commands/merge.js')).default,
  faults: async () => (await import('./commands/faults.js')).default,
  sweep: async () => (await import('./commands/sweep.js')).default,
};

const SUMMARIES: Record<string, string> = {
  run: 'fire pipelined GetPage streams at a pageserver (default: the embedded emulator), verify every response, compare V2 / V3 / V3-noverify',
  serve: 'run the embedded pageserver emulator in the foreground',
  report: 'render a result file as HTML (with plots) and Markdown',
  gate: 'CI regression gate: compare a result against a baseline (exit 0 pass, 1 regression, 2 error)',
  merge: 'merge result files from several load hosts (--shard) into one',
  faults: 'fault-detection study: inject each mismatch kind, report what each protocol variant detects',
  sweep: 'capacity planning: step the offered load, find the highest load that meets a latency objective',
};

function topHelp(): string {
  const lines = [`pagestream-bench ${VERSION} — benchmark for the Neon page-stream protocol (V2 vs V3 echo)`, '', 'Usage: pagestream-bench <command> [options]', '', 'Commands:'];
  for (const [k, s] of Object.entries(SUMMARIES)) lines.push(`  ${k.padEnd(8)} ${s}`);
  lines.push('', 'Run `pagestream-bench <command> --help` for the options of a command.');
  return lines.join('\n') + '\n';
}

export function isUserError(e: unknown): e is Error {
  return e instanceof UsageError || e instanceof TargetError || e instanceof ProtocolError;
}

/** Hide URL passwords and token-looking values from `ps` (process.title rewrites argv on Linux). */
export function redactArgv(argv: readonly string[]): string[] {
  return argv.map((a) =>
    a
      .replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@')
      .replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '***'),
  );
}

export async function cli(argv: string[]): Promise<number> {
  // Before anything else can be observed: the JWT may sit in a URL password.
  process.title = ['pagestream-bench', ...redactArgv(argv)].join(' ');
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(topHelp());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`pagestream-bench: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}\n`);
    return EXIT_USAGE;
  }
  try {
    const cmd = await load();
    const args = parseArgs(cmd, rest);
    if (args.help) {
      process.stdout.write(renderHelp(cmd));
      return 0;
    }
    if (!cmd.positionals && args.positionals.length > 0) {
      throw new UsageError(`${name}: unexpected argument ${JSON.stringify(args.positionals[0])} (options start with --; see \`pagestream-bench ${name} --help\`)`);
    }
    return await cmd.run(args);
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`pagestream-bench ${name}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
