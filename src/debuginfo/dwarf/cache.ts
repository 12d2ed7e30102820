// The persistent name index: one JSON file per ELF build-id under $XDG_CACHE_HOME/qemu-vtop/ (default
// ~/.cache/qemu-vtop/). Written to a unique temporary name and renamed, so concurrent runs never see a
// half-written file; anything unreadable or built from other sections is ignored and rebuilt.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NameIndex } from './nameindex.js';

export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-vtop');
}

/** The cache file of a build-id, or undefined when the id cannot name a file safely. */
export function indexCachePath(dir: string, buildId: string): string | undefined {
  return /^[0-9a-f]{8,128}$/.test(buildId) ? join(dir, `dwarf-index-${buildId}.json`) : undefined;
}

/** The stored index, or undefined (missing, corrupt, another version, or built from other sections). */
export function readCachedIndex(path: string, expect: { buildId?: string; fingerprint: string }): NameIndex | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return NameIndex.fromJSON(JSON.parse(text), expect);
  } catch {
    return undefined;
  }
}

/** Stores the index; returns an error message instead of throwing (a cache is never worth failing for). */
export function writeCachedIndex(path: string, index: NameIndex): string | undefined {
  const dir = join(path, '..');
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, JSON.stringify(index));
    renameSync(tmp, path);
    return undefined;
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing more to do: the temporary name is unique and harmless
    }
    return `cannot write the DWARF index cache ${path}: ${(e as Error).message}`;
  }
}
