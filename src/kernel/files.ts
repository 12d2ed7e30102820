// Open files of a task: task->files->fdt->fd[].
import { type Kernel } from './kernel.js';
import { type KObject } from './object.js';

export interface OpenFile {
  fd: number;
  file: KObject;
  /** f_path.dentry->d_name: for anonymous inodes the name given to anon_inode_getfile ("kvm-vm"). */
  dentryName: string;
  fop: bigint;
  privateData: bigint;
}

const MAX_FDS = 1 << 20; // sysctl fs.nr_open's maximum: a larger max_fds is corruption

export function* openFiles(k: Kernel, task: KObject): Generator<OpenFile> {
  const filesPtr = task.member('files');
  if (filesPtr.value() === 0n) return; // exiting task or kernel thread
  const fdt = filesPtr.deref().member('fdt').deref();
  const max = Math.min(Number(fdt.member('max_fds').value()), MAX_FDS);
  const fdArray = fdt.member('fd');
  const base = fdArray.value();
  const raw = k.read(base, max * 8);
  for (let fd = 0; fd < max; fd++) {
    const p = raw.readBigUInt64LE(fd * 8);
    if (p === 0n) continue;
    const file = k.obj('file', p, `fd ${fd}`);
    const fop = file.member('f_op').value();
    const privateData = file.member('private_data').value();
    let name: string | undefined;
    // Read when asked: finding a VM by f_op needs no dentry (nor struct dentry's layout) of any file.
    yield {
      fd,
      file,
      get dentryName() {
        return (name ??= dentryName(file));
      },
      fop,
      privateData,
    };
  }
}

function dentryName(file: KObject): string {
  try {
    const d = file.member('f_path.dentry');
    if (d.value() === 0n) return '';
    return d.deref().member('d_name.name').string(256);
  } catch {
    return '';
  }
}
