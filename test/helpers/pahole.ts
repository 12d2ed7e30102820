// pahole as the ground truth for struct layouts: runs `pahole -F dwarf -C NAME FILE` and parses its
// C-like output into members (name, offset, size, bitfield position), with the members of inline
// (anonymous or unnamed-type) structs and unions nested under the member that holds them.
// pahole prints every offset relative to the outermost struct, and the bit position of a bitfield
// within the storage unit of its declared type ("2344:12  4" = unit at byte 2344, bit 12, unit size 4).
import { execFileSync } from 'node:child_process';
import { type KType, type Member, resolve, sizeOf, typeName } from '../../src/debuginfo/types.js';

export interface PaholeMember {
  /** undefined for anonymous struct/union members. */
  name?: string;
  /** Byte offset from the start of the outermost struct. */
  offset: number;
  /** Size in bytes (for a bitfield: of its storage unit). */
  size: number;
  bitOffset?: number;
  bitSize?: number;
  /** The declaration text before the name, e.g. "struct list_head" or "long unsigned int *". */
  type: string;
  /** Members of an inline struct/union type (pahole expands them). */
  members?: PaholeMember[];
}

export interface PaholeStruct {
  kind: 'struct' | 'union';
  name: string;
  /** Total size; pahole prints none for some unions. */
  size?: number;
  members: PaholeMember[];
}

