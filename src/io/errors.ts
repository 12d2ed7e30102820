// Errors a user can act on: each carries a stable code (used in --json) and says what, where and what to do.
export class QvError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'QvError';
  }
}

/** A walk over a list/tree in the dump exceeded its bound: the structure is corrupt or cyclic. */
export function walkLimit(structure: string, addr: bigint, limit: number): QvError {
  return new QvError(
    'WALK_LIMIT',
    `${structure} at 0x${addr.toString(16)}: more than ${limit} entries; the structure is corrupt or cyclic in this dump`,
    { structure, addr: '0x' + addr.toString(16), limit },
  );
}

/**
 * A walk came back to a node it had already visited (a list that loops without returning to its head, a tree
 * node that is its own descendant): the structure is corrupt, and walking on would only repeat it.
 */
export function walkCycle(structure: string, addr: bigint, node: bigint): QvError {
  return new QvError(
    'WALK_CYCLE',
    `${structure} at 0x${addr.toString(16)}: node 0x${node.toString(16)} is reached twice; the structure is corrupt (cyclic) in this dump`,
    { structure, addr: '0x' + addr.toString(16), node: '0x' + node.toString(16) },
  );
}
