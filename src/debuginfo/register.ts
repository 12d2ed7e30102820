// Registers the DWARF reader with the session loader (kept out of session.ts so the loader does not
// depend on a particular reader).
import { registerDwarf } from '../vtop/session.js';
import { openDwarf } from './dwarf/index.js';

registerDwarf((elf, o) => openDwarf(elf, { cache: o.cache, completeFrom: o.completeFrom }));
