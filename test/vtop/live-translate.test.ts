// Live memory changes while it is read: the memslots generation is read again after a translation, the
// translation is retried once when it changed, and a second change is said as MEMSLOTS_CHANGED (never a loop).
// The demo dump stands in for the live host (its info.live set); the memslot reload is where the change is
// injected. Truth: fixtures/demo-6.1/truth.json (crash and the VMM's pagemap). Also the pagemap witness.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { findTask } from '../../src/kernel/tasks.js';
import { type AddressSpace, addressSpaces } from '../../src/kvm/memslots.js';
import { kvmSymbols, vmsOfTask } from '../../src/kvm/vm.js';
import { translateLive } from '../../src/vtop/live-translate.js';
import { pagemapWitness } from '../../src/vtop/pagemap.js';
import { renderTranslation } from '../../src/vtop/render-text.js';
import { translationJson } from '../../src/vtop/render-json.js';
import { openSession } from '../../src/vtop/session.js';
import { vmContext } from '../../src/vtop/translate.js';

const truth = JSON.parse(readFileSync('fixtures/demo-6.1/truth.json', 'utf8'));
const mark = truth.markers.find((m: { gpa: string; as_id: number }) => m.gpa === '0x2000' && m.as_id === 0);

function liveDemo() {
  const s = openSession({ dump: ['fixtures/demo-6.1/vmcore.kdump-zlib'], types: 'btf' });
  const k = s.kernel;
  let refreshes = 0;
  s.mem.info.live = '/proc/kcore (simulated)';
  s.mem.refresh = () => void refreshes++;
  const task = findTask(k, BigInt(truth.vmm.pid));
  const vm = vmsOfTask(k, task.task, kvmSymbols(k))[0];
  const ctx = vmContext(k, vm.kvm, addressSpaces(k, vm.kvm), task.task, task.pid, task.comm);
  return { s, k, ctx, refreshes: () => refreshes };
}

/** The real memslots with generation moved on by `bump` (what a KVM_SET_USER_MEMORY_REGION does). */
const bumped = (spaces: AddressSpace[], bump: bigint) => spaces.map((sp) => ({ ...sp, generation: (sp.generation ?? 0n) + bump }));

describe('live translations: memslots changing under the reader', () => {
  it('translates once when the generation stays, refreshing the cached memory after', () => {
    const { s, k, ctx, refreshes } = liveDemo();
    let reloads = 0;
    const t = translateLive(k, ctx, 0x2000n, 0, { reload: (kk, v) => (reloads++, addressSpaces(kk, v.kvm)) });
    assert.equal(t.error, undefined);
    assert.equal(t.hva, BigInt(mark.hva));
    assert.equal(t.hpa, BigInt(mark.hpa));
    assert.equal(t.retried, undefined);
    assert.deepEqual([reloads, refreshes()], [1, 1]);
    s.close();
  });
  it('retries once when the generation changed during the first read, and says so', () => {
    const { s, k, ctx } = liveDemo();
    let reloads = 0;
    const t = translateLive(k, ctx, 0x2000n, 0, { reload: (kk, v) => (reloads++, bumped(addressSpaces(kk, v.kvm), 2n)) });
    assert.equal(reloads, 2);
    assert.equal(t.error, undefined);
    assert.equal(t.hpa, BigInt(mark.hpa));
    assert.match(t.retried!, /changed during the first read .* translated again/);
    assert.match(renderTranslation(t), /NOTE: memslots of address space 0 changed/);
    s.close();
  });
  it('gives MEMSLOTS_CHANGED, with no hpa, when it changed again during the retry (two reads, no more)', () => {
    const { s, k, ctx } = liveDemo();
    let reloads = 0;
    const t = translateLive(k, ctx, 0x2000n, 0, { reload: (kk, v) => (reloads++, bumped(addressSpaces(kk, v.kvm), BigInt(2 * reloads))) });
    assert.equal(reloads, 2);
    assert.equal(t.error?.code, 'MEMSLOTS_CHANGED');
    assert.match(t.error!.message, /^memslots changed while reading: address space 0 of VM 0x[0-9a-f]+ went .* -> .*, then .* -> /);
    assert.equal(t.hpa, undefined);
    assert.equal(translationJson(t).error && (translationJson(t).error as { code: string }).code, 'MEMSLOTS_CHANGED');
    s.close();
  });
  it('retries when the set was caught with an update in progress (generation bit 63)', () => {
    const { s, k, ctx } = liveDemo();
    ctx.spaces = ctx.spaces.map((sp) => ({ ...sp, updateInProgress: true }));
    let reloads = 0;
    const t = translateLive(k, ctx, 0x2000n, 0, { reload: (kk, v) => (reloads++, addressSpaces(kk, v.kvm)) });
    assert.equal(reloads, 2);
    assert.equal(t.error, undefined);
    s.close();
  });
  it('does none of this on a dump: one translation, no reload', () => {
    const s = openSession({ dump: ['fixtures/demo-6.1/vmcore.kdump-zlib'], types: 'btf' });
    const k = s.kernel;
    const task = findTask(k, BigInt(truth.vmm.pid));
    const vm = vmsOfTask(k, task.task, kvmSymbols(k))[0];
    const ctx = vmContext(k, vm.kvm, addressSpaces(k, vm.kvm), task.task, task.pid, task.comm);
    const t = translateLive(k, ctx, 0x2000n, 0, { reload: () => assert.fail('no reload on a dump'), pagemap: () => assert.fail('no pagemap on a dump') });
    assert.equal(t.hpa, BigInt(mark.hpa));
    s.close();
  });
});

describe('live translations: /proc/PID/pagemap as a second witness', () => {
  const entry = (pfn: bigint, flags = 1n << 63n) => flags | pfn;
  it('decodes present, swapped, not present and hidden-pfn entries', () => {
    assert.deepEqual(pagemapWitness(1, 0x7f0000001234n, () => entry(0x68a9n)), { hpa: 0x68a9234n });
    assert.match(pagemapWitness(1, 0x1000n, () => entry(0n, 1n << 62n)).note!, /swapped/);
    assert.match(pagemapWitness(1, 0x1000n, () => 0n).note!, /not present/);
    assert.match(pagemapWitness(1, 0x1000n, () => entry(0n)).note!, /CAP_SYS_ADMIN/);
    assert.match(pagemapWitness(1, 0x1000n, () => { throw Object.assign(new Error('x'), { code: 'EACCES' }); }).note!, /cannot be read \(EACCES\)/);
  });
  it('puts pagemapHpa next to hpa, and the text says when the two disagree', () => {
    const { s, k, ctx } = liveDemo();
    const vpns: bigint[] = [];
    const agree = translateLive(k, ctx, 0x2000n, 0, { pagemap: (pid, vpn) => (vpns.push(vpn), assert.equal(pid, truth.vmm.pid), entry(BigInt(mark.hpa) >> 12n)) });
    assert.deepEqual(vpns, [BigInt(mark.hva) >> 12n]);
    assert.equal(translationJson(agree).pagemapHpa, mark.hpa);
    assert.equal(translationJson(agree).hpa, mark.hpa);
    assert.doesNotMatch(renderTranslation(agree), /pagemap/);
    const differ = translateLive(k, ctx, 0x2000n, 0, { pagemap: () => entry(0x1234n) });
    assert.equal(translationJson(differ).pagemapHpa, '0x1234000');
    assert.match(renderTranslation(differ), new RegExp(`NOTE: the page tables read through /proc/kcore give hpa ${mark.hpa}, /proc/${truth.vmm.pid}/pagemap gives 0x1234000`));
    s.close();
  });
});
