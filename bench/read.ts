// Dump read throughput: every present page of each dump through PhysicalMemory, against `cat` of the same
// file (the I/O bound), in one run. Medians of N; not a test.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { openDump } from '../src/dump/open.js';

const N = Number(process.env.BENCH_RUNS ?? 3);
const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-vtop-fixtures');
const files = [
  'fixtures/demo-6.1/vmcore.kdump-zlib',
  '../shared/fixtures/real-6.1/vmcore.kdump-zlib',
  '../shared/fixtures/real-6.1/vmcore.kdump-zlib.flat',
  '../shared/fixtures/real-6.1/vmcore.d31.kdump-lzo',
  join(cache, 'real-6.1-vmcore.elf'),
].filter(existsSync);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function readAll(path: string): { bytes: number; ms: number } {
  const t0 = performance.now();
  const m = openDump([path]);
  let bytes = 0;
  for (const r of m.ranges()) {
    for (let pa = r.start; pa < r.end; pa += 4096n) {
      const s = m.pageState(pa);
      if (s !== 'present' && s !== 'zero') continue;
      bytes += m.read(pa, 4096).length;
    }
  }
  m.close();
  return { bytes, ms: performance.now() - t0 };
}

function catMs(path: string): number {
  const t0 = performance.now();
  execFileSync('sh', ['-c', 'cat "$0" > /dev/null', path]);
  return performance.now() - t0;
}

console.log(`read throughput: every present page, ${N} runs, medians (file in the page cache)`);
console.log(`${'dump'.padEnd(34)} ${'file MB'.padStart(8)} ${'pages MB'.padStart(9)} ${'read ms'.padStart(8)} ${'MB/s'.padStart(7)} ${'cat ms'.padStart(7)} ${'cat MB/s'.padStart(9)} ${'ratio'.padStart(6)}`);
for (const f of files) {
  catMs(f); // warm the page cache
  const runs = Array.from({ length: N }, () => readAll(f));
  const ms = median(runs.map((r) => r.ms));
  const cat = median(Array.from({ length: N }, () => catMs(f)));
  const fileMb = statSync(f).size / 1e6;
  const pagesMb = runs[0].bytes / 1e6;
  console.log(
    `${f.split('/').pop()!.padEnd(34)} ${fileMb.toFixed(1).padStart(8)} ${pagesMb.toFixed(1).padStart(9)} ${ms.toFixed(0).padStart(8)} ${(pagesMb / (ms / 1000)).toFixed(0).padStart(7)} ${cat.toFixed(0).padStart(7)} ${(fileMb / (cat / 1000)).toFixed(0).padStart(9)} ${(ms / cat).toFixed(1).padStart(6)}`,
  );
}
console.log('MB/s counts decompressed page bytes for qemu-vtop and file bytes for cat; ratio = read ms / cat ms');
