// A host dump with chosen pages left out: every page of SRC copied into a new kdump-compressed file (through the
// tool's streaming writer), except the pages of `drop`, which stay in the RAM bitmap but are not dumped, as
// makedumpfile -d leaves pages out. For tests of "a page the host dump lacks is never written as zeros".
import { openDump } from '../../src/dump/open.js';
import { KdumpWriter, PfnBitmap } from '../../src/dump/write-kdump.js';
import { encodeNotes } from '../../src/elf/write-core.js';
import { openOutput } from '../../src/io/sink.js';

export function deriveKdump(src: string, out: string, drop: bigint[]): void {
  const mem = openDump([src]);
  try {
    const ranges = mem.ranges();
    const maxPfn = ranges.reduce((m, r) => (r.end > m ? r.end : m), 0n) >> 12n;
    const ram = new PfnBitmap(maxPfn);
    const dumped = new PfnBitmap(maxPfn);
    const dropped = new Set(drop.map((h) => h >> 12n));
    let hasZero = false;
    for (const r of ranges) {
      for (let pfn = r.start >> 12n; pfn < r.end >> 12n; pfn++) {
        ram.set(pfn);
        const st = mem.pageState(pfn << 12n);
        if ((st === 'present' || st === 'zero') && !dropped.has(pfn)) {
          dumped.set(pfn);
          if (st === 'zero') hasZero = true;
        }
      }
    }
    const o = openOutput(out, { force: true, needSeek: true });
    const w = new KdumpWriter(o.sink, {
      release: String(mem.info.release ?? 'unknown'),
      version: '#1',
      nrCpus: mem.info.cpus ?? 1,
      timestamp: new Date(0),
      physBase: mem.physBase ?? 0n,
      vmcoreinfo: Buffer.from(mem.vmcoreinfo ?? '', 'latin1'),
      notes: encodeNotes(mem.notes),
      maxPfn,
      ram,
      dumped,
    });
    w.writeHeaders(hasZero);
    for (let pfn = 0n; pfn < maxPfn; pfn++) {
      if (!dumped.has(pfn)) continue;
      w.page(pfn, mem.pageState(pfn << 12n) === 'zero' ? 'zero' : mem.read(pfn << 12n, 4096));
    }
    w.finish();
    o.commit();
  } finally {
    mem.close();
  }
}
