// The live host: when /proc/kcore is used, why it cannot be, and which symbol/type source is chosen, on hosts
// described by a fake HostFs (the machine running the tests may have no /proc/kcore, and is not the host asked about).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HostFs, kallsymsHidden, liveDump, planLive, runningBuildId } from '../../src/vtop/live.js';
import { runCli } from '../helpers/cli.js';
import { noteBytes } from '../helpers/elfcore-writer.js';

const BID = '4409ab2b8a5a626c1ee41412e8e6189fb23ae77c';
const R = '6.1.0-53-cloud-amd64';

function host(files: Record<string, string | Buffer>, o: { uid?: number; openError?: string; buildIds?: Record<string, string> } = {}): HostFs {
  return {
    exists: (p) => p in files,
    read: (p) => (p in files ? Buffer.from(files[p]) : undefined),
    openError: (p) => (p in files ? o.openError : 'ENOENT'),
    uid: () => o.uid ?? 0,
    buildIdOf: (p) => o.buildIds?.[p],
  };
}

const notes = noteBytes([
  { name: 'Xen', type: 6, desc: Buffer.alloc(8) },
  { name: 'GNU', type: 3, desc: Buffer.from(BID, 'hex') },
]);
const KALLSYMS = 'ffffffff81000000 T _stext\nffffffff81000000 T _text\n';
const base = { '/proc/kcore': '', '/sys/kernel/notes': notes, '/proc/sys/kernel/osrelease': `${R}\n`, '/proc/kallsyms': KALLSYMS, '/sys/kernel/btf/vmlinux': 'x', '/sys/kernel/btf/kvm': 'x' };

describe('live host: /proc/kcore as the dump', () => {
  it('uses /proc/kcore as root when it opens', () => {
    assert.equal(liveDump(host(base)), '/proc/kcore');
  });
  it('says what to do with no kcore, as non-root, under lockdown, and when the open fails otherwise', () => {
    assert.throws(() => liveDump(host({})), (e: Error & { code?: string }) => e.code === 'NO_KCORE' && /CONFIG_PROC_KCORE/.test(e.message) && /give a dump file/.test(e.message));
    assert.throws(() => liveDump(host(base, { uid: 1000 })), (e: Error & { code?: string }) => e.code === 'NOT_ROOT' && /sudo/.test(e.message));
    const locked = { ...base, '/sys/kernel/security/lockdown': 'none integrity [confidentiality]\n' };
    assert.throws(() => liveDump(host(locked, { openError: 'EPERM' })), (e: Error & { code?: string }) => e.code === 'KCORE_LOCKED_DOWN' && /confidentiality/.test(e.message) && /lockdown=none/.test(e.message));
    assert.throws(() => liveDump(host(base, { openError: 'EIO' })), (e: Error & { code?: string }) => e.code === 'KCORE_UNREADABLE');
  });
  it('reads the running kernel\'s build-id from /sys/kernel/notes (after other notes)', () => {
    assert.equal(runningBuildId(host(base)), BID);
  });
  it('tells hidden kallsyms (kptr_restrict) from real ones', () => {
    assert.equal(kallsymsHidden('0000000000000000 T _stext\n0000000000000000 t foo\n'), true);
    assert.equal(kallsymsHidden(KALLSYMS), false);
  });
});

