/**
 * Counters of the whole emulator, in one Float64Array (incremented on the hot
 * path without allocation), rendered as Prometheus text on /metrics.
 */
import { FAULT_KINDS } from './config.js';
import type { FaultKind } from './config.js';

export const REQUEST_KIND_NAMES = ['exists', 'nblocks', 'getpage', 'dbsize', 'slru'] as const;
export const RESPONSE_KIND_NAMES = ['exists', 'nblocks', 'getpage', 'error', 'dbsize', 'slru'] as const;

// Layout of the counter array.
export const M_REQUESTS = 0; // + tag * 2 + (version - 2)   (10 slots)
export const M_RESPONSES = 10; // + (response tag - 100)      (6 slots)
export const M_BYTES_IN = 16;
export const M_BYTES_OUT = 17;
export const M_CONN_TOTAL = 18;
export const M_CONN_ACTIVE = 19;
export const M_INCIDENTS = 20;
export const M_LSN_WAITS = 21;
export const M_LSN_TIMEOUTS = 22;
export const M_FAULTS = 23; // + fault kind index (9 slots)
export const M_BACKPRESSURE = 32;
export const M_FLUSHES = 33; // pumps that wrote at least one response (one writev each)
export const M_BATCHES = 34; // service batches (one service-time draw each)
export const M_DIRECT_BYTES = 35; // GetPage output bytes the kernel took from a direct writev
export const M_DIRECT_QUEUED = 36; // bytes a direct writev left (full send buffer), queued through Node
const M_SIZE = 37;

export class Metrics {
  readonly c = new Float64Array(M_SIZE);

  faultCount(kind: FaultKind): number {
    return this.c[M_FAULTS + FAULT_KINDS.indexOf(kind)]!;
  }

  render(extra: { cacheHits: number; cacheMisses: number; cacheBypasses: number; cacheSlots: number }): string {
    const c = this.c;
    const out: string[] = [];
    const head = (name: string, type: string, help: string): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    head('pagestream_requests_total', 'counter', 'Page-stream requests received, by kind and protocol version.');
    REQUEST_KIND_NAMES.forEach((k, tag) => {
      for (const v of [2, 3]) out.push(`pagestream_requests_total{kind="${k}",protocol="v${v}"} ${c[M_REQUESTS + tag * 2 + v - 2]}`);
    });
    head('pagestream_responses_total', 'counter', 'Page-stream responses sent, by kind.');
    RESPONSE_KIND_NAMES.forEach((k, i) => out.push(`pagestream_responses_total{kind="${k}"} ${c[M_RESPONSES + i]}`));
    head('pagestream_bytes_received_total', 'counter', 'Bytes read from libpq connections.');
    out.push(`pagestream_bytes_received_total ${c[M_BYTES_IN]}`);
    head('pagestream_bytes_sent_total', 'counter', 'Bytes written to libpq connections.');
    out.push(`pagestream_bytes_sent_total ${c[M_BYTES_OUT]}`);
    head('pagestream_faults_injected_total', 'counter', 'Faults injected on purpose (ground truth), by kind.');
    FAULT_KINDS.forEach((k, i) => out.push(`pagestream_faults_injected_total{kind="${k}"} ${c[M_FAULTS + i]}`));
    head('pagestream_connections_total', 'counter', 'libpq connections accepted.');
    out.push(`pagestream_connections_total ${c[M_CONN_TOTAL]}`);
    head('pagestream_connections_active', 'gauge', 'libpq connections open now.');
    out.push(`pagestream_connections_active ${c[M_CONN_ACTIVE]}`);
    head('pagestream_incidents_total', 'counter', 'Connections ended by a client-side protocol or socket problem.');
    out.push(`pagestream_incidents_total ${c[M_INCIDENTS]}`);
    head('pagestream_lsn_waits_total', 'counter', 'Requests that waited for WAL to arrive.');
    out.push(`pagestream_lsn_waits_total ${c[M_LSN_WAITS]}`);
    head('pagestream_lsn_timeouts_total', 'counter', 'Requests answered with an LSN-timeout Error.');
    out.push(`pagestream_lsn_timeouts_total ${c[M_LSN_TIMEOUTS]}`);
    head('pagestream_backpressure_pauses_total', 'counter', 'Times a connection stopped being served because its socket was backed up.');
    out.push(`pagestream_backpressure_pauses_total ${c[M_BACKPRESSURE]}`);
    head('pagestream_response_flushes_total', 'counter', 'Batches of responses handed to the socket together (one writev each).');
    out.push(`pagestream_response_flushes_total ${c[M_FLUSHES]}`);
    head('pagestream_service_batches_total', 'counter', 'Service batches: requests read together, up to --max-batch, served with one service-time draw.');
    out.push(`pagestream_service_batches_total ${c[M_BATCHES]}`);
    head('pagestream_direct_write_bytes_total', 'counter', 'GetPage output written by one writev per batch (native helper), by what happened to it.');
    out.push(`pagestream_direct_write_bytes_total{result="written"} ${c[M_DIRECT_BYTES]}`);
    out.push(`pagestream_direct_write_bytes_total{result="queued"} ${c[M_DIRECT_QUEUED]}`);
    head('pagestream_page_cache_total', 'counter', 'Generated-page cache lookups by result.');
    out.push(`pagestream_page_cache_total{result="hit"} ${extra.cacheHits}`);
    out.push(`pagestream_page_cache_total{result="miss"} ${extra.cacheMisses}`);
    out.push(`pagestream_page_cache_total{result="bypass"} ${extra.cacheBypasses}`);
    head('pagestream_page_cache_slots', 'gauge', 'Slots (8 KiB pages) in the page cache.');
    out.push(`pagestream_page_cache_slots ${extra.cacheSlots}`);
    return out.join('\n') + '\n';
  }
}
