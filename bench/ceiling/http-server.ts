/**
 * Arm (b), server side: the smallest node:http server that answers every
 * request with the same 8192-byte body (a page's worth), so autocannon is
 * measured moving the same payload as the other arms.
 */
import http from 'node:http';
import type net from 'node:net';
import { send, serveMarks } from './ipc.js';

const BODY = Buffer.alloc(8192, 0x61);
const HEADERS = { 'content-type': 'application/octet-stream', 'content-length': String(BODY.length) };
let sent = 0;

const server = http.createServer((_req, res) => {
  sent++;
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', port: (server.address() as net.AddressInfo).port });
});
serveMarks(() => sent);
