// Bounded walks over the kernel's linked structures. Dumps can hold corrupt or cyclic lists and trees:
// every walk has a limit and stops with an error that names the structure and its address.
import { findMember } from '../debuginfo/types.js';
import { QvError, walkCycle, walkLimit } from '../io/errors.js';
import { type Kernel } from './kernel.js';

export const DEFAULT_LIMIT = 1_000_000;

/** Addresses of the list_head nodes of a circular list, excluding the head itself. */
export function* listNodes(k: Kernel, head: bigint, what: string, limit = DEFAULT_LIMIT): Generator<bigint> {
  const next = memberOffset(k, 'list_head', 'next');
  let cur = k.u64(head + next);
  let n = 0;
  // Brent's cycle detection (constant memory): a loop that never comes back to the head is caught within
  // about twice its length, instead of running to `limit` (and, nested in another walk, to limit squared).
  let mark = cur;
  let power = 1;
  let steps = 0;
  while (cur !== head) {
    if (cur === 0n) return; // a list being torn down; stop rather than read address 0
    if (++n > limit) throw walkLimit(what, head, limit);
    yield cur;
    cur = k.u64(cur + next);
    if (cur === mark && cur !== head) throw walkCycle(what, head, cur);
    if (++steps === power) {
      mark = cur;
      power *= 2;
      steps = 0;
    }
  }
}

/** In-order traversal (smallest key first) of an rb-tree given the address of its root rb_node. */
export function* rbInorder(k: Kernel, root: bigint, what: string, limit = DEFAULT_LIMIT): Generator<bigint> {
  const left = memberOffset(k, 'rb_node', 'rb_left');
  const right = memberOffset(k, 'rb_node', 'rb_right');
  const stack: bigint[] = [];
  const seen = new Set<bigint>(); // a tree has no shared nodes: one seen twice is a cycle
  let cur = root;
  let n = 0;
  while (cur !== 0n || stack.length) {
    while (cur !== 0n) {
      if (stack.length > 128) throw walkLimit(`${what} (rb-tree deeper than 128)`, root, 128);
      if (seen.has(cur)) throw walkCycle(what, root, cur);
      seen.add(cur);
      stack.push(cur);
      cur = k.u64(cur + left);
    }
    const node = stack.pop()!;
    if (++n > limit) throw walkLimit(what, root, limit);
    yield node;
    cur = k.u64(node + right);
  }
}

/** Byte offset of a member, for walkers that only need raw pointer arithmetic. */
export function memberOffset(k: Kernel, struct: string, member: string): bigint {
  const m = findMember(k.structType(struct), member);
  if (!m) throw new QvError('NO_MEMBER', `struct ${struct} has no member ${member} in this kernel's debug info`, { structure: struct, member });
  return BigInt(m.offset);
}
