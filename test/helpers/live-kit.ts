// Runs the live-host kit (test/live/run-live.sh: the Debian 6.1 kernel under QEMU TCG with nested KVM, the fixture
// VMM and qemu-vtop inside, reading that kernel's own /proc/kcore) and parses its serial log. Independent of
// src/: truth is what the VMM printed (its pointers and /proc/self/pagemap) and what L1's /proc/iomem said.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fixtureCache } from './debuginfo.js';

const KIT = resolve('test/live');
const KPKG = 'linux-image-6.1.0-53-cloud-amd64';
const KVER = '6.1.187-1';

/** The unpacked kernel package L1 boots (apt-get download once into the fixture cache). */
export function kernelImage(): string {
  const dir = join(fixtureCache(), `${KPKG}_${KVER}`);
  if (existsSync(join(dir, 'boot'))) return dir;
  const tmp = mkdtempSync(join(fixtureCache(), 'kimg-'));
  execFileSync('apt-get', ['download', `${KPKG}=${KVER}`], { cwd: tmp, stdio: 'pipe' });
  execFileSync('dpkg', ['-x', join(tmp, `${KPKG}_${KVER}_amd64.deb`), join(tmp, 'root')], { stdio: 'pipe' });
  renameSync(join(tmp, 'root'), dir);
  rmSync(tmp, { recursive: true, force: true });
  return dir;
}

export interface KitRun {
  serial: string;
  log: string;
  work: string;
}

/** One bounded kit run: L1 is killed after `l1Timeout` seconds, the whole script after that plus its build. */
export function runKit(name: string, env: Record<string, string>, l1Timeout = 1800): KitRun {
  for (const tool of ['qemu-system-x86_64', 'gcc', 'cpio', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`the live kit needs ${tool} (scripts/ensure-deps.sh installs it)`);
  }
  if (!existsSync('/bin/busybox')) throw new Error('the live kit needs /bin/busybox (busybox-static; scripts/ensure-deps.sh installs it)');
  const work = join(process.env.QEMU_VTOP_LIVE_WORK ?? tmpdir(), `qv-live-${name}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const r = spawnSync('bash', [join(KIT, 'run-live.sh'), join(KIT, 'live.conf'), join(work, 'out')], {
    encoding: 'utf8',
    env: { ...process.env, QVTOP_DIR: resolve('.'), WORK: join(work, 'w'), KIMG: kernelImage(), L1_TIMEOUT: String(l1Timeout), ...env },
    timeout: (l1Timeout + 900) * 1000,
    maxBuffer: 64 << 20,
  });
  const log = `${r.stdout}\n${r.stderr}`;
  const serialPath = join(work, 'w', 'serial.log');
  if (r.status !== 0 || !existsSync(serialPath)) throw new Error(`run-live.sh (${name}) failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${log.slice(-4000)}`);
  return { serial: readFileSync(serialPath).toString('utf8').replace(/\r/g, ''), log, work };
}

export interface Truth {
  as: number;
  gpa: bigint;
  hva: bigint;
  hpa: bigint;
}

export interface LiveRun {
  name: string;
  cmd: string;
  rc: number;
  secs: number;
  out: string;
  err: string;
}

export interface Serial {
  marks: Truth[];
  untouched: Truth[];
  runs: Map<string, LiveRun>;
  cpusOnline?: string;
  /** System RAM lines of L1's /proc/iomem: [start, end] inclusive. */
  iomemRam: [bigint, bigint][];
  done: boolean;
  vmmAliveAfter: boolean;
}

export function parseSerial(text: string): Serial {
  const lines = text.split('\n');
  const marks: Truth[] = [];
  const untouched: Truth[] = [];
  const iomemRam: [bigint, bigint][] = [];
  let cpusOnline: string | undefined;
  for (const l of lines) {
    const m = /^QVTOP (mark|untouched) slot=\d+ as_id=(\d+) gpa=(0x[0-9a-f]+) hva=(0x[0-9a-f]+) present=(\d) pfn=(0x[0-9a-f]+)/.exec(l);
    if (m) (m[1] === 'mark' ? marks : untouched).push({ as: Number(m[2]), gpa: BigInt(m[3]), hva: BigInt(m[4]), hpa: BigInt(m[6]) << 12n });
    const io = /^QVTOP iomem ([0-9a-f]+)-([0-9a-f]+) : System RAM$/.exec(l);
    if (io) iomemRam.push([BigInt('0x' + io[1]), BigInt('0x' + io[2])]);
    const c = /^QVTOP cpus online=(\S+)/.exec(l);
    if (c) cpusOnline = c[1];
  }
  const runs = new Map<string, LiveRun>();
  let cur: (LiveRun & { part?: 'out' | 'err'; o: string[]; e: string[] }) | undefined;
  for (const l of lines) {
    const b = /^QVTOP-LIVE-BEGIN (\S+) cmd=(.*)$/.exec(l);
    if (b) {
      cur = { name: b[1], cmd: b[2], rc: -1, secs: 0, out: '', err: '', o: [], e: [] };
      continue;
    }
    if (!cur) continue;
    if (l === `QVTOP-LIVE-STDOUT ${cur.name}`) cur.part = 'out';
    else if (l === `QVTOP-LIVE-STDERR ${cur.name}`) cur.part = 'err';
    else {
      const e = /^QVTOP-LIVE-END (\S+) rc=(\d+) secs=([0-9.]+)/.exec(l);
      if (e && e[1] === cur.name) {
        runs.set(cur.name, { name: cur.name, cmd: cur.cmd, rc: Number(e[2]), secs: Number(e[3]), out: cur.o.join('\n'), err: cur.e.join('\n') });
        cur = undefined;
      } else if (cur.part) (cur.part === 'out' ? cur.o : cur.e).push(l);
    }
  }
  return { marks, untouched, runs, cpusOnline, iomemRam, done: lines.some((l) => l.startsWith('QVTOP LIVE-DONE')), vmmAliveAfter: lines.some((l) => l.startsWith('QVTOP vmm_alive_after')) };
}
