// The text renderer against the real crash utility: for every marker and untouched page of both fixtures,
// a Translation built from truth.json must render the same page-table lines crash printed for that hva.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type LevelEntry } from '../../src/arch/x86_64/pagetable.js';
import { pteFlagNames } from '../../src/arch/x86_64/pagetable.js';
import { mkstring, renderTranslation } from '../../src/vtop/render-text.js';
import { type Translation } from '../../src/vtop/translation.js';
import { vtopByHva, vtopTableLines } from '../helpers/crash-transcript.js';

interface TruthLevel {
  level: LevelEntry['name'];
  entry_paddr: string;
  value: string;
}
interface TruthPage {
  gpa: string;
  as_id: number;
  hva: string;
  hpa?: string;
  page_size?: string;
  levels: TruthLevel[];
}

const SIZES: Record<string, bigint> = { '4K': 0x1000n, '2M': 0x200000n, '1G': 0x40000000n };

function fromTruth(t: TruthPage): Translation {
  const levels = t.levels.map((l) => ({ name: l.level, entry: BigInt(l.entry_paddr), value: BigInt(l.value) }));
  const leaf = levels[levels.length - 1].value;
  const tr: Translation = { gpa: BigInt(t.gpa), asId: t.as_id, hva: BigInt(t.hva), levels, pte: leaf };
  if (t.hpa) {
    tr.hpa = BigInt(t.hpa);
    tr.pageSize = SIZES[t.page_size!];
    tr.pteFlags = pteFlagNames(leaf);
  } else tr.error = { code: 'NOT_PRESENT', message: 'not mapped' };
  return tr;
}

/** The lines of our block that correspond to crash's (from the first level line to the PTE table). */
function ourTableLines(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^ {3}(PGD|P4D|PUD|PMD|PTE):/.test(l));
  const out: string[] = [];
  for (const l of lines.slice(start)) {
    if (l.startsWith('qemu-vtop:') || l.startsWith('  NOTE:') || l.startsWith('      VMA')) break;
    out.push(l);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

// The real-6.1 fixture's transcripts are compared in the acceptance suite (test/acceptance/), end to end.
for (const [fixture, transcript] of [['demo-6.1', 'crash-kdump-zlib.txt']] as const) {
  const dir = `fixtures/${fixture}`;
  describe(`crash vtop layout (${fixture})`, () => {
    const truth: { vmm: { pid: number }; markers: TruthPage[]; untouched: TruthPage[] } = JSON.parse(readFileSync(`${dir}/truth.json`, 'utf8'));
    const crash = vtopByHva(`${dir}/${transcript}`, truth.vmm.pid);
    const pages = [...truth.markers, ...truth.untouched];
    it('has a crash vtop block for every marker and untouched page', () => {
      for (const p of pages) assert.ok(crash.has(BigInt(p.hva).toString(16)), `no crash vtop for ${p.hva}`);
    });
    for (const p of pages) {
      it(`gpa ${p.gpa} (as ${p.as_id}, hva ${p.hva}) renders crash's lines`, () => {
        const want = vtopTableLines(crash.get(BigInt(p.hva).toString(16))!);
        assert.ok(want.length >= 3);
        assert.deepEqual(ourTableLines(renderTranslation(fromTruth(p))), want);
      });
    }
  });
}

describe('mkstring (crash tools.c)', () => {
  it('centres with the odd space on the side away from the justification', () => {
    assert.equal(mkstring('PTE', 16, true, 'L'), '      PTE       ');
    assert.equal(mkstring('e1f1000', 8, true, 'R'), ' e1f1000');
    assert.equal(mkstring('1000', 8, true, 'R'), '  1000  ');
    assert.equal(mkstring('PTE', 8, true, 'L'), '  PTE   ');
    assert.equal(mkstring('PTE', 8, true, 'R'), '   PTE  ');
  });
  it('leaves strings longer than the width alone', () => {
    assert.equal(mkstring('123456789', 8, true, 'R'), '123456789');
  });
});

describe('qemu-vtop header', () => {
  it('puts gpa, hva and hpa under GUEST PHYSICAL / HOST VIRTUAL / HOST PHYSICAL', () => {
    const t = renderTranslation({ gpa: 0x100201000n, asId: 0, hva: 0x7f4385801000n, hpa: 0x5c01000n, pageSize: 0x200000n, pte: 0x8000000005c008e7n, levels: [] });
    const [h, v] = t.split('\n');
    assert.equal(h, 'GUEST PHYSICAL    HOST VIRTUAL      HOST PHYSICAL');
    assert.equal(v, '100201000         7f4385801000      5c01000');
  });
});
