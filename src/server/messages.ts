/**
 * Cold-path text of the emulator's libpq side: parsing the page-stream
 * command, and the error messages, worded as page_service.rs words them
 * (PageStreamError's Display: "Bad request: …", "Not found: …",
 * "LSN timeout: …", "Read error").
 */
import { Msg } from '../protocol/libpq.js';
import type { PagestreamVersion } from '../protocol/pagestream.js';
import { formatLsn } from '../protocol/text.js';

export type PagestreamCommand =
  | { ok: true; version: PagestreamVersion; tenantId: string; timelineId: string }
  | { ok: false; message: string };

const ID_RE = /^[0-9a-fA-F]{32}$/;

/** `pagestream_v2|v3 <tenant> <timeline>`; ids are returned lowercase. */
export function parsePagestreamCommand(query: string): PagestreamCommand {
  const text = query.trim();
  const words = text.split(/\s+/);
  const cmd = words[0]?.toLowerCase();
  if (cmd !== 'pagestream_v2' && cmd !== 'pagestream_v3') return { ok: false, message: `unsupported command ${text}` };
  const params = words.slice(1);
  if (params.length !== 2) return { ok: false, message: `invalid number of parameters for pagestream command: ${params.join(' ')}` };
  if (!ID_RE.test(params[0]!)) return { ok: false, message: `Failed to parse tenant id from ${params[0]}` };
  if (!ID_RE.test(params[1]!)) return { ok: false, message: `Failed to parse timeline id from ${params[1]}` };
  return { ok: true, version: cmd === 'pagestream_v3' ? 3 : 2, tenantId: params[0]!.toLowerCase(), timelineId: params[1]!.toLowerCase() };
}

export function notFoundMessage(tenantKnown: boolean, tenantId: string, timelineId: string): string {
  return tenantKnown ? `Not found: Timeline ${tenantId}/${timelineId} was not found` : `Not found: Tenant ${tenantId} not found`;
}

export function badNmsMessage(requestLsn: bigint, notModifiedSince: bigint): string {
  return `Bad request: invalid request with request LSN ${formatLsn(requestLsn)} and not_modified_since ${formatLsn(notModifiedSince)}`;
}

export const BAD_ZERO_LSN_MESSAGE = 'Bad request: invalid LSN(0) in request';
export const READ_ERROR_MESSAGE = 'Read error';

export function gcMessage(requestLsn: bigint, gcCutoff: bigint): string {
  return `Bad request: tried to request a page version that was garbage collected. requested at ${formatLsn(requestLsn)} gc cutoff ${formatLsn(gcCutoff)}`;
}

export function lsnTimeoutMessage(waitedFor: bigint, lastRecordLsn: bigint, walReceiverActive: boolean): string {
  const last = formatLsn(lastRecordLsn);
  return `LSN timeout: Timed out while waiting for WAL record at LSN ${formatLsn(waitedFor)} to arrive, last_record_lsn ${last} disk consistent LSN=${last}, WalReceiver status: ${walReceiverActive ? 'Connected' : 'Not active'}`;
}

/** A frontend message type for "unexpected message: <name> during COPY". */
export function messageName(type: number): string {
  switch (type) {
    case Msg.CopyDone: return 'CopyDone';
    case Msg.CopyFail: return 'CopyFail';
    case Msg.Query: return 'Query';
    case Msg.Password: return 'PasswordMessage';
    case Msg.CopyData: return 'CopyData';
    case Msg.Terminate: return 'Terminate';
    case 0x50: return 'Parse';
    case 0x42: return 'Bind';
    case 0x45: return 'Execute';
    case 0x53: return 'Sync';
    case 0x48: return 'Flush';
    case 0x44: return 'Describe';
    default: return `message type 0x${type.toString(16).padStart(2, '0')}`;
  }
}
