/**
 * Defensive secret removal for anything a report shows. `run` already removes
 * the JWT and URL password from the result; this second pass exists because a
 * report is the thing people paste into tickets, so a mistake upstream must not
 * leak through it.
 */

// Not plain "auth": results record the auth *mode* (trust / jwt) there, which is not a secret.
const SECRET_KEY = /pass(word|wd)?|secret|token|jwt|authorization|credential|api[-_]?key|private[-_]?key|cookie|session/i;
/** Three base64url parts, the first starting like a JSON header: a JWT. */
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
/** user:password@ in a URL. */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^@/\s]*@/gi;
/** password=... or jwt=... inside a connection string or query. */
const KV_SECRET = /\b(password|passwd|pwd|token|jwt|secret|sslpassword)=([^&\s;]+)/gi;

export const REDACTED = '[redacted]';

export function scrubString(s: string): string {
  return s.replace(JWT, REDACTED).replace(URL_PASSWORD, `$1:${REDACTED}@`).replace(KV_SECRET, `$1=${REDACTED}`);
}

/** A deep copy with secret-looking keys and values redacted. */
export function scrub<T>(value: T): T {
  return scrubAny(value, 0) as T;
}

function scrubAny(v: unknown, depth: number): unknown {
  if (depth > 20) return REDACTED;
  if (typeof v === 'string') return scrubString(v);
  if (Array.isArray(v)) return v.map((x) => scrubAny(x, depth + 1));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEY.test(k) && x !== undefined && x !== null && x !== false ? REDACTED : scrubAny(x, depth + 1);
    return out;
  }
  return v;
}
