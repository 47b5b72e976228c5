/**
 * JWT verification as a Neon pageserver does it (libs/utils/src/auth.rs):
 * the compute sends the token as a cleartext password; the header must say
 * EdDSA, the signature must verify against the configured Ed25519 public key,
 * and the claims decide the scope: `pageserverapi` covers every tenant,
 * `tenant` covers only its `tenant_id`. node:crypto only, no dependency.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

export interface Claims {
  scope: string;
  tenant_id?: string;
}

export class JwtVerifier {
  private readonly key: KeyObject;
  constructor(pem: string) {
    this.key = createPublicKey(pem);
    if (this.key.asymmetricKeyType !== 'ed25519') throw new Error(`JWT public key is ${this.key.asymmetricKeyType}, not ed25519`);
  }

  /** Returns the claims, or throws an Error whose message says why the token is refused. */
  verify(token: string, nowS = Date.now() / 1000): Claims {
    const parts = token.split('.');
    if (parts.length !== 3) throw new Error('malformed jwt: expected header.payload.signature');
    let header: { alg?: string };
    let claims: Claims & { exp?: number; nbf?: number };
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    } catch {
      throw new Error('malformed jwt: header or payload is not base64url JSON');
    }
    if (header.alg !== 'EdDSA') throw new Error(`jwt algorithm ${JSON.stringify(header.alg)} is not EdDSA`);
    const ok = cryptoVerify(null, Buffer.from(`${parts[0]}.${parts[1]}`), this.key, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) throw new Error('InvalidSignature');
    if (typeof claims.exp === 'number' && claims.exp < nowS) throw new Error('ExpiredSignature');
    if (typeof claims.nbf === 'number' && claims.nbf > nowS) throw new Error('ImmatureSignature');
    if (typeof claims.scope !== 'string') throw new Error('jwt claims have no scope');
    return claims;
  }
}

/** check_permission of page_service.rs: null when allowed, else the error text. */
export function checkTenantPermission(claims: Claims, tenantId: string): string | null {
  if (claims.scope === 'pageserverapi') return null;
  if (claims.scope === 'tenant') {
    if (claims.tenant_id === undefined) return 'Tenant id is missing in the claims. Permission denied';
    return claims.tenant_id.toLowerCase() === tenantId ? null : 'Tenant id mismatch. Permission denied';
  }
  return `JWT scope '${claims.scope}' is ineligible for Pageserver auth`;
}
