/**
 * `pagestream-bench serve`: the embedded pageserver emulator in the foreground.
 * Prints one readiness line on stdout:
 *   {"event":"ready","host":"127.0.0.1","port":64000,"mgmtPort":9898,"pid":1234}
 * and logs incidents as JSON lines on stderr. SIGTERM/SIGINT (or, with
 * --exit-on-stdin-close, the end of stdin) shut it down cleanly (exit 0).
 */
import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { EXIT_OK } from '../command.js';
import type { ParsedArgs } from '../options.js';
import { UsageError } from '../../protocol/errors.js';
import { parseDurationS, parseSizeBytes } from '../options.js';
import { DEFAULT_RELATION_BLOCKS, defaultEmulatorOptions, parseBlockList, parseFaults, parseLatency, parseLsnOption } from '../../server/config.js';
import type { EmulatorOptions } from '../../server/config.js';
import { PageserverEmulator } from '../../server/emulator.js';
import { silentSink } from '../../server/log.js';

const d = defaultEmulatorOptions();

const command: Command = {
  name: 'serve',
  summary: 'run the embedded pageserver emulator in the foreground (libpq page stream + HTTP management API)',
  usage: 'Prints {"event":"ready",...} on stdout when listening; incidents are JSON lines on stderr.',
  options: [
    { name: 'host', type: 'string', arg: '<addr>', doc: 'libpq listen address (loopback by default)', default: d.host },
    { name: 'port', type: 'int', arg: '<port>', doc: 'libpq port; 0 picks a free one', default: d.port, min: 0, max: 65535 },
    { name: 'mgmt-host', type: 'string', arg: '<addr>', doc: 'management API listen address', default: d.mgmtHost },
    { name: 'mgmt-port', type: 'int', arg: '<port>', doc: 'management API port; 0 picks a free one, -1 disables it', default: d.mgmtPort, min: -1, max: 65535 },
    { name: 'auth', type: 'string', arg: '<mode>', doc: 'trust, or jwt (token as cleartext password, EdDSA verified)', default: 'trust', choices: ['trust', 'jwt'] },
    { name: 'http-auth', type: 'string', arg: '<mode>', doc: 'management API auth: trust, or jwt (Authorization: Bearer, scope pageserverapi or the tenant\'s own)', default: 'trust', choices: ['trust', 'jwt'] },
    { name: 'jwt-public-key', type: 'string', arg: '<pem-file>', doc: 'Ed25519 public key (PEM) that verifies JWTs; required with --auth jwt or --http-auth jwt' },
    { name: 'tenants', type: 'int', arg: '<n>', doc: 'number of tenants', default: d.tenants, min: 1, max: 10000 },
    { name: 'timelines', type: 'int', arg: '<n>', doc: 'timelines per tenant', default: d.timelinesPerTenant, min: 1, max: 1000 },
    { name: 'databases', type: 'int', arg: '<n>', doc: 'databases per timeline', default: d.databasesPerTimeline, min: 1, max: 1000 },
    { name: 'relations', type: 'string', arg: '<blocks,...>', doc: 'sizes in blocks of the relations of each database (main fork; fsm/vm forks added)', default: DEFAULT_RELATION_BLOCKS.join(',') },
    { name: 'pgdata', type: 'string', arg: '<dir>', doc: 'serve real pages from a stopped PostgreSQL data directory instead of generated ones' },
    { name: 'initial-lsn', type: 'string', arg: '<X/Y>', doc: 'last_record_lsn of every timeline at start', default: '0/8F3C1A8' },
    { name: 'wal-rate', type: 'size', arg: '<bytes/s>', doc: 'WAL ingest rate (last_record_lsn advance per second); 0 = static', default: 0 },
    { name: 'wait-lsn-timeout', type: 'duration', arg: '<dur>', doc: 'how long a request waits for its LSN before an LSN-timeout Error', default: '5s' },
    { name: 'gc-cutoff', type: 'string', arg: '<X/Y>', doc: 'requests below this LSN get the "garbage collected" Error', default: '0/0' },
    { name: 'latency', type: 'string', arg: '<model>', doc: 'service time per batch: 200us, lognormal:p50=150us,p99=2ms, uniform:min=..,max=.., 0', default: '0' },
    { name: 'max-batch', type: 'int', arg: '<n>', doc: 'requests of one read served as one batch (one service-time draw)', default: d.maxBatch, min: 1, max: 1024 },
    { name: 'concurrency-per-connection', type: 'int', arg: '<n>', doc: 'batches of one connection in service at once (1 = one at a time)', default: d.concurrencyPerConnection, min: 1, max: 64 },
    { name: 'faults', type: 'string', arg: '<kind=rate,...>', doc: 'inject faults: drop, swap, stale, wrong-block, wrong-rel, wrong-lsn, corrupt, error, close', default: 'none' },
    { name: 'fault-seed', type: 'int', arg: '<n>', doc: 'seed of the fault and latency PRNG', default: d.faultSeed, min: 0, max: 0xffffffff },
    { name: 'cache-size', type: 'size', arg: '<bytes>', doc: 'memory budget of the page cache (the default dataset fits; only pages built use memory)', default: '1GiB' },
    { name: 'prefill', type: 'bool', doc: 'build every page before listening, so a benchmark never pays page generation (about 3 us a page)', default: false },
    { name: 'send-high-water', type: 'size', arg: '<bytes>', doc: 'stop serving a connection while this much output is queued on its socket', default: '1MiB' },
    { name: 'writes', type: 'string', doc: 'GetPage output: direct = one writev per batch through the native helper (falls back to node when it is not built); node = every frame through Node\'s stream', default: d.writes, choices: ['direct', 'node'] },
    { name: 'exit-on-stdin-close', type: 'bool', doc: 'exit when stdin closes (used when started by another process)', default: false },
    { name: 'quiet', type: 'bool', doc: 'do not log incidents on stderr', default: false },
  ],
  async run(args: ParsedArgs): Promise<number> {
    const emu = new PageserverEmulator(toOptions(args));
    const addr = await emu.listen();
    // Handlers first, readiness second: whoever reads the line may signal at once.
    const stopped = new Promise<void>((resolve) => {
      const done = (): void => resolve();
      process.once('SIGTERM', done);
      process.once('SIGINT', done);
      if (args.values['exit-on-stdin-close']) {
        process.stdin.once('end', done);
        process.stdin.once('close', done);
        process.stdin.on('error', done);
        process.stdin.resume();
      }
    });
    process.stdout.write(JSON.stringify({ event: 'ready', host: addr.host, port: addr.port, mgmtPort: addr.mgmtPort, pid: process.pid }) + '\n');
    await stopped;
    await emu.close();
    process.stdin.destroy();
    return EXIT_OK;
  },
};

