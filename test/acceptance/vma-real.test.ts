// Acceptance for the VMA layer on the real 6.1 dump: the maple tree walk of each VMM's mm lists exactly the
// VMAs crash's `vm PID` printed (address, range, flags, file path), in order; the one-path lookup agrees.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findTask } from '../../src/kernel/tasks.js';
import { findVma, vmaFilePath, vmaLayout, vmas } from '../../src/kernel/vma.js';
import { vmaLine } from '../../src/vtop/render-text.js';
import { openSession, type Session } from '../../src/vtop/session.js';
import { crashCommands } from '../helpers/crash-transcript.js';
import { debianDebuginfo } from '../helpers/debuginfo.js';
import { realElfDump, realFile, realTruth } from '../helpers/real-fixture.js';

const truth = realTruth();
let s: Session;
before(async () => {
  const di = await debianDebuginfo();
  s = openSession({ dump: [await realElfDump()], vmlinux: di.vmlinux, kvmDebuginfo: di.kvmKo });
});
after(() => s?.close());

function crashVmLines(pid: number): string[] {
  const vm = crashCommands(realFile('crash-elf.txt')).find((c) => c.cmd === `vm ${pid}`)!;
  return vm.output.filter((l) => /^[0-9a-f]{16} +[0-9a-f]+ +[0-9a-f]+ +[0-9a-f]+ /.test(l));
}

describe('real-6.1: VMAs from the maple tree equal crash `vm PID`', () => {
  for (const pid of [truth.vmm.pid, truth.qemu.pid]) {
    it(`pid ${pid}: every VMA, in order, with crash's FILE paths`, () => {
      const k = s.kernel;
      const mm = findTask(k, BigInt(pid)).task.member('mm').deref();
      assert.equal(vmaLayout(mm), 'maple');
      const want = crashVmLines(pid);
      assert.ok(want.length > 10);
      const got = [...vmas(k, mm)].map((v) => vmaLine({ ...v, file: vmaFilePath(k, v) }));
      assert.deepEqual(got, want);
      assert.equal(got.length, mm.member('map_count').num(), 'as many VMAs as mm->map_count');
    });
    it(`pid ${pid}: findVma (one maple path) returns the VMA for its first and last byte and nothing in gaps`, () => {
      const k = s.kernel;
      const mm = findTask(k, BigInt(pid)).task.member('mm').deref();
      const all = [...vmas(k, mm)];
      for (const [i, v] of all.entries()) {
        assert.equal(findVma(k, mm, v.start)?.addr, v.addr);
        assert.equal(findVma(k, mm, v.end - 1n)?.addr, v.addr);
        const next = all[i + 1];
        if (next && next.start > v.end) assert.equal(findVma(k, mm, v.end), undefined, `gap after ${v.end.toString(16)}`);
      }
      assert.equal(findVma(k, mm, 0n), undefined);
    });
  }
});
