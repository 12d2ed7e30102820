// A progress line on stderr for long writes: pages, MB/s and ETA, redrawn at most 4 times a second. Silent
// unless stderr is a terminal (and never with --json). A few lines of our own instead of cli-progress: one
// line, no templates, no dependency for what a carriage return does.
export interface ProgressLine {
  update(done: bigint, total: bigint, bytes: number): void;
  end(): void;
}

const SILENT: ProgressLine = { update: () => {}, end: () => {} };

export function progressLine(enabled: boolean, label: string, stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  if (!enabled || !stream.isTTY) return SILENT;
  const t0 = performance.now();
  let last = 0;
  let shown = false;
  return {
    update(done, total, bytes) {
      const now = performance.now();
      if (now - last < 250 && done < total) return;
      last = now;
      const s = (now - t0) / 1000;
      const rate = s > 0 ? bytes / s / 1e6 : 0;
      const eta = done > 0n && s > 0 ? (s * Number(total - done)) / Number(done) : 0;
      stream.write(`\r${label}: ${done}/${total} pages  ${rate.toFixed(1)} MB/s  ETA ${eta.toFixed(0)} s   `);
      shown = true;
    },
    end() {
      if (shown) stream.write('\n');
    },
  };
}
