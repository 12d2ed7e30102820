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
