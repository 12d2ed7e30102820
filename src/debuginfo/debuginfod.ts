// Debug files from debuginfod servers (DEBUGINFOD_URLS, as gdb and drgn read it): GET URL/buildid/ID/debuginfo,
// cached under the XDG cache by build-id. A file whose own build-id is not the one asked for is refused and
// not cached: a server (or a proxy) that answers with the wrong file must not poison later runs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ElfFile } from '../elf/elf.js';
import { QvError } from '../io/errors.js';
import { FileSource } from '../io/source.js';
import { cacheRoot } from './fetch.js';
import { checkName } from './names.js';

/** The server URLs of DEBUGINFOD_URLS (space-separated), without trailing slashes. */
export function debuginfodUrls(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.DEBUGINFOD_URLS ?? '').split(/\s+/).filter((u) => /^https?:\/\/\S+$/.test(u)).map((u) => u.replace(/\/+$/, ''));
}

export function debuginfodCachePath(buildId: string): string {
  return join(cacheRoot(), 'debuginfod', checkName('buildId', buildId, 'the build-id'), 'debuginfo');
}

/** The GNU build-id of an ELF file, or undefined when it is not one or has none. */
function fileBuildId(path: string): string | undefined {
  let src: FileSource | undefined;
  try {
    src = new FileSource(path, 4);
    return new ElfFile(src).buildId();
  } catch {
    return undefined;
  } finally {
    src?.close();
  }
}

export interface DebuginfodResult {
  path: string;
  /** 'cache' when no server was asked. */
  from: string;
}

/**
 * The debug file of a build-id: from the cache, else from the first server that has it. Undefined when
 * no server has it; an error when a server answered with something else than that file.
 */
export function debuginfodFetch(buildId: string, label: string, urls: string[], log: (m: string) => void = () => {}): DebuginfodResult | undefined {
  const id = checkName('buildId', buildId, 'the build-id');
  const cached = debuginfodCachePath(id);
  if (existsSync(cached) && fileBuildId(cached) === id) return { path: cached, from: 'cache' };
  const worker = fileURLToPath(new URL('./debuginfod-get.js', import.meta.url));
  for (const base of urls) {
    const url = `${base}/buildid/${id}/debuginfo`;
    const tmp = `${cached}.tmp-${process.pid}`;
    mkdirSync(join(cached, '..'), { recursive: true });
    rmSync(tmp, { force: true });
    log(`downloading ${label} (build-id ${id}) from ${base}`);
    let code = 0;
    let why = '';
    try {
      execFileSync(process.execPath, [worker, url, tmp, label], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 3_600_000 });
    } catch (e) {
      const err = e as { status?: number; stdout?: Buffer };
      code = err.status ?? 3;
      why = String(err.stdout ?? '').trim();
    }
    if (code === 4) {
      rmSync(tmp, { force: true });
      continue;
    }
    if (code !== 0) {
      rmSync(tmp, { force: true });
      log(`${base}: ${why || 'download failed'}`);
      continue;
    }
    const got = fileBuildId(tmp);
    if (got !== id) {
      rmSync(tmp, { force: true });
      throw new QvError('DEBUGINFOD_WRONG_FILE', `${url} answered with ${got ? `a file of build-id ${got}` : 'a file that is not ELF'}, not the debug file of build-id ${id}: refused, not cached. Check DEBUGINFOD_URLS, or give ${label} yourself`);
    }
    renameSync(tmp, cached);
    return { path: cached, from: base };
  }
  return undefined;
}
