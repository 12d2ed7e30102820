// Debug files by GNU build-id, the way gdb, drgn and debuginfod-find name them:
// DIR/.build-id/xx/rest.debug under each debug directory (Debian's -dbg packages install these links).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkName } from './names.js';

export const DEFAULT_DEBUG_DIRS = ['/usr/lib/debug'];

export function buildIdPath(debugDir: string, buildId: string): string {
  const id = checkName('buildId', buildId.toLowerCase(), 'the build-id');
  return join(debugDir, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`);
}

/** The first debug directory holding the file of this build-id, and every path looked at. */
export function findByBuildId(buildId: string, dirs: string[] = DEFAULT_DEBUG_DIRS): { path?: string; looked: string[] } {
  const looked = dirs.map((d) => buildIdPath(d, buildId));
  return { path: looked.find((p) => existsSync(p)), looked };
}
