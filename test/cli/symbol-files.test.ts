// No vmlinux, but symbol and type files a user may have: a System.map (nm -n of the vmlinux, which is
// what the kernel build writes), a /proc/kallsyms capture (the same with KASLR applied), and raw BTF
// saved from /sys/kernel/btf/{vmlinux,kvm} (the .BTF sections of vmlinux and kvm.ko).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { debianDebuginfo } from '../helpers/debuginfo.js';

const DEMO = 'fixtures/demo-6.1/vmcore.kdump-zlib';
const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const dir = mkdtempSync(join(tmpdir(), 'qv-symfiles-'));
const files = { systemMap: join(dir, 'System.map'), kallsyms: join(dir, 'kallsyms'), btf: join(dir, 'vmlinux.btf'), btfKvm: join(dir, 'kvm.btf') };
const marker = truth.markers[0];

before(async () => {
  const di = await debianDebuginfo();
  const nm = execFileSync('nm', ['-n', di.vmlinux], { encoding: 'latin1', maxBuffer: 256 << 20 });
  writeFileSync(files.systemMap, nm);
  const kaslr = BigInt(truth.kernel.kaslr_offset);
  writeFileSync(files.kallsyms, nm.split('\n').map((l) => l.replace(/^([0-9a-f]{16})/, (a) => BigInt.asUintN(64, BigInt('0x' + a) + kaslr).toString(16).padStart(16, '0'))).join('\n'));
  execFileSync('objcopy', ['--only-section=.BTF', '--dump-section', `.BTF=${files.btf}`, di.vmlinux, join(dir, 'scratch1')]);
  execFileSync('objcopy', ['--only-section=.BTF', '--dump-section', `.BTF=${files.btfKvm}`, di.kvmKo, join(dir, 'scratch2')]);
});

describe('symbol and BTF files instead of the dump’s own', () => {
  for (const [label, args] of [
    ['System.map', () => ['--system-map', files.systemMap]],
    ['a kallsyms capture', () => ['--kallsyms', files.kallsyms]],
    ['BTF files', () => ['--btf', files.btf, '--btf-kvm', files.btfKvm]],
  ] as const) {
    it(`${label}: the marker translates`, () => {
      const r = runCli([DEMO, ...args(), '-g', String(truth.vmm.pid), '-p', marker.gpa, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const [t] = r.json();
      assert.deepEqual([t.hva, t.hpa], ['0x' + BigInt(marker.hva).toString(16), '0x' + BigInt(marker.hpa).toString(16)]);
    });
  }
  it('a file that is not a symbol table is refused with its name', () => {
    const r = runCli([DEMO, '--system-map', files.btf, '-g', String(truth.vmm.pid), '-p', marker.gpa]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not a System\.map or kallsyms file/);
  });
});
