/**
 * --auth jwt: the token arrives as a cleartext password and is verified as a
 * Neon pageserver does (EdDSA / Ed25519, scope tenant with matching tenant_id,
 * or pageserverapi). Keys and tokens are made here with node:crypto.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { PageserverEmulator } from '../../src/server/emulator.js';
import { DEFAULT_TENANT_ID, DEFAULT_TIMELINE_ID } from '../../src/server/ids.js';
import { RawClient, startupMessage, password, query, errorResponse, READY_FOR_QUERY, COPY_BOTH_RESPONSE, getPageFrame, LSN_MAX } from './helpers/raw-client.js';

const T = DEFAULT_TENANT_ID;
const TL = DEFAULT_TIMELINE_ID;
const keys = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

function b64url(x: string | Buffer): string {
  return Buffer.from(x).toString('base64url');
}
function jwt(claims: object, key: KeyObject = keys.privateKey, alg = 'EdDSA'): string {
  const head = b64url(JSON.stringify({ alg, typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${b64url(sign(null, Buffer.from(`${head}.${body}`), key))}`;
}

const AUTH_CLEARTEXT = Buffer.from('52000000080000000' + '3', 'hex');
const JWT_OK = Buffer.concat([
  Buffer.from('520000000800000000', 'hex'),
  Buffer.from('5300000019', 'hex'), Buffer.from('client_encoding\0UTF8\0'),
  Buffer.from('5a0000000549', 'hex'),
]);

let emu: PageserverEmulator;
let port: number;
let mgmt: number;
const logs: string[] = [];
before(async () => {
  emu = new PageserverEmulator({ auth: 'jwt', httpAuth: 'jwt', jwtPublicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(), log: (l) => logs.push(l) });
  ({ port, mgmtPort: mgmt } = await emu.listen());
});
after(() => emu.close());

async function login(token: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  c.send(startupMessage({ user: 'cloud_admin', database: 'postgres' }));
  assert.deepEqual(await c.read(9), AUTH_CLEARTEXT);
  c.send(password(token));
  return c;
}

test('a tenant-scoped token: AuthenticationOk, client_encoding, ReadyForQuery; its tenant streams pages', async () => {
  const c = await login(jwt({ scope: 'tenant', tenant_id: T }));
  assert.deepEqual(await c.read(JWT_OK.length), JWT_OK);
  c.send(query(`pagestream_v3 ${T} ${TL}`));
  assert.deepEqual(await c.read(8), COPY_BOTH_RESPONSE);
  c.send(getPageFrame(3, { reqid: [0, 1], lsn: LSN_MAX, nms: [0, 1] }, { spc: 1663, db: 16384, rel: 16400, fork: 0 }, 0));
  assert.equal((await c.read(8239)).readUInt8(5), 102);
  c.close();
});

test('a token for another tenant: ErrorResponse + ReadyForQuery, connection stays usable', async () => {
  const c = await login(jwt({ scope: 'tenant', tenant_id: 'cd'.repeat(16) }));
  assert.deepEqual(await c.read(JWT_OK.length), JWT_OK);
  c.send(query(`pagestream_v3 ${T} ${TL}`));
  const want = Buffer.concat([errorResponse('XX000', 'Tenant id mismatch. Permission denied'), READY_FOR_QUERY]);
  assert.deepEqual((await c.read(want.length)).toString('latin1'), want.toString('latin1'));
  // Its own tenant is allowed on the same connection (it does not exist: Not found per request).
  c.send(query(`pagestream_v2 ${'cd'.repeat(16)} ${TL}`));
  assert.deepEqual(await c.read(8), COPY_BOTH_RESPONSE);
  c.close();
});

test('scope pageserverapi covers every tenant; other scopes are refused at the command', async () => {
  const c = await login(jwt({ scope: 'pageserverapi' }));
  assert.deepEqual(await c.read(JWT_OK.length), JWT_OK);
  c.send(query(`pagestream_v3 ${T} ${TL}`));
  assert.deepEqual(await c.read(8), COPY_BOTH_RESPONSE);
  c.close();
  const d = await login(jwt({ scope: 'safekeeperdata' }));
  assert.deepEqual(await d.read(JWT_OK.length), JWT_OK);
  d.send(query(`pagestream_v3 ${T} ${TL}`));
  const want = Buffer.concat([errorResponse('XX000', "JWT scope 'safekeeperdata' is ineligible for Pageserver auth"), READY_FOR_QUERY]);
  assert.deepEqual((await d.read(want.length)).toString('latin1'), want.toString('latin1'));
  d.close();
});

test('refused tokens: wrong key, wrong algorithm, expired, garbage -> ErrorResponse 28000 and close', async () => {
  const cases: Array<[string, string]> = [
    [jwt({ scope: 'pageserverapi' }, other.privateKey), 'Authentication error: InvalidSignature'],
    [jwt({ scope: 'pageserverapi' }, keys.privateKey, 'HS256'), 'Authentication error: jwt algorithm "HS256" is not EdDSA'],
    [jwt({ scope: 'pageserverapi', exp: 1000 }), 'Authentication error: ExpiredSignature'],
    ['not-a-token', 'Authentication error: malformed jwt: expected header.payload.signature'],
  ];
  const before = logs.length;
  for (const [token, msg] of cases) {
    const c = await login(token);
    const want = errorResponse('28000', msg);
    assert.deepEqual((await c.read(want.length)).toString('latin1'), want.toString('latin1'));
    assert.ok(await c.closedWithin(2000), `closed after: ${msg}`);
  }
  // One log line per refused connection, never the token itself.
  const lines = logs.slice(before);
  assert.equal(lines.length, cases.length);
  for (const l of lines) assert.ok(!l.includes('eyJ'), l);
});

test('management API with --http-auth jwt: Bearer token, scope pageserverapi or the tenant\'s own; status and metrics open', async () => {
  const get = async (path: string, token?: string): Promise<number> =>
    (await fetch(`http://127.0.0.1:${mgmt}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })).status;
  const admin = jwt({ scope: 'pageserverapi' });
  const mine = jwt({ scope: 'tenant', tenant_id: T });
  const theirs = jwt({ scope: 'tenant', tenant_id: 'ef'.repeat(16) });
  assert.equal(await get('/v1/status'), 200);
  assert.equal(await get('/metrics'), 200);
  assert.equal(await get('/v1/tenant'), 401);
  assert.equal(await get('/v1/tenant', jwt({ scope: 'pageserverapi' }, other.privateKey)), 401);
  assert.equal(await get('/v1/tenant', admin), 200);
  assert.equal(await get('/v1/faults', admin), 200);
  assert.equal(await get('/v1/tenant', mine), 403);
  assert.equal(await get(`/v1/tenant/${T}/timeline`, mine), 200);
  assert.equal(await get(`/v1/tenant/${T}/timeline/${TL}/keyspace`, mine), 200);
  assert.equal(await get(`/v1/tenant/${T}/timeline`, theirs), 403);
});

test('--auth jwt alone leaves the management API on trust (auth_type and http_auth_type are separate settings)', async () => {
  const e = new PageserverEmulator({ auth: 'jwt', jwtPublicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(), log: () => {} });
  const a = await e.listen();
  try {
    assert.equal((await fetch(`http://127.0.0.1:${a.mgmtPort}/v1/tenant`)).status, 200);
    const c = await RawClient.connect(a.port);
    c.send(startupMessage({ user: 'u' }));
    assert.deepEqual(await c.read(9), AUTH_CLEARTEXT);
    c.close();
  } finally {
    await e.close();
  }
});
