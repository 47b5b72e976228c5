/**
 * The real CLI (`pagestream-bench run --target …`) against a scripted
 * misbehaving pageserver (helpers/bad-server.ts): each misbehaviour must end in
 * a counted error and a reconnect with bounded backoff — or, when nothing can be
 * reached, one clear line on stderr and exit 2 — and the run must finish, write
 * its result, never hang and never print a stack trace.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBadServer, closedPort } from './helpers/bad-server.js';
import type { Behaviour, BadServerOptions } from './helpers/bad-server.js';
import { runCli, hasStackTrace, readJson } from './helpers/cli.js';
import { runArgs, HARD_TIMEOUT_MS } from './helpers/args.js';

const dir = mkdtempSync(path.join(tmpdir(), 'psb-robust-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

interface Case {
  behaviour: Behaviour;
  /** Expected error class fragment (errorsByClass key), case-insensitive. */
  errorClass: RegExp;
  opts?: Partial<BadServerOptions>;
}

const RECONNECT_CASES: Case[] = [
  { behaviour: 'truncate-close', errorClass: /connection|closed|eof|reset|truncat/i },
  { behaviour: 'absurd-length', errorClass: /length|protocol|frame/i },
  { behaviour: 'unknown-tag', errorClass: /tag|unexpected|protocol|message/i },
  { behaviour: 'error-response', errorClass: /error|XX000|server/i },
  { behaviour: 'stop-reading', errorClass: /timeout/i },
  { behaviour: 'never-answer', errorClass: /timeout/i },
];


/** No more connections than a backoff that starts at a few ms and doubles could make in the run. */
const MAX_CONNECTIONS = 40;

/** The result written on exit 2: marked partial with the reason, configuration kept, zero counters. */
function assertUnreachableResult(out: string): void {
  const res = readJson(out);
  assert.equal(res.schema, 'pagestream-bench.result/v1');
  assert.equal(res.partial, true);
  assert.ok(typeof res.partialReason === 'string' && res.partialReason.length > 0, `no partialReason: ${JSON.stringify(res.partialReason)}`);
  assert.match(res.config.target, /^postgres:\/\/127\.0\.0\.1:\d+/);
  assert.equal(res.config.connections, 2);
  const v = res.variants.v3;
  assert.ok(v, `no v3 variant: ${JSON.stringify(res.variants)}`);
  assert.equal(v.responses, 0);
  assert.equal(v.mismatches, 0);
  assert.equal(v.bytesReceived, 0);
}

function oneLine(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '');
}

