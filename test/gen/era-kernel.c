/* A fake kernel for generated dumps: the structures qemu-vtop reads, declared as each era's kernel did
 * (names, member order, types), reduced to those members (layouts are read back from the DWARF by pahole,
 * so nothing depends on matching a real kernel's offsets). Built twice per era with gcc -g:
 *   gcc -g -O0 -DERA=N -o vmlinux era-kernel.c            (ET_EXEC: the globals below have symbols)
 *   gcc -g -O0 -DERA=N -DKVM_MODULE -c -o kvm.ko era-kernel.c  (ET_REL: kvm's types, relocated DWARF)
 * Sources: shared/docs/RESEARCH.md §1.1 (sourced per era), and the kernel patches themselves as found with the
 * search tool: "KVM: Dynamically size memslot array based on number of used slots" (5.7: memslots[] flexible, after
 * id_to_index[], lru_slot, used_slots) and "KVM: Keep memslots in tree-based structures instead of array-based
 * ones" (5.17: generation, last_used_slot, hva_tree, gfn_tree, id_hash[128], node_idx; kvm->__memslots[AS][2]
 * next to kvm->memslots[AS]; kvm_memory_slot's id_node[2]/hva_node[2]/gfn_node[2]). Structures are reduced to the
 * members the tool reads, in the kernel's order. ERA 6 (6.8+) adds slot->gmem and kvm->mem_attr_array; it keeps
 * the mm->mmap VMA list (6.1+ kernels use the maple tree, which the real 6.1 dumps cover). */
#include <stdint.h>

struct list_head { struct list_head *next, *prev; };
struct xarray { unsigned int xa_lock; unsigned int xa_flags; void *xa_head; };
struct xa_node { unsigned char shift; unsigned char offset; unsigned char count; unsigned char nr_values;
  struct xa_node *parent; struct xarray *array; struct list_head private_list; void *slots[64]; unsigned long marks[3][1]; };
struct address_space { void *host; struct xarray i_pages; };
struct page { unsigned long flags; struct list_head lru; void *mapping; unsigned long index; unsigned long private;
  int _mapcount; int _refcount; unsigned long memcg_data; };
struct qstr { uint32_t hash; uint32_t len; const unsigned char *name; };
struct dentry { unsigned int d_flags; struct qstr d_name; struct dentry *d_parent; };
struct path { void *mnt; struct dentry *dentry; };
struct file { struct path f_path; void *f_inode; const void *f_op; unsigned int f_flags; void *private_data;
  struct address_space *f_mapping; };
struct fdtable { unsigned int max_fds; struct file **fd; };
struct files_struct { int count; struct fdtable *fdt; };
struct vm_area_struct;
struct mm_struct { struct vm_area_struct *mmap; unsigned long pgd; int map_count; };
/* Before the maple tree (6.1): VMAs on a sorted list from mm->mmap. */
struct vm_area_struct { unsigned long vm_start; unsigned long vm_end; struct vm_area_struct *vm_next;
  struct vm_area_struct *vm_prev; struct mm_struct *vm_mm; unsigned long vm_flags; unsigned long vm_pgoff; struct file *vm_file; };
struct task_struct { volatile long state; struct list_head tasks; struct mm_struct *mm; int pid; int tgid;
  struct list_head thread_group; char comm[16]; struct files_struct *files; };
struct mod_kallsyms { void *symtab; unsigned int num_symtab; char *strtab; };
struct module { int state; struct list_head list; char name[56]; struct mod_kallsyms *kallsyms; };

#ifndef KVM_MODULE
struct task_struct init_task;
struct list_head modules;
unsigned long page_offset_base;
unsigned long vmalloc_base;
unsigned long vmemmap_base;
struct page *page_anchor;
struct address_space *address_space_anchor;
struct xa_node *xa_anchor;
unsigned long init_top_pgt[512] __attribute__((aligned(4096)));
/* Keep every type the tool reads in the DWARF. */
struct module *module_anchor;
struct mod_kallsyms *kallsyms_anchor;
struct files_struct *files_anchor;
struct fdtable *fdtable_anchor;
struct file *file_anchor;
struct mm_struct *mm_anchor;
struct vm_area_struct *vma_anchor;
int main(void) { return (int)init_task.pid; }
#else
#include <linux/kvm.h> /* struct kvm_run: the uapi layout itself (linux-libc-dev) */
/* Every era here (< 5.17) keeps vCPUs in struct kvm_vcpu *vcpus[KVM_MAX_VCPUS]. */
struct kvm_vcpu_arch { unsigned long regs[17]; uint32_t regs_avail; uint32_t regs_dirty; unsigned long cr0;
  unsigned long cr2; unsigned long cr3; unsigned long cr4; unsigned long cr8; uint64_t efer; int mp_state; };
