/**
 * `npm run fuzz`: the long fuzz run (default 10,000,000 cases) over the same
 * properties as test/fuzz/frame-fuzz.test.ts, in batches with a fresh seed
 * each, printing progress on stderr and a JSON summary on stdout.
 *
 *   npm run fuzz                      # 10M cases, then 200k through the emulator's Connection
 *   npm run fuzz -- --cases 1000000 --emulator-cases 50000 --seed 42
 *
 * Exit 0 when every case passed, 1 with the counterexample (seed, path) otherwise.
 */
import fc from 'fast-check';
import { clientPathProperty, serverPathProperty, clientStreamArb, serverStreamArb, garbageArb } from './helpers/properties.js';
import type { StreamCase } from './helpers/properties.js';
import { caseArb, feedCase } from './helpers/emulator-cases.js';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { silentSink } from '../../src/server/log.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 1) {
    process.stderr.write(`fuzz-long: --${name} needs a positive whole number\n`);
    process.exit(2);
  }
  return v;
}

const total = arg('cases', 10_000_000);
const emulatorTotal = arg('emulator-cases', 200_000);
let seed = arg('seed', Date.now() % 2 ** 31);
const BATCH = 100_000;
// Same mix as the suite: client path, server path, garbage to both.
const mix: Array<[string, fc.Arbitrary<StreamCase>, (c: StreamCase) => void, number]> = [
  ['client', serverStreamArb, clientPathProperty, 0.5],
  ['server', clientStreamArb, serverPathProperty, 0.4],
  ['garbage', garbageArb, (c) => { clientPathProperty(c); serverPathProperty(c); }, 0.1],
];

const started = process.hrtime.bigint();
let done = 0;
const firstSeed = seed;
while (done < total) {
  const batch = Math.min(BATCH, total - done);
  let left = batch;
  for (const [k, [name, arb, prop, share]] of mix.entries()) {
    const n = k === mix.length - 1 ? left : Math.min(left, Math.round(batch * share));
    left -= n;
    if (n <= 0) continue;
    const r = fc.check(fc.property(arb, (c) => { prop(c); }), { numRuns: n, seed });
    if (r.failed) {
      process.stderr.write(`fuzz-long: ${name} path FAILED at seed ${seed} after ${done} cases\n${fc.defaultReportMessage(r)}\n`);
      process.stdout.write(JSON.stringify({ ok: false, path: name, seed, cases: done }) + '\n');
      process.exit(1);
    }
    done += n;
    seed = (seed + 1) % 2 ** 31;
  }
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(`fuzz-long: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} cases, ${s.toFixed(0)} s, ${Math.round(done / s)} cases/s\n`);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

// The emulator's own request parser (real Connection class, in-memory socket).
const emu = new PageserverEmulator({ mgmtPort: -1, relationBlocks: [64, 32], log: silentSink, maxFrameLength: 16 * 1024 });
await emu.listen();
const asyncErrors: unknown[] = [];
process.on('uncaughtException', (e) => { asyncErrors.push(e); });
const emuStarted = process.hrtime.bigint();
let emuDone = 0;
let answered = 0;
while (emuDone < emulatorTotal) {
  const n = Math.min(10_000, emulatorTotal - emuDone);
  const r = fc.check(fc.property(caseArb, (c) => { if (feedCase(emu, c)) answered++; }), { numRuns: n, seed });
  await new Promise((res) => setTimeout(res, 20)); // let deferred work run
  if (r.failed || asyncErrors.length > 0) {
    process.stderr.write(`fuzz-long: emulator path FAILED at seed ${seed}: ${r.failed ? fc.defaultReportMessage(r) : String(asyncErrors[0])}\n`);
    process.stdout.write(JSON.stringify({ ok: false, path: 'emulator', seed, cases: emuDone }) + '\n');
    process.exit(1);
  }
  emuDone += n;
  seed = (seed + 1) % 2 ** 31;
  const s = Number(process.hrtime.bigint() - emuStarted) / 1e9;
  process.stderr.write(`fuzz-long: emulator ${emuDone.toLocaleString('en-US')} / ${emulatorTotal.toLocaleString('en-US')} cases, ${s.toFixed(0)} s\n`);
}
const emuSeconds = Number(process.hrtime.bigint() - emuStarted) / 1e9;
await emu.close();
process.stdout.write(JSON.stringify({
  ok: true, cases: done, firstSeed, seconds: Math.round(seconds), casesPerSecond: Math.round(done / seconds),
  emulatorCases: emuDone, emulatorAnswered: answered, emulatorSeconds: Math.round(emuSeconds),
  rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
}) + '\n');
process.exit(0);