describe('live host: where symbols and types come from', () => {
  it('takes the debug files found by build-id first (vmlinux with a matching build-id, and kvm.ko)', () => {
    const dbg = `/usr/lib/debug/.build-id/${BID.slice(0, 2)}/${BID.slice(2)}.debug`;
    const boot = `/usr/lib/debug/boot/vmlinux-${R}`;
    const kvm = `/usr/lib/debug/lib/modules/${R}/kernel/arch/x86/kvm/kvm.ko`;
    // A stale vmlinux under .build-id (wrong id) is passed over for the matching one in /usr/lib/debug/boot.
    const p = planLive(host({ ...base, [dbg]: '', [boot]: '', [kvm]: '' }, { buildIds: { [dbg]: 'ff'.repeat(20), [boot]: BID } }), {});
    assert.equal(p.vmlinux, boot);
    assert.equal(p.kvmDebuginfo, kvm);
    assert.match(p.source, new RegExp(`debug files by build-id ${BID}`));
  });
  it('finds kvm.ko by the loaded module\'s build-id note (/sys/module/kvm/notes) under --debug-dir too', () => {
    const KVMBID = '1d3c8135fe27277c89422489ad30a29c32dd0aac';
    const vm = `/srv/dbg/.build-id/${BID.slice(0, 2)}/${BID.slice(2)}.debug`;
    const kvm = `/srv/dbg/.build-id/${KVMBID.slice(0, 2)}/${KVMBID.slice(2)}.debug`;
    const kvmNotes = noteBytes([{ name: 'GNU', type: 3, desc: Buffer.from(KVMBID, 'hex') }]);
    const p = planLive(host({ ...base, [vm]: '', [kvm]: '', '/sys/module/kvm/notes/.note.gnu.build-id': kvmNotes }, { buildIds: { [vm]: BID } }), { debugDirs: ['/srv/dbg'] });
    assert.deepEqual([p.vmlinux, p.kvmDebuginfo], [vm, kvm]);
  });
  it('then /proc/kallsyms + /sys/kernel/btf/{vmlinux,kvm}, saying why the debug files were passed over', () => {
    const p = planLive(host(base), {});
    assert.deepEqual([p.kallsyms, p.btf, p.btfKvm, p.vmlinux], ['/proc/kallsyms', '/sys/kernel/btf/vmlinux', '/sys/kernel/btf/kvm', undefined]);
    assert.match(p.skipped.join('\n'), new RegExp(`no vmlinux with build-id ${BID}`));
  });
  it('then kcore\'s own kallsyms and BTF: kallsyms hidden by kptr_restrict, or kvm\'s BTF missing', () => {
    const hidden = planLive(host({ ...base, '/proc/kallsyms': '0000000000000000 T _stext\n' }), {});
    assert.equal(hidden.kallsyms, undefined);
    assert.match(hidden.source, /read from \/proc\/kcore/);
    assert.match(hidden.skipped.join('\n'), /kptr_restrict/);
    const { ['/sys/kernel/btf/kvm']: _, ...noKvm } = base;
    const p = planLive(host(noKvm), {});
    assert.equal(p.btf, undefined);
    assert.match(p.skipped.join('\n'), /btf\/kvm: missing/);
  });
  it('keeps what the user gave, but refuses a kallsyms file whose addresses kptr_restrict zeroed', () => {
    assert.equal(planLive(host(base), { vmlinux: '/x/vmlinux' }).source, 'given');
    const h = host({ ...base, '/proc/kallsyms': '0000000000000000 T _stext\n', '/proc/sys/kernel/kptr_restrict': '2\n' });
    assert.throws(() => planLive(h, { kallsyms: '/proc/kallsyms' }), (e: Error & { code?: string }) => e.code === 'KALLSYMS_HIDDEN' && /kptr_restrict=2/.test(e.message));
  });
});

describe('live host: the CLI with no dump', () => {
  it('reads /proc/kcore when no dump is named, or says why it cannot (this machine: exit 2 with a reason)', () => {
    const r = runCli(['-g', '1', '-p', '0x1000', '--json']);
    // Whatever this test machine is, the answer names /proc/kcore: absent, not root, locked down, or used.
    assert.match(r.stderr, /\/proc\/kcore/);
    if (r.status === 2) assert.match(r.json().error.code, /^(NO_KCORE|NOT_ROOT|KCORE_LOCKED_DOWN|KCORE_UNREADABLE|NO_SUCH_PID|NO_VM)/);
  });
});