/** Runs pahole on the DWARF of `file` (never its BTF). Fails, naming the package, when pahole is missing. */
export function pahole(file: string, name: string): PaholeStruct {
  let out: string;
  try {
    out = execFileSync('pahole', ['-F', 'dwarf', '-C', name, file], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error('pahole is not installed: the DWARF tests compare layouts with it (Debian package dwarves: apt-get install dwarves)');
    throw new Error(`pahole -F dwarf -C ${name} ${file} failed: ${err.stderr ?? err.message}`);
  }
  if (!out.trim()) throw new Error(`pahole -F dwarf -C ${name} ${file} printed nothing: no struct ${name} in that file`);
  return parsePahole(out);
}

const COMMENT = /\/\*\s*(\d+)(?::\s*(\d+))?\s+(\d+)\s*\*\/\s*$/;

export function parsePahole(text: string): PaholeStruct {
  const lines = text.split('\n');
  const head = /^(struct|union) (\S+) \{/.exec(lines[0]);
  if (!head) throw new Error(`pahole output does not start with a struct or union: ${lines[0]}`);
  const top: PaholeStruct = { kind: head[1] as 'struct' | 'union', name: head[2], members: [] };
  const stack: PaholeMember[][] = [top.members];
  const enums: boolean[] = [false]; // inline `enum { A, B } x;` bodies have no members
  for (const raw of lines.slice(1)) {
    const line = raw.trim();
    const size = /^\/\* size: (\d+),/.exec(line);
    if (size && stack.length === 1) top.size = Number(size[1]);
    if (!line || line.startsWith('/*')) continue;
    if (line.endsWith('{')) {
      stack.push([]);
      enums.push(/^(const\s+|volatile\s+)*enum\b/.test(line));
      continue;
    }
    if (line.startsWith('}')) {
      if (stack.length === 1) break; // end of the outer struct
      const inner = stack.pop()!;
      const isEnum = enums.pop();
      const c = COMMENT.exec(line);
      if (!c) throw new Error(`pahole: no offset on the closing line "${line}"`);
      let decl = stripAttributes(line.slice(1, line.indexOf(';')));
      const m: PaholeMember = { offset: Number(c[1]), size: Number(c[3]), type: isEnum ? 'enum' : '(inline)' };
      const bits = /:(\d+)$/.exec(decl);
      if (bits) {
        m.bitSize = Number(bits[1]);
        m.bitOffset = Number(c[2] ?? 0);
        decl = decl.slice(0, bits.index).trim();
      }
      m.name = /([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)*$/.exec(decl)?.[1];
      // `struct { ... } *parts;` is a pointer to an inline struct: its members are not ours to compare.
      if (decl.includes('*')) m.type += ' *';
      else if (!isEnum) m.members = inner;
      stack[stack.length - 1].push(m);
      continue;
    }
    const c = COMMENT.exec(line);
    if (!c) continue; // pahole's own lines, e.g. "unsigned int :0;" before "Force alignment" comments
    const decl = stripAttributes(line.slice(0, line.lastIndexOf(';', c.index)));
    const m: PaholeMember = { offset: Number(c[1]), size: Number(c[3]), type: '', name: undefined };
    let d = decl;
    const bits = /:(\d+)$/.exec(d);
    if (bits) {
      m.bitSize = Number(bits[1]);
      m.bitOffset = Number(c[2] ?? 0);
      d = d.slice(0, bits.index).trim();
    }
    const fp = /\(\s*\*+\s*([A-Za-z_]\w*)\s*(\[[^\]]*\]\s*)*\)\s*\(/.exec(d); // function pointer: ret (*name)(args)
    if (fp) {
      m.name = fp[1];
      m.type = d.slice(0, fp.index).trim() + ' (*)()';
    } else {
      const n = /([A-Za-z_]\w*)\s*((?:\[[^\]]*\]\s*)*)$/.exec(d);
      if (!n) throw new Error(`pahole: cannot find the member name in "${line}"`);
      m.name = n[1];
      m.type = d.slice(0, n.index).trim() + (n[2] ? ' ' + n[2].trim() : '');
    }
    stack[stack.length - 1].push(m);
  }
  if (top.size === undefined && top.kind === 'struct') throw new Error(`pahole: no "size:" line for struct ${top.name}`);
  return top;
}

/** Drops `__attribute__((...))` (with nested parentheses) from a declaration. */
function stripAttributes(s: string): string {
  let out = s;
  for (;;) {
    const i = out.indexOf('__attribute__');
    if (i < 0) return out.trim();
    let depth = 0;
    let j = out.indexOf('(', i);
    for (; j < out.length; j++) {
      if (out[j] === '(') depth++;
      else if (out[j] === ')' && --depth === 0) break;
    }
    out = out.slice(0, i) + out.slice(j + 1);
  }
}

/**
 * Every difference between a type from our reader and pahole's layout: kind, total size, and member by
 * member name, offset, size and bitfield position, recursing into the inline structs pahole expands.
 */
export function layoutDiffs(t: KType, p: PaholeStruct): string[] {
  const diffs: string[] = [];
  const r = resolve(t);
  if (r.kind !== p.kind) return [`${p.name}: ours is a ${r.kind}, pahole's a ${p.kind}`];
  if (p.size !== undefined && sizeOf(r) !== p.size) diffs.push(`${p.name}: size ${sizeOf(r)}, pahole ${p.size}`);
  compareMembers(r.members, p.members, 0, p.name, diffs);
  return diffs;
}

function compareMembers(ours: Member[], theirs: PaholeMember[], base: number, path: string, diffs: string[]): void {
  if (ours.length !== theirs.length) diffs.push(`${path}: ${ours.length} members, pahole ${theirs.length} (ours: ${ours.map((m) => m.name ?? '(anon)').join(' ')})`);
  for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
    const o = ours[i];
    const t = theirs[i];
    const label = `${path}.${t.name ?? `(anonymous #${i})`}`;
    if (o.name !== t.name) diffs.push(`${label}: member ${i} is named ${o.name ?? '(anonymous)'} here`);
    if (base + o.offset !== t.offset) diffs.push(`${label}: offset ${base + o.offset}, pahole ${t.offset}`);
    if (sizeOf(o.type) !== t.size) diffs.push(`${label}: size ${sizeOf(o.type)}, pahole ${t.size}`);
    if (o.bitSize !== t.bitSize || o.bitOffset !== t.bitOffset) diffs.push(`${label}: bitfield ${o.bitOffset}:${o.bitSize}, pahole ${t.bitOffset}:${t.bitSize}`);
    if (t.members) {
      let inner = resolve(o.type);
      while (inner.kind === 'array') inner = resolve(inner.element);
      if (inner.kind !== 'struct' && inner.kind !== 'union') diffs.push(`${label}: pahole expands an inline struct, ours is ${typeName(o.type)}`);
      else compareMembers(inner.members, t.members, base + o.offset, label, diffs);
    }
  }
}

/** `pahole -F dwarf -C NAME FILE` for an enum: its enumerators in order. */
export function paholeEnum(file: string, name: string): Map<string, bigint> {
  const out = execFileSync('pahole', ['-F', 'dwarf', '-C', name, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (!out.startsWith(`enum ${name} {`)) throw new Error(`pahole -C ${name} ${file}: not an enum: ${out.split('\n')[0]}`);
  const m = new Map<string, bigint>();
  for (const e of out.matchAll(/^\s+(\w+)\s*=\s*(-?\d+),?$/gm)) m.set(e[1], BigInt(e[2]));
  return m;
}

/**
 * The complete struct/union blocks of a file of pahole output (such as the fixtures' dwarf-structs.txt),
 * each with the "# ..." header line that precedes it. Blocks cut short in the file are left out.
 */
export function paholeBlocks(text: string): { header: string; layout: PaholeStruct }[] {
  const out: { header: string; layout: PaholeStruct }[] = [];
  let header = '';
  let block: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) {
      header = line;
      block = undefined;
    } else if (/^(struct|union) \S+ \{/.test(line)) block = [line];
    else if (block) {
      block.push(line);
      if (line.startsWith('}')) {
        out.push({ header, layout: parsePahole(block.join('\n')) });
        block = undefined;
      }
    }
  }
  return out;
}
