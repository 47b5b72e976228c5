/**
 * A simple request/response page-stream session for the cold path: the
 * pre-flight (Nblocks of each target relation) and tools that need a few
 * requests. Promise-based, general codecs; not used for measurement.
 */
import net from 'node:net';
import { FrameReader } from '../protocol/frame-reader.js';
import {
  AUTH_CLEARTEXT_PASSWORD, AUTH_OK, decodeAuthentication, decodeErrorFields, encodeCopyData, encodePasswordMessage,
  encodeQuery, encodeStartupMessage, Msg,
} from '../protocol/libpq.js';
import { decodeResponse, encodeRequest, pagestreamCommand } from '../protocol/pagestream.js';
import type { PagestreamRequest, PagestreamResponse, PagestreamVersion } from '../protocol/pagestream.js';
import { TargetError } from '../protocol/errors.js';
import type { ConnectionTarget } from './connection.js';

export class PagestreamSession {
  private readonly sock: net.Socket;
  private readonly version: PagestreamVersion;
  private readonly waiters: Array<{ resolve: (r: PagestreamResponse) => void; reject: (e: Error) => void }> = [];
  private failure: Error | null = null;

  private constructor(sock: net.Socket, version: PagestreamVersion) {
    this.sock = sock;
    this.version = version;
  }

  /** Connect, authenticate and enter `pagestream_v<version>`; rejects with a TargetError saying why not. */
  static open(target: ConnectionTarget, version: PagestreamVersion, timeoutMs: number): Promise<PagestreamSession> {
    const where = `${target.host}:${target.port}`;
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: target.host, port: target.port });
      const session = new PagestreamSession(sock, version);
      let inStream = false;
      let settled = false;
      const fail = (e: Error): void => {
        session.failure = e;
        if (!settled) {
          settled = true;
          reject(e);
        }
        for (const w of session.waiters.splice(0)) w.reject(e);
        sock.destroy();
      };
      const timer = setTimeout(() => fail(new TargetError('ERR_TIMEOUT', `no answer from ${where} within ${timeoutMs} ms (is it a pageserver?)`)), timeoutMs);
      const reader = new FrameReader({
        onFrame(type, buf, off, len) {
          if (inStream && type === Msg.CopyData) {
            const w = session.waiters.shift();
            if (!w) return fail(new TargetError('ERR_PROTOCOL', `${where} sent a response nobody asked for`));
            try {
              w.resolve(decodeResponse(version, buf, off, len));
            } catch (e) {
              w.reject(e as Error);
            }
            return;
          }
          switch (type) {
            case Msg.Authentication: {
              const kind = decodeAuthentication(buf, off, len);
              if (kind === AUTH_OK) return;
              if (kind === AUTH_CLEARTEXT_PASSWORD) {
                if (target.password === undefined) return fail(new TargetError('ERR_AUTH', `${where} asks for a password: set PAGESERVER_JWT (or put the JWT in the URL's password)`));
                sock.write(encodePasswordMessage(target.password));
                return;
              }
              return fail(new TargetError('ERR_AUTH', `${where} asks for unsupported authentication method ${kind}`));
            }
            case Msg.ReadyForQuery:
              if (!inStream) sock.write(encodeQuery(pagestreamCommand(version, target.tenant, target.timeline)));
              return;
            case Msg.CopyBothResponse:
              inStream = true;
              clearTimeout(timer);
              settled = true;
              resolve(session);
              return;
            case Msg.ErrorResponse: {
              const f = decodeErrorFields(buf, off, len);
              return fail(new TargetError('ERR_REFUSED', `${where} refused ${inStream ? 'the page stream' : 'the connection'}: ${f.message}`));
            }
            default:
              return;
          }
        },
      });
      sock.on('data', (chunk: Buffer) => {
        try {
          reader.push(chunk, 0, chunk.length);
        } catch (e) {
          fail(new TargetError('ERR_PROTOCOL', `${where} does not speak the PostgreSQL protocol: ${(e as Error).message}`));
        }
      });
      sock.on('connect', () => sock.write(encodeStartupMessage({ user: target.user, database: target.database, application_name: 'pagestream-bench' })));
      sock.on('error', (e: NodeJS.ErrnoException) => fail(new TargetError('ERR_UNREACHABLE', `cannot reach ${where}: ${e.code ?? e.message}`)));
      sock.on('close', () => {
        clearTimeout(timer);
        fail(new TargetError('ERR_CLOSED', `${where} closed the connection${inStream ? ' during the page stream' : ' during the handshake'}`));
      });
    });
  }

  request(r: PagestreamRequest): Promise<PagestreamResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.sock.write(encodeCopyData(encodeRequest(this.version, r)));
    });
  }

  close(): void {
    this.failure ??= new TargetError('ERR_CLOSED', 'session closed');
    this.sock.destroy();
  }
}
