// Address formatting in one place: every address the tool prints or emits in JSON is lower-case hex.
export const hex = (v: bigint | number): string => '0x' + v.toString(16);
export const hexBare = (v: bigint | number): string => v.toString(16);
export const MASK64 = (1n << 64n) - 1n;
/** Kernel-address arithmetic is modulo 2^64 (phys_base may be "negative"). */
export const u64 = (v: bigint): bigint => v & MASK64;
/** Parses "0x1f", "1f" (crash treats bare numbers as hex for addresses) or a decimal with "0d" never. */
export function parseAddress(s: string): bigint {
  const t = s.trim().toLowerCase();
  const m = /^(0x)?([0-9a-f]+)$/.exec(t);
  if (!m) throw new Error(`"${s}" is not an address: use hex, with or without 0x (e.g. 0x100201000)`);
  return BigInt('0x' + m[2]);
}
