/**
 * Every `run` option is validated at the boundary: a bad value ends in exit 2
 * with one line on stderr naming the option and the accepted form, before
 * anything starts. The option list is read from `run --help`, so an option added
 * later is covered too. Options that make no sense together are rejected.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, hasStackTrace } from './helpers/cli.js';
import type { CliRun } from './helpers/cli.js';

interface HelpOption { name: string; arg: string | undefined }

/** Options whose value is a free-form path or name: any string is acceptable there. */
const FREE_FORM = new Set(['out', 'hlog', 'report', 'label', 'name', 'tag', 'baseline', 'notes', 'application-name', 'user', 'jwt-file', 'format-file']);

const ACCEPTED_FORM = /is not|must|expected|one of|accept|needs|>=|<=|\bform\b|e\.g\.|between|at least|at most|positive|whole number|number|duration|hex|url|LSN|RelTag|spc\/db\/rel/i;

async function parseHelp(cmd: string): Promise<HelpOption[]> {
  const r = await runCli([cmd, '--help']);
  assert.equal(r.code, 0, `${cmd} --help failed: ${r.stderr}`);
  const opts: HelpOption[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s{2}--([a-z0-9][a-z0-9-]*)(?: (<[^>]+>|\S+))?(?:\s|$)/.exec(line);
    if (m && m[1] !== 'help') opts.push({ name: m[1]!, arg: m[2] });
  }
  return opts;
}

/** Run many short CLI invocations a few at a time (each is a node start-up). */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

function usageFailure(r: CliRun, option: string, what: string): string | undefined {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  if (r.timedOut) return `${what}: hung`;
  if (r.code !== 2) return `${what}: exit ${r.code} (want 2); stderr: ${r.stderr.trim().slice(0, 300)}`;
  if (lines.length !== 1) return `${what}: ${lines.length} lines on stderr (want 1): ${r.stderr.trim().slice(0, 300)}`;
  if (!lines[0]!.includes(`--${option}`)) return `${what}: message does not name --${option}: ${lines[0]}`;
  if (!ACCEPTED_FORM.test(lines[0]!)) return `${what}: message does not say what is accepted: ${lines[0]}`;
  if (hasStackTrace(r.stderr)) return `${what}: stack trace`;
  return undefined;
}

/**
 * Options whose validation was once missing (a bad --tenant, --timeline or
 * --rel not naming the option; --mgmt not checked as a URL; --emulator-args
 * printing two lines). Fixed in `run`; kept as their own test so a regression
 * names them.
 */
const KNOWN: Record<string, string> = {
  mgmt: '--mgmt is not checked to be an http(s) URL: a bogus value is fetched (5 s timeout) and the error does not name --mgmt',
  tenant: 'a bad --tenant id is reported as "bad tenant id …" without naming --tenant',
  timeline: 'a bad --timeline id is reported as "bad timeline id …" without naming --timeline',
  rel: 'a bad --rel is reported as "bad RelTag …" without naming --rel',
  'emulator-args': 'a bad --emulator-args flag prints two lines (the forwarded [emulator] line and run\'s own)',
};

interface Failure { option: string; text: string }

let garbage: Promise<Failure[]> | undefined;
/** Run every garbage-value case once; both tests below read the outcome. */
function garbageFailures(): Promise<Failure[]> {
  garbage ??= (async () => {
    const opts = await parseHelp('run');
    assert.ok(opts.length >= 15, `run --help lists only ${opts.length} options: ${opts.map((o) => o.name).join(' ')}`);
    const cases: Array<{ option: string; argv: string[] }> = [];
    for (const o of opts) {
      if (o.arg === undefined) {
        cases.push({ option: o.name, argv: [`--${o.name}=maybe`] });
        continue;
      }
      if (o.name === 'emulator-args') {
        cases.push({ option: 'emulator-args', argv: ['--emulator-args=--no-such-flag', '--duration', '0.2', '--rounds', '1', '--protocol', 'v3'] });
        continue;
      }
      if (FREE_FORM.has(o.name) || /file|path|dir/i.test(o.arg)) continue;
      cases.push({ option: o.name, argv: [`--${o.name}`, 'bogus!%', '--timeout', '1s'] });
      // (connections, pipeline, workers, duration: covered by the out-of-range test below)
      if (['warmup', 'rounds', 'rate', 'batch', 'timeout', 'seed'].includes(o.name)) {
        cases.push({ option: o.name, argv: [`--${o.name}=-1`] });
      }
    }
    const results = await pool(cases, 4, async (c) => {
      const r = await runCli(['run', ...c.argv], { timeoutMs: 12_000 });
      const what = `run ${c.argv.join(' ')}`;
      const why = c.option === 'emulator-args'
        ? (r.code !== 2 ? `exit ${r.code}` : !/no-such-flag/.test(r.stderr) ? 'does not name the bad flag' : r.stderr.trim().split('\n').length !== 1 ? `${r.stderr.trim().split('\n').length} lines on stderr` : hasStackTrace(r.stderr) ? 'stack trace' : undefined)
        : usageFailure(r, c.option, what)?.slice(what.length + 2);
      return why === undefined ? undefined : { option: c.option, text: `${what}: ${why}` };
    });
    return results.filter((f): f is Failure => f !== undefined);
  })();
  return garbage;
}

