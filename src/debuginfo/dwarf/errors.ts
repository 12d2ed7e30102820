// One error type for malformed or unsupported DWARF: every message names the file, the section, the
// offset and, where there is one, what to do about it.
import { QvError } from '../../io/errors.js';
export class DwarfError extends QvError {
  constructor(
    readonly file: string,
    readonly section: string,
    readonly offset: number | undefined,
    what: string,
  ) {
    super('DWARF_FORMAT', `${file}: ${section}${offset === undefined ? '' : ` at 0x${offset.toString(16)}`} ${what}`, { file, section, offset });
    this.name = 'DwarfError';
  }
}

/** Where bytes come from, for messages: "vmlinux" + ".debug_info". */
export interface Where {
  file: string;
  section: string;
}
