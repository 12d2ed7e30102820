// The debuginfod client against a stand-in server (a child process on 127.0.0.1): a file of the asked
// build-id is downloaded once and then served from the cache; a file of another build-id is refused and not
// cached; a 404 means "not there". The real elfutils server is exercised in test/acceptance/debuginfod.test.ts.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { debuginfodCachePath, debuginfodFetch, debuginfodUrls } from '../../src/debuginfo/debuginfod.js';
import { QvError } from '../../src/io/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'qv-dbgd-client-'));
let server: ChildProcess;
let url = '';
let buildId = '';
const WRONG = 'ffffffffffffffffffffffffffffffffffffffff';
const log = join(dir, 'requests');

before(async () => {
  const src = join(dir, 'a.c');
  writeFileSync(src, 'int main(void) { return 0; }\n');
  const elf = join(dir, 'a.out');
  execFileSync('gcc', ['-g', '-Wl,--build-id=sha1', '-o', elf, src]);
  buildId = /Build ID: ([0-9a-f]+)/.exec(execFileSync('readelf', ['-n', elf], { encoding: 'utf8' }))![1];
  // Serves the ELF for its own build-id and, wrongly, for WRONG; 404 for anything else.
  const script = `
    const http = require('node:http'); const fs = require('node:fs');
    const s = http.createServer((q, r) => {
      fs.appendFileSync(${JSON.stringify(log)}, q.url + '\\n');
      if (q.url === '/buildid/${'${ID}'}/debuginfo' || q.url === '/buildid/${WRONG}/debuginfo') { r.end(fs.readFileSync(${JSON.stringify(elf)})); return; }
      r.statusCode = 404; r.end();
    });
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
  server = spawn(process.execPath, ['-e', script.replace('${ID}', buildId)], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((res) => server.stdout!.once('data', (d) => res(`http://127.0.0.1:${String(d).trim()}`)));
  process.env.XDG_CACHE_HOME = join(dir, 'cache');
});

after(() => {
  server.kill();
  rmSync(dir, { recursive: true, force: true });
});

const requests = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0);

describe('debuginfod client', () => {
  it('DEBUGINFOD_URLS: space-separated http(s) URLs, trailing slashes dropped, anything else ignored', () => {
    assert.deepEqual(debuginfodUrls({ DEBUGINFOD_URLS: 'http://a:8002/ https://b/x  file:///etc ftp://c' }), ['http://a:8002', 'https://b/x']);
    assert.deepEqual(debuginfodUrls({}), []);
  });
  it('downloads the file of the build-id asked for, then serves it from the cache', () => {
    const first = debuginfodFetch(buildId, 'test ELF', [url]);
    assert.deepEqual(first, { path: debuginfodCachePath(buildId), from: url });
    assert.equal(requests(), 1);
    const again = debuginfodFetch(buildId, 'test ELF', [url]);
    assert.deepEqual(again, { path: debuginfodCachePath(buildId), from: 'cache' });
    assert.equal(requests(), 1);
  });
  it('refuses a file whose build-id is not the one asked for, and does not cache it', () => {
    assert.throws(() => debuginfodFetch(WRONG, 'test ELF', [url]), (e: unknown) => e instanceof QvError && e.code === 'DEBUGINFOD_WRONG_FILE' && e.message.includes(`build-id ${buildId}, not the debug file of build-id ${WRONG}`));
    assert.equal(existsSync(debuginfodCachePath(WRONG)), false);
  });
  it('a server that does not have it: undefined (the caller falls back or says so)', () => {
    assert.equal(debuginfodFetch('0123456789abcdef0123456789abcdef01234567', 'test ELF', [url]), undefined);
  });
});