describe('misbehaving server: counted error, reconnect with bounded backoff, result written', { concurrency: 2 }, () => {
  for (const c of RECONNECT_CASES) {
    test(c.behaviour, { timeout: HARD_TIMEOUT_MS + 5000 }, async () => {
      // Connection 0 is the pre-flight (Nblocks only); connections 1 and 2 misbehave at
      // their first GetPage; later ones serve correctly, so the run must recover and measure.
      const srv = await startBadServer({ behaviour: c.behaviour, after: 0, connectionsToBreak: 3, ...c.opts });
      const out = path.join(dir, `${c.behaviour}.json`);
      try {
        const r = await runCli(runArgs(srv.url, out, ['--timeout', '400ms', '--connections', '1', '--duration', '2.5']), { timeoutMs: HARD_TIMEOUT_MS });
        assert.equal(r.timedOut, false, `run hung; stderr: ${r.stderr}`);
        assert.ok(!hasStackTrace(r.stderr + r.stdout), `stack trace printed:\n${r.stderr}`);
        assert.ok(existsSync(out), `no result file; exit ${r.code}; stderr: ${r.stderr}`);
        const res = readJson(out);
        const v = res.variants.v3;
        assert.ok(v, `result has no v3 variant: ${JSON.stringify(res.variants)}`);
        assert.ok(srv.stats.misbehaved >= 2, `the server misbehaved ${srv.stats.misbehaved} times (test setup)`);
        assert.ok(v.errors >= 2, `errors not counted: ${JSON.stringify({ errors: v.errors, byClass: v.errorsByClass })}`);
        assert.ok(Object.keys(v.errorsByClass).some((k) => c.errorClass.test(k)), `error class ${c.errorClass} not in ${JSON.stringify(v.errorsByClass)}`);
        assert.ok(v.reconnects >= 2, `no reconnect after ${c.behaviour}: ${JSON.stringify(v.reconnects)}`);
        assert.ok(srv.stats.connections >= 4, `only ${srv.stats.connections} connections: it did not come back`);
        assert.ok(v.responses > 0 && srv.stats.getPagesAnswered > 0, 'nothing measured after recovering');
        assert.ok(r.code === 0 || r.code === 1, `exit ${r.code} (expected 0/1: the run finished); stderr: ${r.stderr}`);
        assert.equal(r.code === 1, v.mismatches > 0, `exit ${r.code} but ${v.mismatches} mismatches`);
      } finally {
        await srv.close();
      }
    });
  }

  test('backoff: a server that fails every stream at its first GetPage is retried ever more slowly, but still retried', { timeout: HARD_TIMEOUT_MS + 5000 }, async () => {
    const srv = await startBadServer({ behaviour: 'error-response', after: 0 });
    const out = path.join(dir, 'backoff.json');
    try {
      const r = await runCli(runArgs(srv.url, out, ['--timeout', '1s', '--connections', '1', '--duration', '2.5']), { timeoutMs: HARD_TIMEOUT_MS });
      assert.equal(r.timedOut, false);
      assert.ok(!hasStackTrace(r.stderr + r.stdout), r.stderr);
      const t = srv.stats.connectTimes;
      const gaps = t.slice(2).map((x, i) => x - t[i + 1]!); // between stream attempts (skip the pre-flight)
      assert.ok(t.length >= 4, `gave up: only ${t.length} connection attempts`);
      // A doubling backoff from ~10 ms capped near 1 s makes ~10 attempts in 2.5 s; a
      // backoff that resets whenever the handshake succeeds makes one every ~10 ms.
      assert.ok(t.length <= MAX_CONNECTIONS, `${t.length} connection attempts in 2.5 s against a server that never serves a page (gaps ms: ${gaps.slice(0, 12).join(',')}…): backoff resets although no page was ever served`);
      assert.ok(gaps[gaps.length - 1]! >= 4 * Math.max(1, gaps[0]!), `backoff did not grow: gaps ${gaps.join(',')}`);
      assert.ok(Math.max(...gaps) <= 5000, `a gap of ${Math.max(...gaps)} ms: backoff not bounded above`);
    } finally {
      await srv.close();
    }
  });

  test('a connection reset by the server is one error, classified by its first cause', { timeout: HARD_TIMEOUT_MS + 5000 }, async () => {
    // Connections 1-3 are reset (RST) at their first GetPage; later ones serve.
    const srv = await startBadServer({ behaviour: 'reset', after: 0, connectionsToBreak: 4 });
    const out = path.join(dir, 'reset.json');
    try {
      const r = await runCli(runArgs(srv.url, out, ['--timeout', '1s', '--connections', '1', '--duration', '2']), { timeoutMs: HARD_TIMEOUT_MS });
      assert.equal(r.timedOut, false);
      assert.ok(!hasStackTrace(r.stderr + r.stdout), r.stderr);
      const v = readJson(out).variants.v3;
      assert.equal(srv.stats.misbehaved, 3, 'test setup: three streams reset');
      assert.ok(v.responses > 0, 'nothing measured after the resets');
      // Three lost connections: three errors, not an ECONNRESET plus a "closed by server" each.
      assert.equal(v.errors, 3, JSON.stringify(v.errorsByClass));
      assert.deepEqual(Object.keys(v.errorsByClass), ['connection: ECONNRESET'], JSON.stringify(v.errorsByClass));
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await srv.close();
    }
  });

  test('page-stream Error responses: counted by class, the stream goes on', { timeout: HARD_TIMEOUT_MS + 5000 }, async () => {
    const srv = await startBadServer({ behaviour: 'pagestream-error', after: 20 });
    const out = path.join(dir, 'pagestream-error.json');
    try {
      const r = await runCli(runArgs(srv.url, out, []), { timeoutMs: HARD_TIMEOUT_MS });
      assert.equal(r.timedOut, false);
      assert.ok(!hasStackTrace(r.stderr + r.stdout), r.stderr);
      const v = readJson(out).variants.v3;
      assert.ok(v.errors >= 10, `page-stream errors not counted: ${v.errors}`);
      assert.ok(Object.keys(v.errorsByClass).some((k) => /not found/i.test(k)), `class by message missing: ${JSON.stringify(v.errorsByClass)}`);
      // An Error response with a matching echo is an error, not a mismatch.
      assert.equal(v.mismatches, 0);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await srv.close();
    }
  });

  test('slow handshake within --timeout: measured normally', { timeout: HARD_TIMEOUT_MS + 5000 }, async () => {
    const srv = await startBadServer({ behaviour: 'none', handshakeDelayMs: 400 });
    const out = path.join(dir, 'slow-ok.json');
    try {
      const r = await runCli(runArgs(srv.url, out, ['--timeout', '3s']), { timeoutMs: HARD_TIMEOUT_MS });
      assert.equal(r.timedOut, false);
      assert.equal(r.code, 0, r.stderr);
      const v = readJson(out).variants.v3;
      assert.ok(v.responses > 0);
      assert.equal(v.errors, 0, JSON.stringify(v.errorsByClass));
    } finally {
      await srv.close();
    }
  });

  test('slow handshake beyond --timeout: nothing reachable -> one line, exit 2, result written', { timeout: HARD_TIMEOUT_MS + 5000 }, async () => {
    const srv = await startBadServer({ behaviour: 'none', handshakeDelayMs: 60_000 });
    const out = path.join(dir, 'slow-timeout.json');
    try {
      const r = await runCli(runArgs(srv.url, out, ['--timeout', '300ms']), { timeoutMs: HARD_TIMEOUT_MS });
      assert.equal(r.timedOut, false, 'hung on a handshake that never completes');
      assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
      const lines = oneLine(r.stderr);
      assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
      assert.match(lines[0]!, /timeout|timed out|no answer|within/i);
      assert.ok(!hasStackTrace(r.stderr));
      assert.ok(existsSync(out), 'no (partial) result file written');
    assertUnreachableResult(out);
    } finally {
      await srv.close();
    }
  });

  test('nothing listening: one line naming the target, exit 2, result written', { timeout: HARD_TIMEOUT_MS }, async () => {
    const port = await closedPort();
    const out = path.join(dir, 'refused.json');
    const r = await runCli(runArgs(`postgres://127.0.0.1:${port}`, out, ['--timeout', '1s']), { timeoutMs: HARD_TIMEOUT_MS });
    assert.equal(r.timedOut, false);
    assert.equal(r.code, 2, r.stderr);
    const lines = oneLine(r.stderr);
    assert.equal(lines.length, 1, `expected one line:\n${r.stderr}`);
    assert.match(lines[0]!, new RegExp(`127\\.0\\.0\\.1:${port}|ECONNREFUSED|refused`));
    assert.ok(!hasStackTrace(r.stderr));
    assert.ok(existsSync(out), 'no (partial) result file written');
    assertUnreachableResult(out);
  });

  test('not a pageserver (HTTP answers the startup packet): one line, exit 2', { timeout: HARD_TIMEOUT_MS }, async () => {
    const srv = await startBadServer({ behaviour: 'http' });
    const out = path.join(dir, 'http.json');
    try {
      const r = await runCli(runArgs(srv.url, out, ['--timeout', '1s']), { timeoutMs: HARD_TIMEOUT_MS });
      assert.equal(r.timedOut, false);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(oneLine(r.stderr).length, 1, r.stderr);
      assert.ok(!hasStackTrace(r.stderr));
    } finally {
      await srv.close();
    }
  });
});

