// The type model every type source (DWARF, BTF) produces and the kernel layer consumes.
// Types are plain objects; references to other types are resolved lazily through getters so that a
// lookup of `struct kvm` does not pull in every type reachable from it.
import { QvError } from '../io/errors.js';

export type KType = StructType | PointerType | ArrayType | TypedefType | BaseType | EnumType | VoidType | FuncType;

export interface StructType {
  kind: 'struct' | 'union';
  name?: string; // undefined for anonymous structs/unions
  size: number; // bytes
  /** Members in declaration order; anonymous struct/union members have name undefined. */
  readonly members: Member[];
  /** True for a declaration without a body (`struct foo;`): size 0, no members. */
  declaration?: boolean;
}

export interface Member {
  name?: string;
  /** Byte offset of the member (for a bitfield: of the storage unit that holds its first bit). */
  offset: number;
  /** For bitfields: bit offset from `offset * 8` and width in bits. */
  bitOffset?: number;
  bitSize?: number;
  readonly type: KType;
}

export interface PointerType {
  kind: 'pointer';
  size: number;
  readonly target: KType; // VoidType for void *
}

export interface ArrayType {
  kind: 'array';
  readonly element: KType;
  /** Number of elements; undefined for a flexible array member (`x[]`). Multi-dimensional arrays nest. */
  count?: number;
}

export interface TypedefType {
  kind: 'typedef';
  name: string;
  readonly target: KType;
}

export interface BaseType {
  kind: 'base';
  name: string;
  size: number;
  signed: boolean;
  bool?: boolean;
}

export interface EnumType {
  kind: 'enum';
  name?: string;
  size: number;
  signed: boolean;
  readonly enumerators: ReadonlyMap<string, bigint>;
}

export interface VoidType {
  kind: 'void';
}

export interface FuncType {
  kind: 'function';
}

export type NamedKind = 'struct' | 'union' | 'typedef' | 'enum' | 'base';

/** Where types come from. A source answers only for names it defines (complete definitions). */
export interface TypeSource {
  /** A short description for messages ("DWARF of vmlinux-6.1.0-53-cloud-amd64"). */
  readonly description: string;
  findType(name: string, kind: NamedKind): KType | undefined;
  /** Value of an enumerator constant by name (e.g. "KVM_NR_BUSES"), if any enum defines it. */
  findEnumerator?(name: string): bigint | undefined;
}

export const VOID: VoidType = { kind: 'void' };

/** Strips typedefs (and nothing else: const/volatile are never represented). */
export function resolve(t: KType): KType {
  let cur = t;
  for (let i = 0; i < 64 && cur.kind === 'typedef'; i++) cur = cur.target;
  return cur;
}

/**
 * How deeply types may nest through arrays, pointers in names and anonymous members before the type graph
 * is called cyclic. Types come from files that may be corrupt (BTF read out of a dump's memory); real
 * kernels nest a few levels (an anonymous union in an anonymous struct in a struct), never dozens.
 */
export const MAX_TYPE_DEPTH = 64;

function typeCycle(what: string, t: KType): QvError {
  return new QvError(
    'TYPE_CYCLE',
    `${what} of ${typeName(t, MAX_TYPE_DEPTH - 8)}: types nest more than ${MAX_TYPE_DEPTH} deep; the debug info is corrupt or cyclic (try the other type source: --types dwarf or --types btf)`,
    { structure: typeName(t, MAX_TYPE_DEPTH - 8) },
  );
}

export function sizeOf(t: KType, depth = 0): number {
  if (depth > MAX_TYPE_DEPTH) throw typeCycle('size', t);
  const r = resolve(t);
  switch (r.kind) {
    case 'struct':
    case 'union':
    case 'base':
    case 'enum':
    case 'pointer':
      return r.size;
    case 'array':
      return r.count === undefined ? 0 : r.count * sizeOf(r.element, depth + 1);
    default:
      return 0;
  }
}

/** The C spelling of a type; past `depth` levels (a cyclic pointer or array chain) it ends in "...". */
export function typeName(t: KType, depth = 0): string {
  if (depth > MAX_TYPE_DEPTH) return '...';
  switch (t.kind) {
    case 'struct':
    case 'union':
      return `${t.kind} ${t.name ?? '(anonymous)'}`;
    case 'enum':
      return `enum ${t.name ?? '(anonymous)'}`;
    case 'typedef':
    case 'base':
      return t.name;
    case 'pointer':
      return `${typeName(t.target, depth + 1)} *`;
    case 'array':
      return `${typeName(t.element, depth + 1)}[${t.count ?? ''}]`;
    case 'void':
      return 'void';
    case 'function':
      return 'function';
  }
}

/**
 * Finds a member by name, looking through anonymous struct/union members as C does.
 * Returns the member with its offset relative to the outer struct. An anonymous member whose type leads
 * back to itself (corrupt debug info) ends in TYPE_CYCLE after MAX_TYPE_DEPTH levels, not in a stack overflow.
 */
export function findMember(t: KType, name: string, depth = 0): Member | undefined {
  if (depth > MAX_TYPE_DEPTH) throw typeCycle(`member ${name}`, t);
  const r = resolve(t);
  if (r.kind !== 'struct' && r.kind !== 'union') return undefined;
  // Hot: every typed read looks members up by name (a page-table or maple-tree walk does it per node).
  let byName = memberCache.get(r);
  if (!byName) memberCache.set(r, (byName = new Map()));
  let m = byName.get(name);
  if (m === undefined) byName.set(name, (m = findMemberUncached(r, name, depth) ?? null));
  return m ?? undefined;
}

const memberCache = new WeakMap<KType, Map<string, Member | null>>();

function findMemberUncached(r: StructType, name: string, depth: number): Member | undefined {
  for (const m of r.members) {
    if (m.name === name) return m;
    if (m.name === undefined) {
      const inner = findMember(m.type, name, depth + 1);
      if (inner) return { ...inner, offset: m.offset + inner.offset, type: inner.type };
    }
  }
  return undefined;
}

/** Looks a type up in several sources in order (vmlinux first, then modules). */
export class TypeSources implements TypeSource {
  constructor(readonly sources: TypeSource[]) {}
  get description(): string {
    return this.sources.map((s) => s.description).join(' + ');
  }
  findType(name: string, kind: NamedKind): KType | undefined {
    for (const s of this.sources) {
      const t = s.findType(name, kind);
      if (t) return t;
    }
    return undefined;
  }
  findEnumerator(name: string): bigint | undefined {
    for (const s of this.sources) {
      const v = s.findEnumerator?.(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
}
