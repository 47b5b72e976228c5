/**
 * A throwaway PostgreSQL 15 cluster for tests: initdb --data-checksums, start
 * on a Unix socket only (no TCP), run SQL through psql, stop cleanly.
 * When running as root, every PostgreSQL binary runs as user `postgres`.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

function asPostgres(cmd: string, args: string[]): string {
  const root = userInfo().uid === 0;
  const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args]] : [join(PG_BIN, cmd), args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

export class PgCluster {
  readonly dir: string;
  readonly pgdata: string;
  private running = false;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'psb-pg-'));
    this.pgdata = join(this.dir, 'data');
    if (userInfo().uid === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(this.dir, uid, gid);
    }
  }

  initdb(): void {
    asPostgres('initdb', ['-D', this.pgdata, '--data-checksums', '-A', 'trust', '-U', 'postgres', '--no-sync']);
  }

  start(): void {
    asPostgres('pg_ctl', ['-D', this.pgdata, '-w', '-l', join(this.dir, 'log'), '-o', `-c listen_addresses='' -k ${this.dir} -p 5432 -c fsync=off`, 'start']);
    this.running = true;
  }

  sql(text: string): string {
    return asPostgres('psql', ['-h', this.dir, '-p', '5432', '-U', 'postgres', '-d', 'postgres', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-c', text]).trim();
  }

  stop(): void {
    if (!this.running) return;
    asPostgres('pg_ctl', ['-D', this.pgdata, '-w', '-m', 'fast', 'stop']);
    this.running = false;
  }

  checksums(): string {
    return asPostgres('pg_checksums', ['--check', '-D', this.pgdata]);
  }

  remove(): void {
    try {
      this.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
