/**
 * A throwaway PostgreSQL 15 cluster with data checksums, for checking our
 * checksum code against pages PostgreSQL itself wrote. Runs initdb/postgres as
 * user `postgres` when we are root (PostgreSQL refuses to run as root).
 * Every command is bounded by a timeout; `destroy()` stops the server and
 * removes the directory.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const PG_BIN = process.env['PG15_BIN'] ?? '/usr/lib/postgresql/15/bin';
const TIMEOUT_MS = 60_000;

/** Throws with a clear message if the PostgreSQL 15 binaries are missing (CI installs postgresql-15). */
export function requirePg15(): void {
  const missing = ['initdb', 'pg_ctl', 'postgres', 'psql', 'pg_checksums'].filter((b) => !existsSync(join(PG_BIN, b)));
  if (missing.length > 0) {
    throw new Error(`PostgreSQL 15 binaries missing in ${PG_BIN} (${missing.join(', ')}): install the Debian package postgresql-15 (.ci/run does) or set PG15_BIN`);
  }
}

interface Ids { uid: number; gid: number }
function postgresUser(): Ids | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('running as root but there is no user "postgres" to run PostgreSQL as');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export interface RunResult { status: number | null; stdout: string; stderr: string }

export class Pg15Cluster {
  readonly dir: string;
  readonly data: string;
  readonly port = 54329;
  private readonly ids: Ids | undefined;
  private running = false;

  constructor() {
    requirePg15();
    this.ids = postgresUser();
    this.dir = mkdtempSync(join(tmpdir(), 'psb-pg15-'));
    if (this.ids) chownSync(this.dir, this.ids.uid, this.ids.gid);
    this.data = join(this.dir, 'data');
  }

  /** Run a PostgreSQL binary as the cluster's user. */
  run(bin: string, args: string[]): RunResult {
    const opts: SpawnSyncOptions = {
      cwd: this.dir,
      encoding: 'utf8',
      timeout: TIMEOUT_MS,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', HOME: this.dir, PGUSER: 'postgres' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(this.ids ? { uid: this.ids.uid, gid: this.ids.gid } : {}),
    };
    const r = spawnSync(join(PG_BIN, bin), args, opts);
    if (r.error) throw new Error(`${bin}: ${r.error.message}`);
    return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  private must(bin: string, args: string[]): string {
    const r = this.run(bin, args);
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
  }

  initdb(): void {
    const user = this.ids ? 'postgres' : userInfo().username;
    this.must('initdb', ['--data-checksums', '--no-sync', '-A', 'trust', '-U', user, '-E', 'UTF8', '--locale=C', '-D', this.data]);
  }

  /** Start on a Unix socket in our private directory only: no TCP port to collide with. */
  start(): void {
    this.must('pg_ctl', [
      '-D', this.data, '-l', join(this.dir, 'server.log'), '-w', '-t', '60',
      '-o', `-c listen_addresses='' -k ${this.dir} -p ${this.port} -c fsync=off`, 'start',
    ]);
    this.running = true;
  }

  /** psql: each SQL string is a separate -c (so VACUUM and CHECKPOINT run outside a transaction). */
  psql(...sql: string[]): string {
    const user = this.ids ? 'postgres' : userInfo().username;
    return this.must('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', this.dir, '-p', String(this.port), '-U', user, '-d', 'postgres', ...sql.flatMap((s) => ['-c', s])]);
  }

  stop(): void {
    if (!this.running) return;
    this.must('pg_ctl', ['-D', this.data, '-w', '-t', '60', '-m', 'fast', 'stop']);
    this.running = false;
  }

  destroy(): void {
    try {
      if (this.running) this.run('pg_ctl', ['-D', this.data, '-w', '-t', '30', '-m', 'immediate', 'stop']);
    } finally {
      this.running = false;
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** chown a file we created in the data directory to the cluster's user. */
  own(path: string): void {
    if (this.ids) chownSync(path, this.ids.uid, this.ids.gid);
  }
}