export function toOptions(args: ParsedArgs): EmulatorOptions {
  const v = args.values;
  const o = defaultEmulatorOptions();
  o.host = v.host as string;
  o.port = v.port as number;
  o.mgmtHost = v['mgmt-host'] as string;
  o.mgmtPort = v['mgmt-port'] as number;
  o.auth = v.auth as 'trust' | 'jwt';
  o.httpAuth = v['http-auth'] as 'trust' | 'jwt';
  if (o.auth === 'jwt' || o.httpAuth === 'jwt') {
    const file = v['jwt-public-key'] as string | undefined;
    if (!file) throw new UsageError(`--${o.auth === 'jwt' ? 'auth' : 'http-auth'} jwt: needs --jwt-public-key <pem-file>`);
    try {
      o.jwtPublicKeyPem = readFileSync(file, 'utf8');
    } catch {
      throw new UsageError(`--jwt-public-key: cannot read ${file}`);
    }
  }
  o.tenants = v.tenants as number;
  o.timelinesPerTenant = v.timelines as number;
  o.databasesPerTimeline = v.databases as number;
  o.relationBlocks = parseBlockList(v.relations as string, 'relations');
  if (v.pgdata !== undefined) o.pgdata = v.pgdata as string;
  o.initialLsn = parseLsnOption(v['initial-lsn'] as string, 'initial-lsn');
  o.walRate = asNumber(v['wal-rate'], parseSizeBytes);
  o.waitLsnTimeoutS = asNumber(v['wait-lsn-timeout'], parseDurationS);
  o.gcCutoff = parseLsnOption(v['gc-cutoff'] as string, 'gc-cutoff');
  o.latency = parseLatency(v.latency as string);
  o.maxBatch = v['max-batch'] as number;
  o.concurrencyPerConnection = v['concurrency-per-connection'] as number;
  o.faults = parseFaults(v.faults as string);
  o.faultSeed = v['fault-seed'] as number;
  o.cacheBytes = asNumber(v['cache-size'], parseSizeBytes);
  o.sendHighWater = asNumber(v['send-high-water'], parseSizeBytes);
  o.prefill = v.prefill as boolean;
  o.writes = v.writes as 'direct' | 'node';
  if (v.quiet) o.log = silentSink;
  return o;
}

/** Defaults are declared as text (so --help reads well); given values arrive converted. */
function asNumber(x: unknown, parse: (s: string) => number): number {
  return typeof x === 'number' ? x : parse(String(x));
}

export default command;
