/**
 * The JWT (PAGESERVER_JWT, or the password of the --target URL) is sent to the
 * server and nowhere else: not in stdout, stderr, the result file, error
 * messages, --help, or the process title (`ps -o args`, i.e. /proc/<pid>/cmdline).
 * The server here asks for a cleartext password (as a pageserver with JWT auth
 * does) and records it, which proves the secret was really used.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBadServer } from './helpers/bad-server.js';
import { runCli, spawnCli, hasStackTrace } from './helpers/cli.js';
import { runArgs, HARD_TIMEOUT_MS } from './helpers/args.js';

const dir = mkdtempSync(path.join(tmpdir(), 'psb-secrets-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

// Distinctive, JWT-shaped secrets (header.payload.signature), so any leak is found by substring.
const ENV_JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzY29wZSI6InRlbmFudCJ9.ENVSECRETc2lnbmF0dXJlX2Vudg';
const URL_JWT = 'eyJhbGciOiJFZERTQSJ9.eyJzY29wZSI6InBhZ2VzZXJ2ZXJhcGkifQ.URLSECRETc2lnbmF0dXJlX3VybA';
/** The signature part alone must not leak either (e.g. a truncated token in a message). */
const FRAGMENTS = (t: string): string[] => [t, t.split('.')[2]!];

function assertNoLeak(where: string, text: string, secret: string): void {
  for (const f of FRAGMENTS(secret)) assert.ok(!text.includes(f), `${where} contains the secret (${f.slice(0, 12)}…)`);
}

function psArgs(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
  } catch {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  }
}

/** Known failure of the CLI, reported to the lead (test still runs). */

describe('secrets', { concurrency: 1 }, () => {
  test('PAGESERVER_JWT: used for auth, absent from output, result file and process title', { timeout: HARD_TIMEOUT_MS + 5000 }, async () => {
    const srv = await startBadServer({ behaviour: 'none', askPassword: true, expectPassword: ENV_JWT });
    const out = path.join(dir, 'env.json');
    try {
      const h = spawnCli([...runArgs(srv.url, out, []), '--json'], { env: { PAGESERVER_JWT: ENV_JWT }, timeoutMs: HARD_TIMEOUT_MS });
      await new Promise((r) => setTimeout(r, 800));
      const title = psArgs(h.child.pid!);
      const r = await h.done;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(srv.stats.passwords.includes(ENV_JWT), `the server never received the JWT: ${JSON.stringify(srv.stats.passwords.map((p) => p.length))}`);
      assertNoLeak('stdout', r.stdout, ENV_JWT);
      assertNoLeak('stderr', r.stderr, ENV_JWT);
      assertNoLeak('result file', readFileSync(out, 'utf8'), ENV_JWT);
      assertNoLeak('process title', title, ENV_JWT);
    } finally {
      await srv.close();
    }
  });

  test('URL password: used for auth, absent from output, result file and process title (ps -o args)', { timeout: HARD_TIMEOUT_MS + 5000 }, async () => {
    const srv = await startBadServer({ behaviour: 'none', askPassword: true, expectPassword: URL_JWT });
    const out = path.join(dir, 'url.json');
    const target = `postgres://compute:${URL_JWT}@127.0.0.1:${srv.port}`;
    try {
      const h = spawnCli(runArgs(target, out, []), { env: { PAGESERVER_JWT: undefined }, timeoutMs: HARD_TIMEOUT_MS });
      // Give the CLI time to start and rewrite its process title.
      await new Promise((r) => setTimeout(r, 1000));
      const title = psArgs(h.child.pid!);
      const r = await h.done;
      assert.equal(r.code, 0, r.stderr);
      assert.ok(srv.stats.passwords.includes(URL_JWT), 'the server never received the URL password');
      assertNoLeak('stdout', r.stdout, URL_JWT);
      assertNoLeak('stderr', r.stderr, URL_JWT);
      const file = readFileSync(out, 'utf8');
      assertNoLeak('result file', file, URL_JWT);
      assert.match(JSON.parse(file).config.target, new RegExp(`127\\.0\\.0\\.1:${srv.port}`), 'config.target lost the address');
      assertNoLeak('process title (ps -o args)', title, URL_JWT);
    } finally {
      await srv.close();
    }
  });

  test('a rejected JWT: one line, exit 2, the token not in the message', { timeout: HARD_TIMEOUT_MS + 5000 }, async () => {
    const srv = await startBadServer({ behaviour: 'none', askPassword: true, expectPassword: 'something-else' });
    const out = path.join(dir, 'rejected.json');
    try {
      const r = await runCli(runArgs(srv.url, out, ['--timeout', '1s']), { env: { PAGESERVER_JWT: ENV_JWT }, timeoutMs: HARD_TIMEOUT_MS });
      assert.equal(r.timedOut, false);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /auth|28P01|JWT|token|password/i);
      assert.ok(!hasStackTrace(r.stderr));
      assertNoLeak('stderr', r.stderr, ENV_JWT);
      if (existsSync(out)) assertNoLeak('result file', readFileSync(out, 'utf8'), ENV_JWT);
    } finally {
      await srv.close();
    }
  });

  test('a malformed --target URL with a password: error names --target, never echoes the password', { timeout: HARD_TIMEOUT_MS }, async () => {
    const r = await runCli(['run', '--target', `postgres://compute:${URL_JWT}@127.0.0.1:notaport`, '--tenant', '0'.repeat(32), '--timeline', '1'.repeat(32), '--rel', '1663/5/16384'], { timeoutMs: HARD_TIMEOUT_MS });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--target/);
    assertNoLeak('stderr', r.stderr, URL_JWT);
    assert.ok(!hasStackTrace(r.stderr));
  });

  test('--help does not print the JWT from the environment', async () => {
    for (const cmd of ['run', 'faults', 'serve']) {
      const r = await runCli([cmd, '--help'], { env: { PAGESERVER_JWT: ENV_JWT }, timeoutMs: HARD_TIMEOUT_MS });
      assert.equal(r.code, 0, `${cmd} --help: ${r.stderr}`);
      assertNoLeak(`${cmd} --help`, r.stdout + r.stderr, ENV_JWT);
    }
  });
});
