/**
 * `pagestream-bench run` end to end: the real CLI, the real emulator (as its
 * own process), real sockets on 127.0.0.1. Small durations; every assertion is
 * about behaviour (fields, exit codes, what is printed where), never speed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, sign } from 'node:crypto';
import { alive, runCli } from './helpers/cli.js';
import { startEmulatorProcess } from '../../src/server/process.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { decodeHistogram } from '../../src/stats/histogram.js';
import type { PagestreamResult } from '../../src/report/result.js';
import { DEFAULT_SLICE_S } from '../../src/client/options.js';
import { pairedCpuRatio } from '../../src/client/paired.js';

const dir = mkdtempSync(join(tmpdir(), 'psb-run-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const SMALL = ['--duration', '0.9', '--warmup', '0.1', '--rounds', '3', '--connections', '2', '--pipeline', '8', '--workers', '1', '--quiet'];
const load = (p: string): PagestreamResult => JSON.parse(readFileSync(p, 'utf8')) as PagestreamResult;
/** One line, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at /);
  return lines[0]!;
}

test('default target: three variants interleaved, result file per contract, table on stdout, exit 0', async () => {
  const out = join(dir, 'clean.json');
  const sliceLog = join(dir, 'clean.slices.jsonl');
  const r = await runCli(['run', ...SMALL, '--out', out, '--slice-log', sliceLog]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /V2\s+V3\s+V3-noverify\s+V3 vs V2/);
  assert.ok(r.stdout.includes(`s per variant in ${Math.round(DEFAULT_SLICE_S * 1000)} ms slices`), 'the header says how the variants interleaved');
  const res = load(out);
  assert.equal(res.config.interleave, 'slices');
  assert.equal(res.schema, 'pagestream-bench.result/v1');
  assert.equal(res.partial, false);
  assert.equal(res.tool.name, 'pagestream-bench');
  assert.equal(res.node, process.version);
  assert.ok(res.cpus >= 1);
  assert.equal(res.config.target, 'embedded');
  assert.equal(res.config.tenant, DEFAULT_TENANT_ID);
  assert.equal(res.config.connections, 2);
  for (const name of ['v2', 'v3', 'v3-noverify'] as const) {
    const v = res.variants[name]!;
    assert.ok(v, name);
    assert.ok(v.responses > 0, `${name} responses`);
    assert.equal(v.mismatches, 0);
    assert.equal(v.errors, 0);
    assert.equal(v.rounds.length, 3, `${name}: one figure per round`);
    assert.deepEqual(v.rounds.map((x) => x.round), [1, 2, 3]);
    assert.ok(Math.abs(v.rounds.reduce((s, x) => s + x.responses, 0) - v.responses) === 0);
    assert.ok(v.durationS > 0.5 && v.throughputRps > 0);
    assert.ok(v.bytesReceived > v.responses * 8000 && v.bytesSent > v.responses * 30);
    for (const k of ['p50', 'p90', 'p99', 'p999', 'max', 'mean'] as const) assert.equal(typeof v.latencyUs[k], 'number');
    assert.ok(v.latencyUs.p50 <= v.latencyUs.p99 && v.latencyUs.p99 <= v.latencyUs.max);
    // The encoded histogram decodes with other HdrHistogram readers' format and holds every response.
    assert.equal(decodeHistogram(v.latencyUs.histogram).totalCount, v.responses);
    assert.ok(v.cpu.perResponseUs > 0);
    assert.equal(typeof v.gc.perMillionResponses, 'number');
    assert.equal(v.eventLoopUtilization.length, 1);
    assert.ok(existsSync(out.replace(/\.json$/, `.${name}.hgrm`)), `${name}.hgrm`);
    assert.ok(res.intervals?.[name]?.length, `${name} intervals`);
  }
  // Measured, not computed: frame bytes on the wire. V2 GetPage response frame 8198, V3 8239 (+41).
  const v2 = res.variants.v2!, v3 = res.variants.v3!;
  assert.ok(Math.abs(v2.responseFrameBytes - 8198) < 2, `v2 ${v2.responseFrameBytes}`);
  assert.ok(Math.abs(v3.responseFrameBytes - 8239) < 2, `v3 ${v3.responseFrameBytes}`);
  assert.ok(Math.abs(v2.requestFrameBytes - 39) < 0.5 && Math.abs(v3.requestFrameBytes - 47) < 0.5);
  // Interleaved: round r of v2 starts before round r of v3, which starts before v3-noverify's, before round r+1 of v2.
  const starts = [1, 2, 3].flatMap((r) => (['v2', 'v3', 'v3-noverify'] as const).map((n) => res.variants[n]!.rounds[r - 1]!.startS));
  assert.deepEqual([...starts].sort((a, b) => a - b), starts);
  const c = res.comparison.v3!;
  for (const k of ['throughputRatio', 'p50Ratio', 'p99Ratio', 'bandwidthDeltaPct'] as const) assert.equal(typeof c[k], 'number');
  assert.ok(c.bandwidthDeltaPct > 0.4 && c.bandwidthDeltaPct < 0.6, `bandwidth delta ${c.bandwidthDeltaPct}`);
  const s = c.spread!.throughputRatio!;
  assert.ok(s.min <= s.median && s.median <= s.max);
  assert.ok(res.comparison['v3-noverify']);
  // CPU: paired cycle by cycle against V2 (paired.ts). 0.3 s per variant per round in 10 ms slices: 30 cycles.
  const cycles = Math.round(0.3 / DEFAULT_SLICE_S);
  assert.equal(v2.rounds.some((x) => x.pairedCpu), false, 'V2 is the base, not paired with itself');
  for (const name of ['v3', 'v3-noverify'] as const) {
    for (const x of res.variants[name]!.rounds) {
      assert.equal(x.pairedCpu?.base, 'v2', `${name} round ${x.round}`);
      assert.ok(x.pairedCpu.cycles >= cycles - 3 && x.pairedCpu.cycles <= cycles, `${name} round ${x.round}: ${x.pairedCpu.cycles} cycles`);
      assert.ok(x.pairedCpu.ratio > 0.5 && x.pairedCpu.ratio < 2, `${name} round ${x.round}: ratio ${x.pairedCpu.ratio}`);
    }
  }
  // Per-round diagnostics: reads per response (a read carries several 8 KiB frames) and the emulator's CPU per response.
  for (const name of ['v2', 'v3', 'v3-noverify'] as const) {
    for (const x of res.variants[name]!.rounds) {
      assert.ok(x.readsPerResponse! > 0 && x.readsPerResponse! < 2, `${name} round ${x.round}: ${x.readsPerResponse} reads per response`);
      assert.ok(x.serverCpuPerResponseUs! > 0, `${name} round ${x.round}: emulator CPU per response ${x.serverCpuPerResponseUs}`);
    }
    // The variant's emulator CPU is its rounds' together (rounded to 6 digits per round, so within 1 µs a round).
    const v = res.variants[name]! as typeof res.variants[typeof name] & { server?: { cpuUs: number } };
    const fromRounds = v.rounds.reduce((s, x) => s + x.serverCpuPerResponseUs! * x.responses, 0);
    assert.ok(v.server !== undefined && Math.abs(v.server.cpuUs - fromRounds) <= v.rounds.length + 1, `${name}: emulator CPU ${v.server?.cpuUs} µs against its rounds' ${fromRounds}`);
  }
  const med3 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1]!;
  assert.equal(c.cpuPerResponseRatioFrom, 'cycles');
  assert.equal(c.cpuPerResponseRatio, med3(v3.rounds.map((x) => x.pairedCpu!.ratio)), 'the headline CPU ratio is the median of the paired rounds');
  const totals = v3.rounds.map((x, i) => x.cpuPerResponseUs / v2.rounds[i]!.cpuPerResponseUs);
  assert.ok(Math.abs(c.cpuPerResponseRatioTotals! - med3(totals)) < 1e-5, 'the ratio of the totals is reported beside it');
  assert.match(r.stdout, /ratio of totals/);
  // --slice-log: one line per round, every measured slice; the paired figures recompute from it.
  const logged = readFileSync(sliceLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { round: number; variants: string[]; variant: number[]; durationMs: number[]; cpuUs: number[]; responses: number[]; serverCpuUs: number[] });
  assert.deepEqual(logged.map((l) => l.round), [1, 2, 3]);
  for (const l of logged) {
    assert.deepEqual(l.variants, ['v2', 'v3', 'v3-noverify']);
    assert.equal(l.variant.length, 3 * cycles, `round ${l.round}: 3 × ${cycles} slices`);
    for (const k of ['durationMs', 'cpuUs', 'responses', 'serverCpuUs'] as const) assert.equal(l[k].length, l.variant.length, `${k} per slice`);
    for (const [v, name] of (['v2', 'v3', 'v3-noverify'] as const).entries()) {
      const rf = res.variants[name]!.rounds[l.round - 1]!;
      const mine = (xs: number[]): number => xs.reduce((s2, x, k) => s2 + (l.variant[k] === v ? x : 0), 0);
      // A variant's round CPU is the sum of its slices' CPU.
      assert.ok(Math.abs(mine(l.cpuUs) - rf.cpuPerResponseUs * rf.responses) < 0.01 * rf.cpuPerResponseUs * rf.responses + 5, `${name} round ${l.round}: slices' CPU ${mine(l.cpuUs)} vs ${rf.cpuPerResponseUs * rf.responses}`);
      assert.ok(Math.abs(mine(l.durationMs) / 1000 - rf.durationS) < 0.001, `${name} round ${l.round}: slices' time`);
      if (v > 0) assert.ok(Math.abs(pairedCpuRatio(l, 3, v, 0)!.ratio - rf.pairedCpu!.ratio) < 1e-5, `${name} round ${l.round}: paired ratio recomputed from the log`);
    }
    // The slices hold the round's responses: all variants' (a slice counts every response it received),
    // give or take those around the first and last switch (the measured phase ends a moment later).
    const all = (['v2', 'v3', 'v3-noverify'] as const).reduce((s2, n) => s2 + res.variants[n]!.rounds[l.round - 1]!.responses, 0);
    const sliced = l.responses.reduce((s2, x) => s2 + x, 0);
    assert.ok(Math.abs(sliced - all) <= 0.05 * all, `round ${l.round}: ${sliced} responses in slices vs ${all} measured`);
  }
  assert.equal(typeof res.saturation?.clientLimited, 'boolean');
});

test('--json on stdout; wrong-block faults: exit 1, V3 names blkno, V2 and V3-noverify catch it only by --verify-checksum', async () => {
  const out = join(dir, 'fault.json');
  const r = await runCli(['run', ...SMALL, '--on-mismatch', 'count', '--verify-checksum', '--emulator-args=--faults wrong-block=0.02 --fault-seed 7', '--json', '--out', out]);
  assert.equal(r.code, 1, r.stderr);
  const res = JSON.parse(r.stdout) as PagestreamResult;
  assert.deepEqual(Object.keys(res.variants), ['v2', 'v3', 'v3-noverify']);
  assert.ok(res.variants.v3!.mismatchesByField.blkno! > 0, JSON.stringify(res.variants.v3!.mismatchesByField));
  assert.ok(res.variants.v2!.mismatchesByField.checksum! > 0, JSON.stringify(res.variants.v2!.mismatchesByField));
  assert.ok(res.variants['v3-noverify']!.mismatchesByField.checksum! > 0);
  assert.deepEqual(res.config.emulatorArgs, ['--faults', 'wrong-block=0.02', '--fault-seed', '7']);
  assert.equal(load(out).variants.v3!.mismatches, res.variants.v3!.mismatches);
});

test('oracle, wrong-rel faults: V3 rejects them (relnode); V2 with checksums and V3-noverify accept wrong pages', async () => {
  const out = join(dir, 'oracle.json');
  const r = await runCli(['run', ...SMALL, '--on-mismatch', 'count', '--oracle', '--verify-checksum', '--emulator-args=--faults wrong-rel=0.02', '--out', out]);
  assert.equal(r.code, 1, r.stderr);
  const res = load(out);
  const v2 = res.variants.v2!, v3 = res.variants.v3!, nv = res.variants['v3-noverify']!;
  // The checksum mixes in the block number, not the relation: a page of another relation passes.
  assert.equal(v2.mismatches, 0);
  assert.ok(v2.undetected! > 0);
  assert.ok(v3.mismatchesByField.relnode! > 0);
  assert.equal(v3.undetected, 0);
  assert.equal(nv.mismatches, 0);
  assert.ok(nv.undetected! > 0);
  assert.match(r.stdout, /wrong pages accepted/);
});

test('--on-mismatch abort: stops at the first mismatch, even in warm-up; partial result, exit 1', async () => {
  const out = join(dir, 'abort.json');
  const r = await runCli(['run', ...SMALL, '--protocol', 'v3', '--on-mismatch', 'abort', '--emulator-args=--faults swap=0.05', '--out', out]);
  assert.equal(r.code, 1, r.stderr);
  const res = load(out);
  assert.equal(res.partial, true);
  assert.match(res.partialReason ?? '', /abort/);
  assert.ok(res.variants.v3!.mismatches >= 1);
  assert.ok(res.variants.v3!.rounds.length < 3, 'later rounds did not run');
});

test('unreachable target: exit 2, one line on stderr, no stack', async () => {
  const out = join(dir, 'unreachable.json');
  const r = await runCli(['run', '--target', 'postgres://127.0.0.1:1', '--tenant', DEFAULT_TENANT_ID, '--timeline', DEFAULT_TIMELINE_ID, '--rel', '1663/16384/16385', '--quiet', '--out', out]);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /cannot reach 127\.0\.0\.1:1: ECONNREFUSED/);
  // The contract: the partial result is still written, with the reason and the configuration.
  const res = load(out);
  assert.equal(res.partial, true);
  assert.match(res.partialReason ?? '', /ECONNREFUSED/);
  assert.deepEqual(res.config.rels, ['1663/16384/16385']);
});

test('unknown relation, unknown tenant: exit 2 before measuring, saying which', async () => {
  const emu = await startEmulatorProcess({ args: ['--quiet'], stderr: 'ignore' });
  try {
    const base = ['run', '--target', `postgres://127.0.0.1:${emu.port}`, '--timeline', DEFAULT_TIMELINE_ID, ...SMALL];
    const rel = await runCli([...base, '--tenant', DEFAULT_TENANT_ID, '--rel', '1663/16384/999999']);
    assert.equal(rel.code, 2);
    assert.match(oneLine(rel.stderr), /1663\/16384\/999999/);
    const ten = await runCli([...base, '--tenant', 'ffffffffffffffffffffffffffffffff', '--rel', '1663/16384/16400']);
    assert.equal(ten.code, 2);
    assert.match(oneLine(ten.stderr), /ffffffffffffffffffffffffffffffff/);
    const bad = await runCli([...base, '--tenant', 'xyz', '--rel', '1663/16384/16385']);
    assert.equal(bad.code, 2);
    assert.match(oneLine(bad.stderr), /tenant/);
  } finally {
    await emu.stop();
  }
});

test('SIGINT: stops, writes what was measured marked partial, exit 130, emulator gone', async () => {
  const out = join(dir, 'sigint.json');
  let emulatorPid = 0;
  const r = await runCli(['run', '--duration', '60', '--warmup', '0.1', '--rounds', '3', '--connections', '2', '--pipeline', '8', '--workers', '1', '--out', out], {
    timeoutMs: 30_000,
    onStart(child, err) {
      const poll = setInterval(() => {
        const m = /emulator pid (\d+)/.exec(err());
        // Interrupt once the first variant has been measuring for a moment.
        if (m && /closed loop/.test(err())) {
          emulatorPid = Number(m[1]);
          clearInterval(poll);
          setTimeout(() => child.kill('SIGINT'), 1500);
        }
      }, 50);
      child.on('exit', () => clearInterval(poll));
    },
  });
  assert.equal(r.code, 130, r.stderr);
  // Not --quiet, but stderr is a pipe, not a TTY: notes yes, no progress line.
  assert.match(r.stderr, /closed loop/);
  assert.doesNotMatch(r.stderr, /resp\/s/);
  const res = load(out);
  assert.equal(res.partial, true);
  assert.equal(res.partialReason, 'SIGINT');
  assert.ok(res.variants.v2 && res.variants.v2.responses > 0, 'the interrupted measurement is kept');
  assert.ok(emulatorPid > 0);
  assert.equal(alive(emulatorPid), false, 'the emulator child does not outlive the run');
});

test('--rate with --pacing native: each due send leaves on its own wake (~1 write per response at 2,000/s on one connection); tick: two per 1 ms tick', async () => {
  const figures: Record<string, { pacing: unknown; writes: number; responses: number }> = {};
  for (const pacing of ['native', 'tick']) {
    const out = join(dir, `pacing-${pacing}.json`);
    const r = await runCli(['run', '--quiet', '--protocol', 'v3', '--rate', '2000', '--connections', '1', '--workers', '1', '--pacing', pacing, '--duration', '0.5', '--warmup', '0.1', '--rounds', '1', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const res = load(out);
    const v = res.variants.v3!;
    figures[pacing] = { pacing: res.config.pacing, writes: v.writesPerResponse!, responses: v.responses };
    // Every measured send's lag is recorded: about one per response (a response
    // measured early may answer a warm-up send, whose lag is not).
    assert.ok(v.sendLagUs && v.sendLagUs.count > 0.9 * v.responses, `sendLagUs: ${JSON.stringify(v.sendLagUs && { ...v.sendLagUs, histogram: undefined })}`);
  }
  assert.equal(figures.tick!.pacing, 'tick');
  if (figures.native!.pacing === 'tick') return; // the native helper is not built: the run fell back and said so
  assert.equal(figures.native!.pacing, 'native');
  for (const f of Object.values(figures)) assert.ok(f.responses >= 500, `the schedule ran: ${JSON.stringify(figures)}`);
  // Due every 0.5 ms: the 1 ms tick finds two due per wake (0.49–0.52 writes per response here),
  // the pacer wakes for each (0.98–0.99). Margins wide enough for a loaded machine, where late wakes coalesce.
  assert.ok(figures.tick!.writes < 0.65, `tick: ${JSON.stringify(figures)}`);
  assert.ok(figures.native!.writes > figures.tick!.writes * 1.3, `native pacing woke no more often than the tick: ${JSON.stringify(figures)}`);
});

test('JWT (URL password or PAGESERVER_JWT) authenticates and appears nowhere in output or result', async () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pem = join(dir, 'jwt.pem');
  writeFileSync(pem, publicKey.export({ type: 'spki', format: 'pem' }));
  const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'EdDSA', typ: 'JWT' })}.${b64({ scope: 'pageserverapi' })}`;
  const jwt = `${unsigned}.${sign(null, Buffer.from(unsigned), privateKey).toString('base64url')}`;
  const emu = await startEmulatorProcess({ args: ['--quiet', '--auth', 'jwt', '--jwt-public-key', pem], stderr: 'ignore' });
  try {
    const common = ['run', '--mgmt', `http://127.0.0.1:${emu.mgmtPort}`, '--rel', '1663/16384/16400', '--duration', '0.3', '--warmup', '0', '--rounds', '1', '--connections', '1', '--workers', '1'];
    const out1 = join(dir, 'jwt1.json');
    const r1 = await runCli([...common, '--target', `postgres://postgres:${jwt}@127.0.0.1:${emu.port}`, '--out', out1, '--json']);
    assert.equal(r1.code, 0, 'stderr: ' + r1.stderr.replaceAll(jwt, '<jwt>'));
    const out2 = join(dir, 'jwt2.json');
    const r2 = await runCli([...common, '--target', `postgres://127.0.0.1:${emu.port}`, '--out', out2], { env: { PAGESERVER_JWT: jwt } });
    assert.equal(r2.code, 0, r2.stderr.replaceAll(jwt, '<jwt>'));
    const sig = jwt.split('.')[2]!;
    for (const text of [r1.stdout, r1.stderr, r2.stdout, r2.stderr, readFileSync(out1, 'utf8'), readFileSync(out2, 'utf8')]) {
      assert.ok(!text.includes(sig), 'the JWT leaked');
    }
    assert.equal(load(out1).config.target, `postgres://postgres@127.0.0.1:${emu.port}`);
    assert.ok(load(out1).variants.v3!.responses > 0);
    // Without a token: refused, exit 2, one line.
    const r3 = await runCli([...common, '--target', `postgres://127.0.0.1:${emu.port}`], { env: { PAGESERVER_JWT: '' } });
    assert.equal(r3.code, 2, `exit ${r3.code} signal ${r3.signal}; stderr: ${r3.stderr.slice(0, 2000)}`);
    assert.match(oneLine(r3.stderr), /PAGESERVER_JWT/);
  } finally {
    await emu.stop();
  }
});
