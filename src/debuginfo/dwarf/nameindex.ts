// The name index: for each named kind, name -> section offset of the first complete definition's DIE,
// and enumerator name -> offset of the enumeration that defines it. A plain, serializable object,
// separate from the decoder that turns offsets into types, so it can be stored keyed by build-id.
import { type NamedKind } from '../types.js';

/** Bump when the scan or the file format changes: older cache files are then ignored and rebuilt. */
export const INDEX_VERSION = 1;
const FORMAT = 'qemu-vtop-dwarf-index';

export const KINDS: readonly NamedKind[] = ['struct', 'union', 'enum', 'typedef', 'base'];

export interface NameIndexJson {
  format: string;
  version: number;
  buildId?: string;
  fingerprint: string;
  units: number[];
  names: Record<string, [string[], number[]]>;
  enumerators: [string[], number[]];
}

export class NameIndex {
  constructor(
    readonly buildId: string | undefined,
    /** Sizes of the sections the index was built from (see DwarfSections.fingerprint). */
    readonly fingerprint: string,
    /** Section offsets of the compile/partial units, ascending. */
    readonly units: number[],
    readonly names: Record<NamedKind, Map<string, number>>,
    readonly enumerators: Map<string, number>,
  ) {}

  lookup(name: string, kind: NamedKind): number | undefined {
    return this.names[kind].get(name);
  }

  /** Number of names per kind, for benchmarks and `info`. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of KINDS) out[k] = this.names[k].size;
    out.enumerators = this.enumerators.size;
    out.units = this.units.length;
    return out;
  }

  toJSON(): NameIndexJson {
    const pairs = (m: Map<string, number>): [string[], number[]] => [[...m.keys()], [...m.values()]];
    const names: Record<string, [string[], number[]]> = {};
    for (const k of KINDS) names[k] = pairs(this.names[k]);
    return { format: FORMAT, version: INDEX_VERSION, buildId: this.buildId, fingerprint: this.fingerprint, units: this.units, names, enumerators: pairs(this.enumerators) };
  }

  /**
   * Rebuilds an index from its JSON form, or returns undefined when the data is not an index of this
   * version for this file (another build-id, other section sizes, truncated or hand-edited data).
   */
  static fromJSON(j: unknown, expect: { buildId?: string; fingerprint: string }): NameIndex | undefined {
    if (!j || typeof j !== 'object') return undefined;
    const o = j as Partial<NameIndexJson>;
    if (o.format !== FORMAT || o.version !== INDEX_VERSION || o.buildId !== expect.buildId || o.fingerprint !== expect.fingerprint) return undefined;
    if (!isOffsets(o.units) || !o.names || typeof o.names !== 'object') return undefined;
    for (let i = 1; i < o.units.length; i++) if (o.units[i] <= o.units[i - 1]) return undefined;
    const names = {} as Record<NamedKind, Map<string, number>>;
    for (const k of KINDS) {
      const m = toMap(o.names[k]);
      if (!m) return undefined;
      names[k] = m;
    }
    const en = toMap(o.enumerators);
    if (!en) return undefined;
    return new NameIndex(o.buildId, o.fingerprint, o.units, names, en);
  }
}

function isOffsets(a: unknown): a is number[] {
  return Array.isArray(a) && a.every((v) => Number.isSafeInteger(v) && v >= 0);
}

function toMap(p: unknown): Map<string, number> | undefined {
  if (!Array.isArray(p) || p.length !== 2) return undefined;
  const [keys, offs] = p as unknown[];
  if (!Array.isArray(keys) || !isOffsets(offs) || keys.length !== offs.length) return undefined;
  const m = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) {
    if (typeof keys[i] !== 'string') return undefined;
    m.set(keys[i] as string, offs[i]);
  }
  return m;
}
