// What a person types in the go-to box, parsed into a query (no dump needed): a gpa, an hva, or an
// offset into a memslot. Resolving it to a gpa is the memslot code's job (kvm/memslots).
import { parseAddress } from '../io/hex.js';
import { QvError } from '../io/errors.js';

export type AddressQuery =
  | { kind: 'gpa'; gpa: bigint }
  | { kind: 'hva'; hva: bigint }
  /** asId undefined: the address space the UI is showing. */
  | { kind: 'slot'; asId?: number; slotId: number; offset: bigint }
  /** A guest-virtual address: in the page table of vCPU `vcpu` (undefined: the chosen one), or of the guest kernel. */
  | { kind: 'gva'; gva: bigint; table: 'vcpu' | 'kernel'; vcpu?: number };

export const ADDRESS_FORMS = 'a gpa (0x100201000), "hva 0x7f...", "s<as>:<slot>+<offset>" (s0:1+0x2000) or "gva ADDR [vcpu N | kernel]"';

function address(s: string, what: string): bigint {
  try {
    return parseAddress(s);
  } catch {
    throw new QvError('BAD_INPUT', `"${s}" is not ${what} in hex; type ${ADDRESS_FORMS}`);
  }
}

export function parseAddressQuery(input: string): AddressQuery {
  const s = input.trim().toLowerCase().replace(/\s+/g, ' ');
  if (!s) throw new QvError('BAD_INPUT', `nothing typed; type ${ADDRESS_FORMS}`);
  const slot = /^s(?:lot)? ?(?:(\d+):)?(\d+) ?(?:\+ ?(\S+))?$/.exec(s);
  if (slot) {
    return { kind: 'slot', asId: slot[1] === undefined ? undefined : Number(slot[1]), slotId: Number(slot[2]), offset: slot[3] ? address(slot[3], 'an offset') : 0n };
  }
  const gva = /^gva (\S+)(?: (?:(kernel|k)|(?:vcpu|cpu) ?(\d+)))?$/.exec(s);
  if (gva) return { kind: 'gva', gva: address(gva[1], 'a gva'), table: gva[2] ? 'kernel' : 'vcpu', vcpu: gva[3] === undefined ? undefined : Number(gva[3]) };
  const hva = /^(?:hva|h) ?(\S+)$/.exec(s);
  if (hva) return { kind: 'hva', hva: address(hva[1], 'an hva') };
  const gpa = /^(?:gpa )?(\S+)$/.exec(s);
  if (gpa) return { kind: 'gpa', gpa: address(gpa[1], 'a gpa') };
  throw new QvError('BAD_INPUT', `"${input.trim()}" is not an address; type ${ADDRESS_FORMS}`);
}
