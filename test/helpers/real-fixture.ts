// The real-6.1 fixture beside the repository (../shared/fixtures/real-6.1). Missing files are an error:
// the acceptance suite fails, never skips.
import { createReadStream, createWriteStream, existsSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { fixtureCache } from './debuginfo.js';

export const REAL = resolve(process.env.QEMU_VTOP_REAL_FIXTURE ?? '../shared/fixtures/real-6.1');

export function realFile(name: string): string {
  const p = join(REAL, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: the acceptance suite needs the real-6.1 fixture beside the repository (../shared/fixtures/real-6.1)`);
  return p;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function realTruth(): any {
  return JSON.parse(readFileSync(realFile('truth.json'), 'utf8'));
}

/** The QEMU ELF dump, gunzipped once into the cache (537 MB). */
export async function realElfDump(): Promise<string> {
  const out = join(fixtureCache(), 'real-6.1-vmcore.elf');
  if (!existsSync(out)) {
    await pipeline(createReadStream(realFile('vmcore.elf.gz')), createGunzip(), createWriteStream(out + '.tmp'));
    renameSync(out + '.tmp', out);
  }
  return out;
}

/** A file of any fixture under ../shared/fixtures (real-5.10, guest-6.1, ...); missing is an error, never a skip. */
export function fixtureFile(fixture: string, name: string): string {
  const p = resolve(process.env.QEMU_VTOP_FIXTURES ?? '../shared/fixtures', fixture, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: the acceptance suite needs the ${fixture} fixture beside the repository (../shared/fixtures/${fixture})`);
  return p;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fixtureTruth(fixture: string): any {
  return JSON.parse(readFileSync(fixtureFile(fixture, 'truth.json'), 'utf8'));
}
