/**
 * The slice conductor (src/client/conductor.ts), driven with scripted clocks
 * and a real control block: when it starts, which variant holds each slice,
 * when the measurement starts and ends, what each measured slice is charged,
 * a failed read of the emulator's CPU, an abort in mid-slice, and a schedule
 * that late reads do not push back. Expected figures are worked out by hand
 * from the script. The end-to-end sliced runs are in slices.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SliceConductor, sliceSchedule, sumCounters } from '../../src/client/conductor.js';
import type { SliceClocks } from '../../src/client/conductor.js';
import { ABORT, ACTIVE, createControl, PHASE, PHASE_CONNECT, PHASE_MEASURE, PHASE_STOP, PHASE_WARMUP } from '../../src/client/control.js';

/** Clocks that answer what the test last set. */
function scripted(withServer: boolean): { st: { t: number; user: number; system: number; resp: number; srv: number | null }; clocks: SliceClocks } {
  const st = { t: 0, user: 0, system: 0, resp: 0, srv: 0 as number | null };
  return {
    st,
    clocks: {
      now: () => st.t,
      cpu: () => ({ user: st.user, system: st.system }),
      responses: () => st.resp,
      server: withServer ? () => st.srv : null,
    },
  };
}

const near = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a}, expected ${b}`);

test('sliceSchedule: whole cycles of n, each slice as near the asked length as that allows', () => {
  assert.deepEqual(sliceSchedule(6000, 10, 3), { slices: 600, sliceMs: 10 });
  // 100 ms over 3 variants at 30 ms: one cycle (100 / 90 rounds to 1), slices of 100/3 ms.
  const a = sliceSchedule(100, 30, 3);
  assert.equal(a.slices, 3);
  near(a.sliceMs, 100 / 3, 'sliceMs');
  // Shorter than one cycle: still one whole cycle.
  assert.equal(sliceSchedule(10, 10, 3).slices, 3);
  // 50 ms over 2 at 10 ms: 2.5 cycles round to 3 (Math.round), 6 slices of 50/6 ms.
  assert.equal(sliceSchedule(50, 10, 2).slices, 6);
});

test('sumCounters: the total modulo 2^32, so differences taken with >>> 0 survive a wrap', () => {
  const c = new Int32Array(new SharedArrayBuffer(8));
  c[0] = 0x7fffffff;
  c[1] = 1;
  const before = sumCounters(c);
  assert.equal(before, -0x80000000);
  c[1] = 11;
  assert.equal((sumCounters(c) - before) >>> 0, 10);
});

test('warm-up slices, then measured slices charged to their variant; a failed emulator read and an abort in mid-slice', () => {
  const control = new Int32Array(createControl(1));
  Atomics.store(control, PHASE, PHASE_CONNECT);
  const { st, clocks } = scripted(true);
  const switches: Array<[number, number]> = [];
  const c = new SliceConductor(control, 2, { warmMs: 20, measureMs: 40, sliceMs: 10 }, clocks, (v, now) => switches.push([v, now]));

  c.poll(0);
  assert.equal(c.due[0], Infinity, 'still connecting: nothing scheduled');
  assert.equal(switches.length, 0);

  // The main thread sets the warm-up; the worker's timer notices it at t = 100.
  Atomics.store(control, PHASE, PHASE_WARMUP);
  st.t = 100;
  c.poll(100);
  assert.deepEqual(switches, [[0, 100]], 'warm-up slice 0 goes to variant 0');
  assert.equal(Atomics.load(control, ACTIVE), 0);
  assert.equal(c.due[0], 110);

  // A read at 110.5 ends it; the next slice still ends on the grid (120, not 120.5).
  st.t = 110.5;
  c.next();
  assert.deepEqual(switches[1], [1, 110.5]);
  assert.equal(Atomics.load(control, ACTIVE), 1);
  assert.equal(c.due[0], 120);
  assert.equal(Atomics.load(control, PHASE), PHASE_WARMUP, 'two warm-up slices (20 ms, 1 cycle of 2)');

  // The warm-up's cycles are done at 120.2: the conductor sets the measurement and its clocks start here.
  Object.assign(st, { t: 120.2, user: 1000, system: 500, resp: 50, srv: 7e6 });
  c.next();
  assert.equal(Atomics.load(control, PHASE), PHASE_MEASURE);
  assert.equal(c.report.measureStartMs, 120.2);
  assert.deepEqual(switches[2], [0, 120.2]);
  assert.equal(c.report.slices.variant.length, 0, 'warm-up slices are not charged');
  near(c.due[0]!, 130.2, 'due');

  // Measured slice 0 (variant 0): 10.1 ms, 800 + 400 µs CPU, 300 responses, 2.5 ms of emulator CPU.
  Object.assign(st, { t: 130.3, user: 1800, system: 900, resp: 350, srv: 9.5e6 });
  c.next();
  near(c.due[0]!, 140.2, 'due');
  // Slice 1 (variant 1): the emulator's CPU cannot be read at its end.
  Object.assign(st, { t: 140.2, user: 2400, system: 1200, resp: 600, srv: null });
  c.next();
  // Slice 2 (variant 0): its start reading failed, so its emulator CPU is unknown too. By the timer: no read came.
  Object.assign(st, { t: 150.2, user: 2900, system: 1300, resp: 1000, srv: 12e6 });
  c.poll(150.2);
  assert.deepEqual(switches.map(([v]) => v), [0, 1, 0, 1, 0, 1], 'warm-up 0 1, then measured slices 0 1 0 1… (two variants do not rotate)');
  // Ctrl-C in slice 3 (variant 1), 5 ms in: the timer sees ABORT, charges the 5 ms and stops.
  Atomics.store(control, ABORT, 1);
  Object.assign(st, { t: 155.2, user: 3100, system: 1300, resp: 1100, srv: 13e6 });
  c.poll(155.2);
  assert.ok(c.done);
  assert.equal(c.due[0], Infinity);
  assert.equal(Atomics.load(control, PHASE), PHASE_MEASURE, 'an abort is the main thread\'s to turn into PHASE_STOP');
  c.next();
  c.poll(200);
  assert.equal(switches.length, 6, 'done: no more switches');

  const r = c.report;
  assert.deepEqual(r.slices.variant, [0, 1, 0, 1]);
  assert.deepEqual(r.slices.responses, [300, 250, 400, 100]);
  assert.deepEqual(r.slices.cpuUs, [1200, 900, 600, 200]);
  assert.deepEqual(r.slices.durationMs, [10.1, 9.9, 10, 5]);
  assert.deepEqual(r.slices.serverCpuUs, [2500, NaN, NaN, 1000]);
  near(r.durationMs[0]!, 20.1, 'variant 0 time');
  near(r.durationMs[1]!, 14.9, 'variant 1 time');
  assert.deepEqual(r.user, [1300, 800]);
  assert.deepEqual(r.system, [500, 300]);
  assert.deepEqual(r.serverUs, [2500, 1000], 'slices whose emulator CPU is unknown add nothing');
  assert.deepEqual(r.windows.map(([a, b, v]) => [Math.round(a * 10) / 10, Math.round(b * 10) / 10, v]), [[120.2, 130.3, 0], [130.3, 140.2, 1], [140.2, 150.2, 0], [150.2, 155.2, 1]]);
});

test('three variants: the rotation A B C, B C A; the end of the measurement sets PHASE_STOP and wakes its waiters', async () => {
  const control = new Int32Array(createControl(1));
  Atomics.store(control, PHASE, PHASE_WARMUP);
  const { st, clocks } = scripted(false);
  const active: number[] = [];
  const dues: number[] = [];
  const c = new SliceConductor(control, 3, { warmMs: 30, measureMs: 60, sliceMs: 10 }, clocks, (v) => active.push(v));
  st.t = 0;
  c.poll(0);
  let woken: ReturnType<typeof Atomics.waitAsync> | null = null;
  // Every read comes 3 ms late; the schedule stays on the 10 ms grid from each phase's start.
  for (let k = 0; k < 9 && !c.done; k++) {
    // Waiting as the main thread does, once the measurement has begun.
    if (woken === null && Atomics.load(control, PHASE) === PHASE_MEASURE) woken = Atomics.waitAsync(control, PHASE, PHASE_MEASURE, 5000);
    dues.push(c.due[0]!);
    st.t = c.due[0]! + 3;
    st.resp += 10;
    c.next();
  }
  assert.deepEqual(active, [0, 1, 2, 0, 1, 2, 1, 2, 0], 'warm-up 0 1 2; measurement 0 1 2, 1 2 0');
  assert.deepEqual(dues, [10, 20, 30, 43, 53, 63, 73, 83, 93], 'warm-up from 0, measurement from 33 (the read that started it)');
  assert.ok(c.done);
  assert.equal(Atomics.load(control, PHASE), PHASE_STOP);
  assert.ok(woken !== null && woken.async, 'the main thread\'s wait was pending during the measurement');
  assert.equal(await woken.value, 'ok', 'a waiter on PHASE was notified');
  assert.deepEqual(c.report.slices.variant, [0, 1, 2, 1, 2, 0]);
  assert.deepEqual(c.report.slices.serverCpuUs, [], 'no emulator: no column');
  assert.deepEqual(c.report.slices.responses, [10, 10, 10, 10, 10, 10]);
});

test('stopped before the warm-up began (a failed worker, Ctrl-C while connecting): nothing runs', () => {
  const control = new Int32Array(createControl(1));
  Atomics.store(control, PHASE, PHASE_STOP);
  const { clocks } = scripted(true);
  const switches: number[] = [];
  const c = new SliceConductor(control, 2, { warmMs: 20, measureMs: 40, sliceMs: 10 }, clocks, (v) => switches.push(v));
  c.poll(0);
  assert.ok(c.done);
  Atomics.store(control, PHASE, PHASE_WARMUP);
  c.poll(1);
  assert.deepEqual(switches, []);
  assert.equal(c.report.measureStartMs, -1);
});
