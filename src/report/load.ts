/**
 * Read and validate a result file for report, gate and merge. Every problem is
 * a UsageError (exit 2) whose one-line message starts with the file name, so a
 * CI log says which file is wrong and how.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../protocol/errors.js';
import { decodeHistogram } from './histo.js';
import type { PagestreamResult, VariantName } from './result.js';
import { RESULT_SCHEMA, VARIANT_NAMES } from './result.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse and validate result text; `name` is used in messages (usually the path). */
export function parseResult(text: string, name: string): PagestreamResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // JSON.parse quotes the offending text, newlines and all: keep the message to one short line.
    const detail = (e as Error).message.replace(/\s+/g, ' ').slice(0, 120);
    const why = text.trim() === '' ? 'empty file' : `not valid JSON, truncated or corrupt (${detail})`;
    throw new UsageError(`${name}: ${why}`);
  }
  return validateResult(doc, name);
}

export function validateResult(doc: unknown, name: string): PagestreamResult {
  const bad = (what: string): never => {
    throw new UsageError(`${name}: ${what}`);
  };
  if (!isObject(doc)) return bad('not a pagestream-bench result (top level is not a JSON object)');
  if (doc.schema === undefined) return bad(`not a pagestream-bench result (no "schema" field; expected "${RESULT_SCHEMA}")`);
  if (doc.schema !== RESULT_SCHEMA) {
    return bad(`result schema ${JSON.stringify(doc.schema)} is not supported (this version reads "${RESULT_SCHEMA}")`);
  }
  if (!isObject(doc.config)) bad('"config" is missing or not an object');
  if (!isObject(doc.variants)) bad('"variants" is missing or not an object');
  if (typeof doc.startedAt !== 'string' || Number.isNaN(Date.parse(doc.startedAt))) bad('"startedAt" is missing or not an ISO 8601 time');
  if (typeof doc.finishedAt !== 'string' || Number.isNaN(Date.parse(doc.finishedAt))) bad('"finishedAt" is missing or not an ISO 8601 time');
  const variants = doc.variants as Record<string, unknown>;
  const names = Object.keys(variants);
  if (names.length === 0) bad('"variants" is empty: the run measured nothing');
  for (const v of names) {
    if (!VARIANT_NAMES.includes(v as VariantName)) bad(`unknown variant "variants.${v}" (expected ${VARIANT_NAMES.join(', ')})`);
    const vr = variants[v];
    if (!isObject(vr)) return bad(`"variants.${v}" is not an object`);
    for (const f of ['responses', 'errors', 'mismatches', 'durationS', 'throughputRps', 'bytesReceived', 'bytesSent', 'responseFrameBytes']) {
      if (typeof vr[f] !== 'number' || !Number.isFinite(vr[f])) bad(`"variants.${v}.${f}" is missing or not a number`);
    }
    if (!isObject(vr.latencyUs)) return bad(`"variants.${v}.latencyUs" is missing`);
    for (const key of ['latencyUs', 'serviceTimeUs'] as const) {
      const lat = vr[key];
      if (lat === undefined && key === 'serviceTimeUs') continue;
      if (!isObject(lat) || typeof lat.histogram !== 'string') return bad(`"variants.${v}.${key}.histogram" is missing`);
      try {
        decodeHistogram(lat.histogram);
      } catch {
        bad(`"variants.${v}.${key}.histogram" is not an HdrHistogram in compressed base64 encoding`);
      }
    }
    if (vr.rounds !== undefined && !Array.isArray(vr.rounds)) bad(`"variants.${v}.rounds" is not an array`);
  }
  return doc as unknown as PagestreamResult;
}

/** Read a result file; missing, unreadable, truncated and foreign files are one-line UsageErrors. */
export function loadResult(path: string): PagestreamResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a result file' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? (e as Error).message})`;
    throw new UsageError(`${path}: ${why}`);
  }
  return parseResult(text, path);
}

/** Variants present, in the canonical order v2, v3, v3-noverify. */
export function variantsOf(r: PagestreamResult): VariantName[] {
  return VARIANT_NAMES.filter((v) => r.variants[v] !== undefined);
}
