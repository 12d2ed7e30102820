// The KVMI wire protocol (KVM introspection patch series v5/v6, Bitdefender, 2020:
// Documentation/virt/kvm/kvmi.rst, include/uapi/linux/kvmi.h, arch/x86/include/uapi/asm/kvmi.h),
// command ids as the v5/v6 uapi numbers them. Host byte order (little-endian x86_64), padding must be zero.

export const KVMI_VERSION = 0x00000001;
export const HDR_SIZE = 8; // struct kvmi_msg_hdr { __u16 id; __u16 size; __u32 seq; }
export const KVMI_MSG_SIZE = 4096 - HDR_SIZE;
export const VCPU_HDR_SIZE = 8; // struct kvmi_vcpu_hdr { __u16 vcpu; __u16 padding1; __u32 padding2; }
export const PAGE_SIZE = 4096;

export const CMD = {
  GET_VERSION: 1,
  GET_GUEST_INFO: 3,
  GET_REGISTERS: 6,
  SET_REGISTERS: 7,
  GET_PAGE_ACCESS: 10,
  SET_PAGE_ACCESS: 11,
  INJECT_EXCEPTION: 12,
  READ_PHYSICAL: 13,
  WRITE_PHYSICAL: 14,
  GET_MAP_TOKEN: 15,
  CONTROL_EVENTS: 17,
  CONTROL_CR: 18,
  CONTROL_MSR: 19,
  EVENT: 23,
  EVENT_REPLY: 24,
  GET_CPUID: 25,
  GET_XSAVE: 26,
  PAUSE_ALL_VCPUS: 27,
  CONTROL_VM_EVENTS: 28,
} as const;

/** Commands that would change the guest or the host's view of it: a dump is read-only. */
export const WRITE_COMMANDS = new Set<number>([
  CMD.SET_REGISTERS, CMD.SET_PAGE_ACCESS, CMD.INJECT_EXCEPTION, CMD.WRITE_PHYSICAL, CMD.CONTROL_EVENTS,
  CMD.CONTROL_CR, CMD.CONTROL_MSR, CMD.EVENT_REPLY, CMD.CONTROL_VM_EVENTS, CMD.EVENT,
]);

/** Read-only commands this server answers (the default allowed-command mask). */
export const READ_COMMANDS = [CMD.GET_VERSION, CMD.GET_GUEST_INFO, CMD.GET_REGISTERS, CMD.GET_PAGE_ACCESS, CMD.READ_PHYSICAL, CMD.GET_MAP_TOKEN, CMD.GET_CPUID, CMD.GET_XSAVE, CMD.PAUSE_ALL_VCPUS];

export const maskOf = (ids: number[]): number => ids.reduce((m, id) => (m | (1 << id)) >>> 0, 0);

/** Error values of kvm_para.h: KVM's own and the errno values it reuses. */
export const KVM_ERR = {
  ENOSYS: 1000,
  EOPNOTSUPP: 95,
  EAGAIN: 11,
  EINVAL: 22,
  EPERM: 1,
  E2BIG: 7,
  EBUSY: 16,
  ENOENT: 2,
  ENOMEM: 12,
  EACCES: 13,
} as const;

// struct kvm_regs: rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags (18 x u64).
export const KVM_REGS_ORDER = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags'];
export const KVM_REGS_SIZE = 18 * 8;
// struct kvm_sregs: 8 kvm_segment (24 bytes each: cs ds es fs gs ss tr ldt), gdt, idt (kvm_dtable, 16 each),
// cr0 cr2 cr3 cr4 cr8 efer apic_base, interrupt_bitmap[4].
export const KVM_SREGS_SIZE = 8 * 24 + 2 * 16 + 7 * 8 + 4 * 8;
export const SREGS_CR_OFFSET = 8 * 24 + 2 * 16;
export const SREGS_CR_ORDER = ['cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer', 'apic_base'];
export const KVM_MSR_ENTRY_SIZE = 16; // { __u32 index; __u32 reserved; __u64 data; }
