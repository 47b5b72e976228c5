/**
 * Write a file so that readers never see half of it: write a temporary file in
 * the same directory, then rename it over the target (rename is atomic within a
 * file system). A failure leaves the previous file, or nothing, in place.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../protocol/errors.js';

export function writeFileAtomic(path: string, data: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`${path}: cannot write (${err.code ?? err.message})`);
  }
}
