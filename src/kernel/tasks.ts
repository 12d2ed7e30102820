// Tasks (processes and threads) from init_task's lists.
import { hex } from '../io/hex.js';
import { QvError } from '../io/errors.js';
import { type Kernel } from './kernel.js';
import { type KObject } from './object.js';
import { listNodes, memberOffset } from './walkers.js';

export interface Task {
  task: KObject;
  addr: bigint;
  pid: number;
  tgid: number;
  comm: string;
}

function describe(task: KObject): Task {
  return { task, addr: task.addr, pid: task.member('pid').num(), tgid: task.member('tgid').num(), comm: task.member('comm').string(16) };
}

/** Thread-group leaders, in the order of the init_task.tasks list (what `ps` lists first). */
export function* processes(k: Kernel): Generator<Task> {
  const init = k.obj('task_struct', k.symbol('init_task'), 'init_task');
  const off = memberOffset(k, 'task_struct', 'tasks');
  yield describe(init);
  for (const node of listNodes(k, init.member('tasks').addr, 'init_task.tasks')) {
    yield describe(k.obj('task_struct', node - off));
  }
}

/** Every thread of a process (the leader included). */
export function* threads(k: Kernel, leader: KObject): Generator<Task> {
  // 6.1 links threads through signal->thread_head/thread_node; older kernels through thread_group.
  if (leader.has('thread_node') && leader.member('signal').deref().has('thread_head')) {
    const head = leader.member('signal').deref().member('thread_head').addr;
    const off = memberOffset(k, 'task_struct', 'thread_node');
    for (const node of listNodes(k, head, 'signal->thread_head')) yield describe(k.obj('task_struct', node - off));
    return;
  }
  yield describe(leader);
  const off = memberOffset(k, 'task_struct', 'thread_group');
  for (const node of listNodes(k, leader.member('thread_group').addr, 'task_struct.thread_group')) {
    yield describe(k.obj('task_struct', node - off));
  }
}

/** Finds a task by pid (a thread's pid finds its thread) or by task_struct address. */
export function findTask(k: Kernel, pidOrAddr: bigint): Task {
  if (pidOrAddr > 0xffff000000000000n) return describe(k.obj('task_struct', pidOrAddr));
  const pid = Number(pidOrAddr);
  for (const p of processes(k)) {
    if (p.pid === pid) return p;
    for (const t of threads(k, p.task)) if (t.pid === pid) return t;
  }
  throw new QvError('NO_SUCH_PID', `no task with pid ${pid} in this dump`, { pid });
}

export function taskLabel(t: Task): string {
  return `pid ${t.pid} (${t.comm}, task ${hex(t.addr)})`;
}