struct kvm_vcpu { struct kvm *kvm; int cpu; int vcpu_id; int vcpu_idx; int mode; struct kvm_run *run; struct kvm_vcpu_arch arch; };
#define VCPUS struct kvm_vcpu *vcpus[8]; int online_vcpus;
#if ERA == 1 /* 2.6.34 - 3.2 */
struct kvm_memory_slot { unsigned long base_gfn; unsigned long npages; unsigned long flags; unsigned long *rmap;
  unsigned long *dirty_bitmap; void *lpage_info[3]; unsigned long userspace_addr; int user_alloc; int id; };
struct kvm_memslots { int nmemslots; struct kvm_memory_slot memslots[36]; }; /* no generation before 2.6.38 */
struct kvm { struct mm_struct *mm; struct kvm_memslots *memslots; VCPUS };
#elif ERA == 2 /* 3.3 - 3.18 */
struct kvm_memory_slot { uint64_t base_gfn; unsigned long npages; unsigned long *dirty_bitmap; void *arch[6];
  unsigned long userspace_addr; uint32_t flags; short id; };
struct kvm_memslots { uint64_t generation; struct kvm_memory_slot memslots[125]; short id_to_index[125]; };
struct kvm { struct mm_struct *mm; struct kvm_memslots *memslots; VCPUS };
#elif ERA == 3 /* 4.2 - 5.6: two address spaces on x86 (1 = SMM) */
struct kvm_memory_slot { uint64_t base_gfn; unsigned long npages; unsigned long *dirty_bitmap; void *arch[6];
  unsigned long userspace_addr; uint32_t flags; short id; };
struct kvm_memslots { uint64_t generation; struct kvm_memory_slot memslots[512]; short id_to_index[512]; int lru_slot; int used_slots; };
struct kvm { struct mm_struct *mm; struct kvm_memslots *memslots[2]; VCPUS };
#elif ERA == 5 || ERA == 6 /* 5.17 - 6.0: rb-trees, each slot linked into both sets of its address space; vcpu_array
 * xarray. ERA 6 = 6.8+: guest_memfd (slot->gmem) and the memory attributes xarray (kvm->mem_attr_array). */
struct rb_node { unsigned long __rb_parent_color; struct rb_node *rb_right; struct rb_node *rb_left; };
struct rb_root { struct rb_node *rb_node; };
struct rb_root_cached { struct rb_root rb_root; struct rb_node *rb_leftmost; };
struct hlist_node { struct hlist_node *next, **pprev; };
struct hlist_head { struct hlist_node *first; };
struct interval_tree_node { struct rb_node rb; unsigned long start; unsigned long last; unsigned long __subtree_last; };
struct kvm_memory_slot { struct hlist_node id_node[2]; struct interval_tree_node hva_node[2]; struct rb_node gfn_node[2];
  uint64_t base_gfn; unsigned long npages; unsigned long *dirty_bitmap; void *arch[6]; unsigned long userspace_addr;
  uint32_t flags; short id; uint16_t as_id;
#if ERA == 6
  struct { struct file *file; unsigned long pgoff; } gmem;
#endif
};
struct kvm_memslots { uint64_t generation; long last_used_slot; struct rb_root_cached hva_tree; struct rb_root gfn_tree;
  struct hlist_head id_hash[128]; int node_idx; };
struct kvm { struct mm_struct *mm; struct kvm_memslots __memslots[2][2]; struct kvm_memslots *memslots[2];
  struct xarray vcpu_array; int online_vcpus;
#if ERA == 6
  struct xarray mem_attr_array;
#endif
};
#else /* 5.10 - 5.16: flexible array, as_id cached in the slot */
struct kvm_memory_slot { uint64_t base_gfn; unsigned long npages; unsigned long *dirty_bitmap; void *arch[6];
  unsigned long userspace_addr; uint32_t flags; short id; uint16_t as_id; };
struct kvm_memslots { uint64_t generation; short id_to_index[32767]; int last_used_slot; int used_slots; struct kvm_memory_slot memslots[]; };
struct kvm { struct mm_struct *mm; struct kvm_memslots *memslots[2]; VCPUS };
#endif
/* Keep every type in the module's DWARF. */
struct kvm *kvm_anchor;
struct kvm_memslots *memslots_anchor;
struct kvm_memory_slot *slot_anchor;
struct kvm_vcpu *vcpu_anchor;
static const char modinfo[] __attribute__((section(".modinfo"), used)) = "vermagic=6.99.0-qvtop-era" "\0";
#endif
