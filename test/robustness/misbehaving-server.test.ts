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
const MAX_CONNECTIONS = 200;

function oneLine(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '');
}

describe('misbehaving server: counted error, reconnect with bounded backoff, result written', { concurrency: 2 }, () => {
  for (const c of RECONNECT_CASES) {
    test(c.behaviour, { timeout: HARD_TIMEOUT_MS + 5000 }, async () => {
      const srv = await startBadServer({ behaviour: c.behaviour, after: 20, ...c.opts });
      const out = path.join(dir, `${c.behaviour}.json`);
      try {
        const r = await runCli(runArgs(srv.url, out, ['--timeout', '500ms']), { timeoutMs: HARD_TIMEOUT_MS });
        assert.equal(r.timedOut, false, `run hung; stderr: ${r.stderr}`);
        assert.ok(!hasStackTrace(r.stderr + r.stdout), `stack trace printed:\n${r.stderr}`);
        assert.ok(existsSync(out), `no result file; exit ${r.code}; stderr: ${r.stderr}`);
        const res = readJson(out);
        const v = res.variants.v3;
        assert.ok(v, `result has no v3 variant: ${JSON.stringify(res.variants)}`);
        assert.ok(srv.stats.misbehaved >= 1, 'the server never misbehaved (test setup)');
        assert.ok(v.errors >= 1, `errors not counted: ${JSON.stringify({ errors: v.errors, byClass: v.errorsByClass })}`);
        assert.ok(Object.keys(v.errorsByClass).some((k) => c.errorClass.test(k)), `error class ${c.errorClass} not in ${JSON.stringify(v.errorsByClass)}`);
        assert.ok(v.reconnects >= 1, `no reconnect after ${c.behaviour}: ${JSON.stringify(v)}`);
        // It kept measuring after the failure: pages served after the first misbehaviour were counted.
        assert.ok(srv.stats.connections >= 3, `only ${srv.stats.connections} connections: no reconnect loop`);
        assert.ok(srv.stats.connections <= MAX_CONNECTIONS, `${srv.stats.connections} connections in one short run: backoff unbounded below`);
        assert.ok(r.code === 0 || r.code === 1, `exit ${r.code} (expected 0/1: the run finished); stderr: ${r.stderr}`);
        assert.equal(r.code === 1, v.mismatches > 0, `exit ${r.code} but ${v.mismatches} mismatches`);
      } finally {
        await srv.close();
      }
    });
  }

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
      assert.match(lines[0]!, /timeout|timed out/i);
      assert.ok(!hasStackTrace(r.stderr));
      assert.ok(existsSync(out), 'no (partial) result file written');
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

