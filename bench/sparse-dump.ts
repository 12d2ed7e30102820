// A generated sparse dump for the "flat as the dump grows" case: filled in below.
export function sparseDumpFor(_dump: string, _dir: string): { path: string; label: string } | undefined {
  return undefined;
}
