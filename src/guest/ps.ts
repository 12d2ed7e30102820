// The guest's tasks, like crash's `ps`: every thread of every process, with pid, parent, CPU, task, state, mm, comm.
import { hex } from '../io/hex.js';
import { type Kernel } from '../kernel/kernel.js';
import { type KObject } from '../kernel/object.js';
import { processes, threads } from '../kernel/tasks.js';

export interface GuestTask {
  pid: number;
  ppid?: number;
  cpu?: number;
  task: bigint;
  /** crash's two-letter state. */
  state: string;
  stateValue: bigint;
  mm: bigint;
  comm: string;
  /** A kernel thread (no mm): crash prints its comm in brackets. */
  kernelThread: boolean;
}

/** task->__state / exit_state values (include/linux/sched.h #defines) as crash's task_state_string() names them. */
const STATES: ReadonlyMap<bigint, string> = new Map([
  [0x0n, 'RU'],
  [0x1n, 'IN'],
  [0x2n, 'UN'],
  [0x4n, 'ST'],
  [0x8n, 'TR'],
  [0x10n, 'DE'],
  [0x20n, 'ZO'],
  [0x40n, 'PA'],
  [0x80n, 'DE'],
  [0x402n, 'ID'],
]);
/** Modifier bits that do not change crash's name: TASK_WAKEKILL, TASK_FREEZABLE, __TASK_FREEZABLE_UNSAFE (6.1). */
const MODIFIERS = 0x100n | 0x2000n | 0x4000n;
const EXIT_DEAD = 0x10n;
const EXIT_ZOMBIE = 0x20n;
const MAX_TASKS = 1 << 20;

export function stateName(state: bigint, exitState: bigint): string {
  if (exitState & EXIT_ZOMBIE) return 'ZO';
  if (exitState & EXIT_DEAD) return 'DE';
  return STATES.get(state) ?? STATES.get(state & ~MODIFIERS) ?? hex(state);
}

function row(t: KObject, pid: number, comm: string): GuestTask {
  const stateMember = t.has('__state') ? '__state' : 'state';
  const stateValue = t.member(stateMember).value();
  const exitState = t.has('exit_state') ? t.member('exit_state').value() : 0n;
  const mm = t.member('mm').value();
  let ppid: number | undefined;
  try {
    ppid = t.member('real_parent').deref().member('pid').num();
  } catch {
    ppid = undefined;
  }
  let cpu: number | undefined;
  if (t.has('cpu')) cpu = t.member('cpu').num();
  else if (t.has('thread_info.cpu')) cpu = t.member('thread_info.cpu').num();
  return { pid, ppid, cpu, task: t.addr, state: stateName(stateValue, exitState), stateValue, mm, comm, kernelThread: mm === 0n };
}

export function guestTasks(k: Kernel): GuestTask[] {
  const out: GuestTask[] = [];
  for (const p of processes(k)) {
    if (p.pid === 0) {
      out.push(row(p.task, p.pid, p.comm));
      continue;
    }
    for (const t of threads(k, p.task)) {
      out.push(row(t.task, t.pid, t.comm));
      if (out.length > MAX_TASKS) return out;
    }
  }
  return out.sort((a, b) => a.pid - b.pid);
}
