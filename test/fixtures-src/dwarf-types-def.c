/* The second CU of the DWARF fixture: the only complete definition of struct fwd_only. */
#include <stddef.h>
#include <stdio.h>

struct fwd_only {
	int a;
	char b[10];
	struct fwd_only *self;
};

struct fwd_only g_fwd_def;

#ifdef LAYOUT_MAIN
void print_def_layout(void)
{
	printf("size fwd_only %zu\n", sizeof(struct fwd_only));
	printf("member fwd_only.a %zu %zu\n", offsetof(struct fwd_only, a), sizeof g_fwd_def.a);
	printf("member fwd_only.b %zu %zu\n", offsetof(struct fwd_only, b), sizeof g_fwd_def.b);
	printf("member fwd_only.self %zu %zu\n", offsetof(struct fwd_only, self), sizeof g_fwd_def.self);
}
#endif
