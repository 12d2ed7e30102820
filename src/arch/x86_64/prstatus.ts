// struct elf_prstatus of x86_64 (include/uapi/linux/elfcore.h + arch/x86/include/asm/user_64.h), as the NT_PRSTATUS
// desc kexec writes per CPU: 336 bytes, pr_pid at 32, pr_reg (struct user_regs_struct, 27 longs) at 112.
// A table of register slots, so the order lives in one place.

export const PRSTATUS_SIZE = 336;
const PR_PID = 32;
const PR_REG = 112;

/** user_regs_struct order (the pr_reg array). */
export const PR_REG_NAMES = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi', 'orig_rax',
  'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;

export type PrRegName = (typeof PR_REG_NAMES)[number];

/** The NT_PRSTATUS desc for one CPU; registers not given are 0. */
export function prstatus(pid: number, regs: Partial<Record<PrRegName, bigint>>): Buffer {
  const b = Buffer.alloc(PRSTATUS_SIZE);
  b.writeInt32LE(pid, PR_PID);
  PR_REG_NAMES.forEach((n, i) => b.writeBigUInt64LE(BigInt.asUintN(64, regs[n] ?? 0n), PR_REG + 8 * i));
  return b;
}
