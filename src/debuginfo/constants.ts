// The few kernel constants the tool needs that no type source carries (#defines are in neither DWARF nor
// BTF), in one table with where each comes from. Everything else is read from the types or the dump.

export interface KernelConstant {
  value: bigint;
  source: string;
}

export const CONSTANTS = {
  __START_KERNEL_map: { value: 0xffffffff80000000n, source: 'arch/x86/include/asm/page_64_types.h' },
  MODULES_VADDR: { value: 0xffffffffc0000000n, source: 'arch/x86/include/asm/pgtable_64_types.h (__START_KERNEL_map + KERNEL_IMAGE_SIZE, 1 GiB with KASLR)' },
  PAGE_SHIFT: { value: 12n, source: 'arch/x86/include/asm/page_types.h' },
  KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS: { value: 1n << 63n, source: 'include/linux/kvm_host.h' },
  KVM_MEM_LOG_DIRTY_PAGES: { value: 1n << 0n, source: 'include/uapi/linux/kvm.h' },
  KVM_MEM_READONLY: { value: 1n << 1n, source: 'include/uapi/linux/kvm.h' },
  KVM_MEM_GUEST_MEMFD: { value: 1n << 2n, source: 'include/uapi/linux/kvm.h (6.8+)' },
  KVM_MEMSLOT_INVALID: { value: 1n << 16n, source: 'include/linux/kvm_host.h' },
  KVM_MEMSLOT_GMEM_ONLY: { value: 1n << 17n, source: 'include/linux/kvm_host.h (6.18+)' },
  // struct page's page_type (4.18+; the same bits were _mapcount values before: PAGE_BUDDY_MAPCOUNT_VALUE = ~0x80):
  // a type is set when its bit is CLEAR and the PAGE_TYPE_BASE bits are set (PageType() in page-flags.h).
  PAGE_TYPE_BASE: { value: 0xf0000000n, source: 'include/linux/page-flags.h (4.18-6.8: 0xf0000000)' },
  PG_buddy: { value: 0x80n, source: 'include/linux/page-flags.h (page_type bit; PAGE_BUDDY_MAPCOUNT_VALUE = -129 on 4.18-6.8)' },
  PG_offline: { value: 0x100n, source: 'include/linux/page-flags.h (page_type bit, 5.0+)' },
  PG_table: { value: 0x200n, source: 'include/linux/page-flags.h (page_type bit, 4.18+)' },
  PAGE_MAPPING_ANON: { value: 0x1n, source: 'include/linux/page-flags.h (low bit of page->mapping)' },
  MAX_ORDER: { value: 11n, source: 'include/linux/mmzone.h (x86_64 default CONFIG_FORCE_MAX_ZONEORDER / MAX_ORDER before 6.4)' },
} satisfies Record<string, KernelConstant>;

export type ConstantName = keyof typeof CONSTANTS;

export const constant = (name: ConstantName): bigint => CONSTANTS[name].value;

/** "NAME = 0x… (source)" lines for the output of an answer that relied on these constants. */
export function describeConstants(names: ConstantName[]): string[] {
  return names.map((n) => `${n} = 0x${CONSTANTS[n].value.toString(16)} (${CONSTANTS[n].source})`);
}
