// `qemu-vtop info` on the demo dump: facts from the fixture's README/truth.json (made with crash).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));

describe('info', () => {
  it('summarizes the demo dump with no debug files, naming the type sources it would use', () => {
    const r = runCli(['info', 'fixtures/demo-6.1/vmcore.kdump-zlib', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = r.json();
    assert.equal(s.format, 'kdump-compressed');
    assert.equal(s.compression, 'zlib');
    assert.equal(s.dumpLevel, 23);
    assert.equal(s.osrelease, truth.kernel.release);
    assert.equal(s.buildId, truth.vmlinux_build_id);
    assert.equal(s.kernelOffset, truth.kernel.kaslr_offset);
    assert.equal(s.physBase, truth.kernel.layout.phys_base);
    assert.equal(s.cpus, truth.kernel.cpus);
    assert.equal(s.pagingLevels, 4);
    assert.equal(s.details.dumpedPages, 13430);
    const kvmBtf = truth.kernel_data_checks.module_btf.find((m: { module: string }) => m.module === 'kvm');
    assert.match(s.types, new RegExp(`BTF of module kvm in the dump \\(struct btf ${kvmBtf.btf}\\)`));
    const btf = truth.kernel_data_checks.symbols.find((x: { symbol: string }) => x.symbol === '__start_BTF');
    assert.match(s.types, new RegExp(`BTF in the dump \\(${btf.addr}-`));
  });
  it('prints a readable table', () => {
    const r = runCli(['info', 'fixtures/demo-6.1/vmcore.kdump-zlib']);
    assert.match(r.stdout, /^format:\s+kdump-compressed$/m);
    assert.match(r.stdout, /^release:\s+6\.1\.0-53-cloud-amd64$/m);
  });
});
