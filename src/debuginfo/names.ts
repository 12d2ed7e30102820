// Strings from a dump that name files, packages and URLs (OSRELEASE, the uts version's Debian version,
// build-ids) come from a machine that just crashed, or from whoever made the file: each is checked
// against its grammar before it may steer a path, an apt-get argument or a URL.
import { QvError } from '../io/errors.js';

interface Grammar {
  what: string;
  pattern: RegExp;
  example: string;
}

const GRAMMARS = {
  // A kernel release as `uname -r` prints it; never "..", never an option.
  release: { what: 'kernel release', pattern: /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/, example: '6.1.0-53-cloud-amd64' },
  // A Debian package version (policy 5.6.12), without an epoch colon: kernel images have none.
  version: { what: 'Debian package version', pattern: /^[0-9][A-Za-z0-9.+~-]*$/, example: '6.1.187-1' },
  buildId: { what: 'build-id', pattern: /^[0-9a-f]{8,128}$/, example: 'e0c94673e97d58a386e99a20572aa7d597d5aa5c' },
  suite: { what: 'Debian suite', pattern: /^[a-z][a-z0-9-]*$/, example: 'bullseye' },
} satisfies Record<string, Grammar>;

export type NameKind = keyof typeof GRAMMARS;

export function isValidName(kind: NameKind, s: string): boolean {
  return GRAMMARS[kind].pattern.test(s) && !s.includes('..') && s.length <= 256;
}

/** The string itself when it is a valid `kind`, else an error naming where it came from. */
export function checkName(kind: NameKind, s: string, from: string): string {
  if (isValidName(kind, s)) return s;
  const g = GRAMMARS[kind];
  throw new QvError(
    'BAD_NAME',
    `${from} gives the ${g.what} ${JSON.stringify(s.slice(0, 80))}, which is not one (expected something like ${g.example}): ` +
      `it is not used to name a file, a package or a URL. Give the debug files yourself (--vmlinux, --kvm-debuginfo)`,
    { kind, value: s.slice(0, 256) },
  );
}
