// Runs the real CLI (bin/qemu-vtop) as a user would, in a child process.
import { spawnSync } from 'node:child_process';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, ['bin/qemu-vtop', ...args], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ...env } });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json() {
      try {
        return JSON.parse(r.stdout);
      } catch {
        throw new Error(`not JSON (exit ${r.status}): ${r.stdout.slice(0, 200)} ${r.stderr.slice(0, 400)}`);
      }
    },
  };
}
