// The guest-6.1 fixture beside the repository (../shared/fixtures/guest-6.1): a real host dump with a real QEMU
// running a real Linux guest. Missing files are an error: the acceptance suite fails, never skips.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const GUEST = resolve(process.env.QEMU_VTOP_GUEST_FIXTURE ?? '../shared/fixtures/guest-6.1');

export function guestFile(name: string): string {
  const p = join(GUEST, name);
  if (!existsSync(p)) throw new Error(`${p} is missing: the acceptance suite needs the guest-6.1 fixture beside the repository (../shared/fixtures/guest-6.1)`);
  return p;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function guestTruth(): any {
  return JSON.parse(readFileSync(guestFile('truth-guest.json'), 'utf8'));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function hostTruth(): any {
  return JSON.parse(readFileSync(guestFile('truth.json'), 'utf8'));
}
