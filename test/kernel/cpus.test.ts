// Online CPUs from the kernel's cpu_online_mask: the demo host ran with -smp 2 (fixture README) and its dump has
// two NT_PRSTATUS notes, one per CPU; the mask read through BTF types must say the same.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuList, onlineCpus } from '../../src/kernel/cpus.js';
import { openSession } from '../../src/vtop/session.js';

describe('online CPUs', () => {
  it('reads 2 online CPUs (0-1) from __cpu_online_mask of the demo dump, as its two prstatus notes say', () => {
    const s = openSession({ dump: ['fixtures/demo-6.1/vmcore.kdump-zlib'], types: 'btf' });
    try {
      const c = onlineCpus(s.kernel);
      assert.equal(c.count, s.mem.notes.filter((n) => n.name === 'CORE' && n.type === 1).length);
      assert.equal(c.count, 2);
      assert.equal(c.list, '0-1');
      assert.match(c.source, /__cpu_online_mask \(struct cpumask, \d+ bits\)/);
    } finally {
      s.close();
    }
  });
  it('prints CPU lists the way /sys/devices/system/cpu/online does', () => {
    assert.equal(cpuList([0]), '0');
    assert.equal(cpuList([0, 1, 2, 5, 6, 9]), '0-2,5-6,9');
  });
});
