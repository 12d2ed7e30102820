// Online CPUs as the kernel counts them. A dump's NT_PRSTATUS notes are one per CPU for kdump, but /proc/kcore
// writes exactly one whatever the CPU count, so on a live host only the kernel's own cpu_online_mask tells.
import { sizeOf } from '../debuginfo/types.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from './kernel.js';

export interface OnlineCpus {
  count: number;
  /** The online CPU numbers as the kernel prints them in /sys/devices/system/cpu/online ("0-1,4"). */
  list: string;
  /** Which kernel variable answered. */
  source: string;
}

/** Where the online mask lives, newest first: a struct cpumask since 4.5, before that a bitmap array. */
const MASK_SYMBOLS = ['__cpu_online_mask', 'cpu_online_bits'] as const;

export function onlineCpus(k: Kernel): OnlineCpus {
  const maskSize = sizeOf(k.structType('cpumask')); // NR_CPUS bits, rounded up to longs: the read's bound
  for (const sym of MASK_SYMBOLS) {
    const addr = k.symbolOrUndefined(sym);
    if (addr === undefined) continue;
    const bits = k.read(addr, maskSize);
    const cpus: number[] = [];
    for (let i = 0; i < bits.length; i++) for (let b = 0; b < 8; b++) if (bits[i] & (1 << b)) cpus.push(i * 8 + b);
    if (!cpus.length) continue; // never empty on a running kernel: CPU 0 at least; a zero page is not an answer
    return { count: cpus.length, list: cpuList(cpus), source: `${sym} (struct cpumask, ${maskSize * 8} bits)` };
  }
  throw new QvError('NO_CPU_MASK', `none of ${MASK_SYMBOLS.join(', ')} is in the kernel's symbols (or the mask reads empty): the online CPU count is unknown`);
}

/** 0,1,2,5,6 -> "0-2,5-6". */
export function cpuList(cpus: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    out.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return out.join(',');
}
