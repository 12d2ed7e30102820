// readInput on pseudo-files: /proc files say size 0 and must be read to their end (a live host's
// /proc/kallsyms is given this way), never taken for empty.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readInput } from '../../src/io/source.js';

describe('readInput', () => {
  it('reads a /proc file that reports size 0 to its end', () => {
    assert.equal(statSync('/proc/self/maps').size, 0);
    const got = readInput('/proc/self/maps').toString('latin1');
    assert.match(got, /^[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] /);
  });
  it('reads an ordinary file by its size', () => {
    assert.deepEqual(readInput('package.json'), readFileSync('package.json'));
  });
});
