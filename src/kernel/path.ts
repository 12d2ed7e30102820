// A file's path as crash prints it (filesys.c get_pathname with full = 1): the dentry's d_name, then each
// d_parent's, and at a mount's root dentry the mountpoint in the parent mount, until the root of the mount
// tree. Anonymous files (anon_inode "kvm-vm", "kvm-vcpu:0", memfd "memfd:name") have a dentry that is its own
// parent on an internal mount whose parent is itself, so they print as the bare name, as crash shows them.
import { type Kernel } from './kernel.js';
import { cstringAt, type KObject } from './object.js';

const MAX_COMPONENTS = 256;
const MAX_PATH = 4096;

/** Path of a struct file (f_path.dentry, f_path.mnt), or '' when the file has no dentry. */
export function filePath(k: Kernel, file: KObject): string {
  const dentry = file.member('f_path.dentry').value();
  if (dentry === 0n) return '';
  const mnt = file.member('f_path.mnt').value();
  return dentryPath(k, dentry, mnt);
}

/** d_name of one dentry, or undefined when crash would stop (length 0, NULL name, unreadable). */
function component(k: Kernel, d: KObject): string | undefined {
  const len = d.member('d_name.len').num();
  if (!len) return undefined;
  const name = d.member('d_name.name').value();
  if (name === 0n) return undefined;
  const s = cstringAt(k, name, Math.min(len + 1, MAX_PATH));
  return s.length === len ? s : undefined;
}

export function dentryPath(k: Kernel, dentry: bigint, vfsmnt: bigint): string {
  const hasMount = k.hasStruct('mount');
  const mountOff = hasMount ? BigInt(k.obj('mount', 0n).member('mnt').addr) : 0n;
  let path = '';
  let parent = dentry;
  let mnt = vfsmnt;
  for (let n = 0; n < MAX_COMPONENTS; n++) {
    const cur = parent;
    const d = k.obj('dentry', cur);
    const name = component(k, d);
    if (name === undefined) break;
    if (cur !== dentry) {
      if (path.length + name.length < MAX_PATH) path = (name.length > 1 || name !== '/') && !path.startsWith('/') ? `${name}/${path}` : `${name}${path}`;
    } else path = name;
    parent = d.member('d_parent').value();
    if (cur === parent && mnt !== 0n) {
      // The root of a mount: continue at the mountpoint in the parent mount (crash: "//" -> "/").
      if (path.startsWith('//')) path = path.slice(1);
      if (hasMount) {
        const m = k.obj('mount', mnt - mountOff);
        parent = m.member('mnt_mountpoint').value();
        const mntParent = m.member('mnt_parent').value();
        if (mnt - mountOff === mntParent) break;
        mnt = mntParent + mountOff;
      } else {
        const v = k.obj('vfsmount', mnt);
        if (!v.has('mnt_mountpoint')) break;
        parent = v.member('mnt_mountpoint').value();
        const mntParent = v.member('mnt_parent').value();
        if (mnt === mntParent) break;
        mnt = mntParent;
      }
    }
    if (cur === parent || parent === 0n) break;
  }
  return path;
}