describe('run: option validation at the boundary', { concurrency: 1 }, () => {
  test('every option with a value rejects garbage: exit 2, one line naming the option and the accepted form', { timeout: 90_000 }, async () => {
    const failures = (await garbageFailures()).filter((f) => !(f.option in KNOWN));
    assert.deepEqual(failures.map((f) => f.text), [], `options not validated:\n${failures.map((f) => f.text).join('\n')}`);
  });

  test('once-known gaps: --mgmt, --tenant, --timeline, --rel, --emulator-args', { timeout: 90_000 }, async () => {
    const failures = (await garbageFailures()).filter((f) => f.option in KNOWN);
    assert.deepEqual(failures.map((f) => f.text), []);
  });

  test('load-shape numbers out of range are rejected', { timeout: 30_000 }, async () => {
    const cases: Array<[string, string[]]> = [
      ['connections', ['--connections', '0']],
      ['pipeline', ['--pipeline', '0']],
      ['workers', ['--workers', '0']],
      ['duration', ['--duration', '0']],
      ['connections', ['--connections', '2.5']],
      ['rate', ['--rate', '0']],
      ['slice', ['--slice', '1ms']],
      ['rcvbuf', ['--rcvbuf', '2GiB']],
      ['pacing', ['--pacing', 'spin']],
    ];
    const failures = (await pool(cases, 3, async ([o, argv]) => usageFailure(await runCli(['run', ...argv], { timeoutMs: 15_000 }), o, `run ${argv.join(' ')}`))).filter((f): f is string => f !== undefined);
    assert.deepEqual(failures, [], failures.join('\n'));
  });

  const T = '0123456789abcdef0123456789abcdef';
  const L = 'fedcba9876543210fedcba9876543210';
  const combos = async (cases: Array<{ argv: string[]; names: string[] }>): Promise<string[]> => {
    const failures: string[] = [];
    await pool(cases, 3, async (c) => {
      const r = await runCli(['run', ...c.argv, '--timeout', '1s'], { timeoutMs: 15_000 });
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      const what = `run ${c.argv.join(' ')}`;
      if (r.code !== 2) failures.push(`${what}: exit ${r.code} (want 2); stderr: ${r.stderr.trim().slice(0, 300)}`);
      else if (lines.length !== 1) failures.push(`${what}: ${lines.length} lines on stderr: ${r.stderr.trim().slice(0, 600)}`);
      // The option may be named with or without its dashes ("oracle checks need …").
      else for (const n of c.names) if (!new RegExp(`(^|[^a-z-])(--)?${n}([^a-z-]|$)`).test(lines[0]!.replace(/^pagestream-bench run: /, ''))) failures.push(`${what}: does not name --${n}: ${lines[0]}`);
      if (hasStackTrace(r.stderr)) failures.push(`${what}: stack trace`);
    });
    return failures;
  };

  test('options that make no sense together are rejected with one line naming them', { timeout: 30_000 }, async () => {
    const failures = await combos([
      { argv: ['--target', 'postgres://127.0.0.1:1', '--tenant', T, '--rel', '1663/5/16384'], names: ['timeline'] },
      { argv: ['--target', 'postgres://127.0.0.1:1', '--timeline', L, '--rel', '1663/5/16384'], names: ['tenant'] },
      { argv: ['--target', 'postgres://127.0.0.1:1'], names: ['mgmt'] },
      { argv: ['--rate', '1000', '--pipeline', '0'], names: ['pipeline'] },
      { argv: ['--target', 'postgres://127.0.0.1:1', '--tenant', T, '--timeline', L, '--rel', '1663/5/16384', '--emulator-args=--quiet'], names: ['emulator-args'] },
      { argv: ['--target', 'postgres://127.0.0.1:1', '--tenant', T, '--timeline', L, '--rel', '1663/5/16384', '--oracle'], names: ['oracle'] },
      { argv: ['--slice-log', 'slices.jsonl', '--protocol', 'v3'], names: ['slice-log'] },
      { argv: ['--slice-log', 'slices.jsonl', '--slice', '0'], names: ['slice-log'] },
      { argv: ['--slice-log', 'slices.jsonl', '--rate', '1000'], names: ['slice-log'] },
    ]);
    assert.deepEqual(failures, [], failures.join('\n'));
  });

  test('--tenant or --timeline without --target is rejected naming --target', { timeout: 30_000 }, async () => {
    const failures = await combos([{ argv: ['--tenant', T], names: ['tenant', 'target'] }, { argv: ['--timeline', L], names: ['timeline', 'target'] }]);
    assert.deepEqual(failures, [], failures.join('\n'));
  });

  test('unknown options and missing values: exit 2, one line', async () => {
    for (const argv of [['--no-such-option'], ['--connections'], ['--protocol', 'v4']]) {
      const r = await runCli(['run', ...argv], { timeoutMs: 15_000 });
      assert.equal(r.code, 2, `run ${argv.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!hasStackTrace(r.stderr));
    }
  });
});
