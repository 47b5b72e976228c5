/**
 * Time slices (`run --slice`, the default for a closed loop over several
 * variants): every variant's connections are open for the whole round and
 * only the variant at index ACTIVE of the control block sends.
 *
 * 1. One connection, driven by an in-memory peer that answers exactly the
 *    requests it was sent: outside its slice it sends nothing (not at stream
 *    start, not on a tick, not when responses arrive), its requests in flight
 *    drain and are still verified and counted; resume() refills the pipeline
 *    at once when its slice comes.
 * 2. End to end against the emulator process: a sliced run measures every
 *    variant in every round, each variant's figures are its own (responses =
 *    histogram = intervals), its measured time is its share of the slices,
 *    and an A/A list (one variant twice) reaches onRound as separate figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ACTIVE, ALL_ACTIVE, createControl, PHASE, PHASE_MEASURE } from '../../src/client/control.js';
import { C_ALL_RESPONSES, C_MISMATCHES, ShardStats } from '../../src/client/shard-stats.js';
import { defaultRunOptions, runBenchmark } from '../../src/client/run.js';
import { decodeHistogram } from '../../src/stats/histogram.js';
import type { RoundFigures } from '../../src/report/result.js';
import { loopbackConnection } from './helpers/loopback-connection.js';

test('outside its slice a connection sends nothing and drains; resume() refills at once', () => {
  const depth = 8;
  const control = new Int32Array(createControl(1));
  Atomics.store(control, PHASE, PHASE_MEASURE);
  Atomics.store(control, ACTIVE, 0); // variant 0 holds the slice; this connection is variant 1
  const stats = new ShardStats();
  // Variant 1, one whole response frame per read: the test feeds exactly the responses owed.
  const lc = loopbackConnection(depth, control, stats, 1);
  const { conn } = lc;
  let answered = 0;
  const answerOne = (): void => {
    lc.answer(1);
    answered++;
  };

  conn.enterStream();
  assert.equal(lc.sent, 0, 'stream start outside the slice: no request');
  conn.tick((lc.now += 200));
  assert.equal(lc.sent, 0, 'a timer tick outside the slice: no request');

  Atomics.store(control, ACTIVE, 1);
  conn.resume((lc.now += 1));
  assert.equal(lc.sent, depth, 'the slice came: the whole pipeline at once');
  for (let k = 0; k < 20; k++) answerOne();
  assert.equal(lc.sent, depth + 20, 'in its slice, each response is replaced by a request');
  assert.equal(conn.core.ring.inFlight, depth);

  Atomics.store(control, ACTIVE, 2);
  for (let k = 0; k < depth; k++) answerOne();
  assert.equal(lc.sent, depth + 20, 'after its slice: the responses in flight arrive, nothing is sent');
  assert.equal(conn.core.ring.inFlight, 0, 'the pipeline drained');
  assert.equal(stats.c[C_ALL_RESPONSES], answered, 'every response of the drain was counted');
  assert.equal(stats.c[C_MISMATCHES], 0, 'and verified (each answers its own request)');
  conn.tick((lc.now += 200));
  assert.equal(lc.sent, depth + 20, 'still nothing on a tick');

  Atomics.store(control, ACTIVE, ALL_ACTIVE);
  conn.resume((lc.now += 1));
  assert.equal(lc.sent, 2 * depth + 20, 'ALL_ACTIVE (unsliced): sends again');
  conn.close();
});

test('a sliced run over the emulator: every variant in every round, its own figures, its share of the time', async () => {
  const perRoundS = 0.4;
  const rounds = 2;
  const connections = 4;
  const byRound: RoundFigures[][] = [];
  const r = await runBenchmark({
    ...defaultRunOptions(2), protocol: 'both', connections, pipeline: 8, workers: 2, rounds, durationS: perRoundS * rounds, warmupS: 0.05, sliceS: 0.02,
  }, { log: () => {}, onRound: (_round, figures) => byRound.push(figures) });
  assert.equal(r.config.interleave, 'slices');
  assert.equal(r.config.sliceS, 0.02);
  // The host's receive-buffer autotuning, as /proc says (Linux), for whoever compares ratios across hosts.
  assert.equal(r.config.tcpRcvbufAutotuning, readFileSync('/proc/sys/net/ipv4/tcp_moderate_rcvbuf', 'utf8').trim() !== '0');
  assert.equal(byRound.length, rounds, 'one onRound per round (all variants at once)');
  for (const figures of byRound) assert.equal(figures.length, 3, 'v2, v3, v3-noverify');
  for (const name of ['v2', 'v3', 'v3-noverify'] as const) {
    const v = r.variants[name]!;
    assert.equal(v.rounds.length, rounds, `${name}: a figure per round`);
    for (const q of v.rounds) {
      assert.ok(q.responses > 0, `${name} round ${q.round}: measured responses`);
      assert.ok(q.cpuPerResponseUs > 0, `${name} round ${q.round}: CPU charged`);
      // Its slices: a third of the round's 3 × perRoundS, each slice timed as it ran.
      assert.ok(q.durationS > perRoundS * 0.5 && q.durationS < perRoundS * 1.5, `${name} round ${q.round}: measured ${q.durationS} s of slices, expected about ${perRoundS}`);
    }
    assert.equal(v.mismatches, 0, `${name}: no mismatches (each variant's connections verify their own responses)`);
    assert.equal(decodeHistogram(v.latencyUs.histogram).totalCount, v.responses, `${name}: histogram holds exactly its responses`);
    const ivs = r.intervals?.[name] ?? [];
    assert.equal(ivs.reduce((s, iv) => s + decodeHistogram(iv.histogram).totalCount, 0), v.responses, `${name}: intervals cover its responses once`);
    // Bytes per response frame tell the variants apart (41 bytes): their connections did not mix.
    // Bytes are counted per socket read and responses per frame, so a frame that straddles the
    // read where measuring starts or stops counts its response without all its bytes, or bytes
    // without its response: at most one frame per connection at each edge of each round.
    const frame = name === 'v2' ? 8198 : 8239;
    const slack = (2 * connections * rounds * frame) / v.responses;
    assert.ok(slack < 10, `${name}: enough responses (${v.responses}) to tell the frame sizes apart`);
    assert.ok(Math.abs(v.responseFrameBytes - frame) <= slack + 0.001, `${name}: frame size ${v.responseFrameBytes}, expected ${frame} ± ${slack.toFixed(3)}`);
  }
});

test('A/A: one variant listed twice gets two connection sets and two figures per round; --slice 0 runs phases', async () => {
  const figs: RoundFigures[][] = [];
  const aa = await runBenchmark({
    ...defaultRunOptions(2), variants: ['v3', 'v3'], connections: 2, pipeline: 4, workers: 1, rounds: 1, durationS: 0.2, warmupS: 0.05,
  }, { log: () => {}, onRound: (_round, f) => figs.push(f) });
  assert.equal(aa.config.interleave, 'slices');
  assert.equal(figs.length, 1);
  assert.equal(figs[0]!.length, 2);
  assert.ok(figs[0]!.every((f) => f.responses > 0), 'both sets measured');

  const order: number[] = [];
  const ph = await runBenchmark({
    ...defaultRunOptions(2), protocol: 'both', connections: 2, pipeline: 4, workers: 1, rounds: 1, durationS: 0.2, warmupS: 0.05, sliceS: 0,
  }, { log: () => {}, onRound: (_round, f) => order.push(f.length) });
  assert.equal(ph.config.interleave, 'phases');
  assert.equal(ph.config.sliceS, undefined);
  assert.deepEqual(order, [1, 1, 1], 'one variant per phase');
});
