// snappyjs ships no types: the two functions we use, raw snappy blocks (no framing).
declare module 'snappyjs' {
  export function uncompress(input: Uint8Array | ArrayBuffer | Buffer, maxLength?: number): Uint8Array;
  export function compress(input: Uint8Array | ArrayBuffer | Buffer): Uint8Array;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
}
