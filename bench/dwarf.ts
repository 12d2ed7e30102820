// `node dist/bench/dwarf.js [N]`: the DWARF reader alone on the real Debian 6.1 debug files. Each run is
// a fresh process that opens vmlinux and kvm.ko and looks up the types the tool needs (members and
// their types included); cold runs start with an empty index cache, warm runs with a filled one.
// Prints medians of N runs side by side. Not a test: nothing here asserts a time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDwarf } from '../src/debuginfo/dwarf/index.js';
import { sizeOf } from '../src/debuginfo/types.js';
import { ElfFile } from '../src/elf/elf.js';
import { FileSource } from '../src/io/source.js';

const VMLINUX_TYPES = ['task_struct', 'file', 'files_struct', 'fdtable', 'mm_struct', 'maple_tree', 'vm_area_struct', 'list_head', 'module', 'page'];
const KVM_TYPES = ['kvm', 'kvm_memslots', 'kvm_memory_slot', 'kvm_vcpu', 'kvm_run'];

interface RunResult {
  vmlinuxIndexMs: number;
  kvmIndexMs: number;
  lookupMs: number;
  insideMs: number;
  wallMs: number;
  maxRssKiB: number;
  sources: string;
}

/** One measured run, in this process (the child side). */
function child(vmlinux: string, kvmKo: string, cache: boolean): void {
  const t0 = performance.now();
  const v = openDwarf(new ElfFile(new FileSource(vmlinux)), { cache });
  const k = openDwarf(new ElfFile(new FileSource(kvmKo)), { cache, completeFrom: v });
  void v.index;
  const t1 = performance.now();
  void k.index;
  const t2 = performance.now();
  let members = 0;
  for (const [src, names] of [[v, VMLINUX_TYPES], [k, KVM_TYPES]] as const) {
    for (const n of names) {
      const t = src.findType(n, 'struct');
      if (!t || t.kind !== 'struct') throw new Error(`struct ${n} not found`);
      for (const m of t.members) members += sizeOf(m.type) >= 0 ? 1 : 0; // decodes each member's type
    }
  }
  const t3 = performance.now();
  if (members < 300) throw new Error(`only ${members} members`);
  const out = { vmlinuxIndexMs: t1 - t0, kvmIndexMs: t2 - t1, lookupMs: t3 - t2, insideMs: t3 - t0, sources: `${v.indexInfo?.source}/${k.indexInfo?.source}`, maxRssKiB: process.resourceUsage().maxRSS };
  process.stdout.write(JSON.stringify(out));
}

function runOnce(vmlinux: string, kvmKo: string, xdg: string, fresh: boolean): RunResult {
  if (fresh) rmSync(join(xdg, 'qemu-vtop'), { recursive: true, force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', vmlinux, kvmKo], { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: xdg } });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { ...JSON.parse(r.stdout), wallMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1], argv[2], process.env.QV_BENCH_NO_CACHE !== '1');
  const N = Number(argv[0] ?? process.env.BENCH_RUNS ?? 5);
  const dbg = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'qemu-vtop-fixtures/linux-image-6.1.0-53-cloud-amd64-dbg_6.1.187-1/usr/lib/debug');
  const vmlinux = join(dbg, 'boot/vmlinux-6.1.0-53-cloud-amd64');
  const kvmKo = join(dbg, 'lib/modules/6.1.0-53-cloud-amd64/kernel/arch/x86/kvm/kvm.ko');
  if (!existsSync(vmlinux) || !existsSync(kvmKo)) {
    console.error(`bench/dwarf: debug files missing under ${dbg}: run the tests once (they download linux-image-6.1.0-53-cloud-amd64-dbg=6.1.187-1)`);
    process.exit(1);
  }
  const xdg = mkdtempSync(join(tmpdir(), 'qv-bench-dwarf-'));
  try {
    const cold = Array.from({ length: N }, () => runOnce(vmlinux, kvmKo, xdg, true));
    runOnce(vmlinux, kvmKo, xdg, false); // make sure the cache is filled
    const warm = Array.from({ length: N }, () => runOnce(vmlinux, kvmKo, xdg, false));
    console.log(`DWARF reader: vmlinux + kvm.ko, ${VMLINUX_TYPES.length + KVM_TYPES.length} structs with their members' types; medians of ${N} runs`);
    console.log(`index sources: cold ${cold[0].sources}, warm ${warm[0].sources}`);
    const rows: [string, (r: RunResult) => number, string][] = [
      ['vmlinux index (scan or cache load)', (r) => r.vmlinuxIndexMs, 'ms'],
      ['kvm.ko index (relocation + scan or load)', (r) => r.kvmIndexMs, 'ms'],
      ['15 struct lookups + member types', (r) => r.lookupMs, 'ms'],
      ['total inside the process', (r) => r.insideMs, 'ms'],
      ['process wall time (node start included)', (r) => r.wallMs, 'ms'],
      ['peak RSS', (r) => r.maxRssKiB / 1024, 'MiB'],
    ];
    console.log(`${''.padEnd(42)} ${'cold'.padStart(9)} ${'warm'.padStart(9)}`);
    for (const [name, f, unit] of rows) console.log(`${name.padEnd(42)} ${median(cold.map(f)).toFixed(0).padStart(9)} ${median(warm.map(f)).toFixed(0).padStart(9)}  ${unit}`);
    console.log('reference: crash 8.0.6 takes 5.7 s to load this vmlinux');
  } finally {
    rmSync(xdg, { recursive: true, force: true });
  }
}

main();
