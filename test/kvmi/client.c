/* A KVMI client written from the v5/v6 structure definitions (Documentation/virt/kvm/kvmi.rst, uapi
 * kvmi.h), sharing no code with the server. Usage:
 *   client SOCK version | info | pause | read GPA SIZE | regs VCPU | cpuid VCPU FN | cmd ID [PADBYTE] | oversize
 * Prints "err N" and, on success, the decoded reply. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct kvmi_msg_hdr { uint16_t id; uint16_t size; uint32_t seq; };
struct kvmi_error_code { int32_t err; uint32_t padding; };
struct kvmi_vcpu_hdr { uint16_t vcpu; uint16_t padding1; uint32_t padding2; };
struct kvmi_read_physical { uint64_t gpa; uint64_t size; };
struct kvmi_get_registers { uint16_t nmsrs; uint16_t padding1; uint32_t padding2; uint32_t msrs_idx[1]; };
struct kvm_regs { uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags; };
struct kvm_segment { uint64_t base; uint32_t limit; uint16_t selector; uint8_t type, present, dpl, db, s, l, g, avl, unusable, padding; };
struct kvm_dtable { uint64_t base; uint16_t limit; uint16_t padding[3]; };
struct kvm_sregs { struct kvm_segment cs, ds, es, fs, gs, ss, tr, ldt; struct kvm_dtable gdt, idt; uint64_t cr0, cr2, cr3, cr4, cr8, efer, apic_base, interrupt_bitmap[4]; };
struct kvm_msr_entry { uint32_t index; uint32_t reserved; uint64_t data; };
struct reg_reply { uint32_t mode; uint32_t padding; struct kvm_regs regs; struct kvm_sregs sregs; uint32_t nmsrs; uint32_t pad; struct kvm_msr_entry e[1]; };

static int conn(const char *path) {
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  strncpy(a.sun_path, path, sizeof(a.sun_path) - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) { perror("connect"); exit(2); }
  return fd;
}
static int readn(int fd, void *buf, size_t n) {
  size_t got = 0;
  while (got < n) { ssize_t r = read(fd, (char *)buf + got, n - got); if (r <= 0) return -1; got += r; }
  return 0;
}
/* One request (header and data in one send), one reply; returns the reply data length or -1 on close. */
static int call(int fd, uint16_t id, const void *data, uint16_t size, void *out, size_t outsz, int32_t *err) {
  static uint32_t seq = 100;
  char msg[8192];
  struct kvmi_msg_hdr h = { id, size, ++seq };
  memcpy(msg, &h, sizeof(h));
  memcpy(msg + sizeof(h), data, size);
  if (send(fd, msg, sizeof(h) + size, 0) < 0) return -1;
  struct kvmi_msg_hdr rh;
  struct kvmi_error_code ec;
  if (readn(fd, &rh, sizeof(rh)) || rh.id != id || rh.seq != seq) return -1;
  if (readn(fd, &ec, sizeof(ec))) return -1;
  *err = ec.err;
  int n = rh.size - sizeof(ec);
  if (n > (int)outsz) return -1;
  if (n > 0 && readn(fd, out, n)) return -1;
  return n;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int fd = conn(argv[1]);
  char out[8192];
  int32_t err = 0;
  const char *c = argv[2];
  if (!strcmp(c, "version")) {
    int n = call(fd, 1, NULL, 0, out, sizeof(out), &err);
    uint32_t *v = (uint32_t *)out;
    printf("err %d\n", err);
    if (n >= 12) printf("version %u commands 0x%x events 0x%x\n", v[0], v[1], v[2]);
  } else if (!strcmp(c, "info")) {
    call(fd, 3, NULL, 0, out, sizeof(out), &err);
    printf("err %d\nvcpu_count %u tsc_speed %llu\n", err, *(uint32_t *)out, (unsigned long long)*(uint64_t *)(out + 8));
  } else if (!strcmp(c, "pause")) {
    call(fd, 27, NULL, 0, out, sizeof(out), &err);
    printf("err %d\nvcpu_count %u\n", err, *(uint32_t *)out);
  } else if (!strcmp(c, "read")) {
    struct kvmi_read_physical r = { strtoull(argv[3], 0, 0), strtoull(argv[4], 0, 0) };
    int n = call(fd, 13, &r, sizeof(r), out, sizeof(out), &err);
    printf("err %d\n", err);
    if (!err) { printf("data "); for (int i = 0; i < n; i++) printf("%02x", (unsigned char)out[i]); printf("\n"); }
  } else if (!strcmp(c, "regs")) {
    char q[sizeof(struct kvmi_vcpu_hdr) + sizeof(struct kvmi_get_registers)] = { 0 };
    struct kvmi_vcpu_hdr *vh = (void *)q;
    struct kvmi_get_registers *g = (void *)(q + sizeof(*vh));
    vh->vcpu = atoi(argv[3]);
    g->nmsrs = 1;
    g->msrs_idx[0] = 0xc0000080;
    call(fd, 6, q, sizeof(q), out, sizeof(out), &err);
    struct reg_reply *r = (void *)out;
    printf("err %d\n", err);
    if (!err) printf("mode %u rax 0x%llx rcx 0x%llx rsp 0x%llx rip 0x%llx cr0 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx msr 0x%x=0x%llx\n", r->mode,
                     (unsigned long long)r->regs.rax, (unsigned long long)r->regs.rcx, (unsigned long long)r->regs.rsp, (unsigned long long)r->regs.rip,
                     (unsigned long long)r->sregs.cr0, (unsigned long long)r->sregs.cr3, (unsigned long long)r->sregs.cr4, (unsigned long long)r->sregs.efer,
                     r->e[0].index, (unsigned long long)r->e[0].data);
  } else if (!strcmp(c, "cmd")) {
    char q[16] = { 0 };
    if (argc > 4) q[3] = (char)atoi(argv[4]); /* a byte of padding */
    call(fd, (uint16_t)atoi(argv[3]), q, sizeof(q), out, sizeof(out), &err);
    printf("err %d\n", err);
  } else if (!strcmp(c, "oversize")) {
    struct kvmi_msg_hdr h = { 1, 5000, 1 };
    send(fd, &h, sizeof(h), 0);
    char b;
    printf("closed %d\n", read(fd, &b, 1) == 0);
  }
  close(fd);
  return 0;
}
