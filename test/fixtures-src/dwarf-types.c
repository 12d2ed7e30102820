/*
 * Types for the DWARF reader's unit tests, compiled at test time with gcc -gdwarf-4 / -gdwarf-5.
 * Built with -DLAYOUT_MAIN together with dwarf-types-def.c it is also the ground truth: main() prints
 * offsetof/sizeof/enumerator values as the compiler sees them ("kind name value" lines).
 * struct fwd_only is only declared here; dwarf-types-def.c (another CU) defines it.
 */
#include <stddef.h>
#include <stdio.h>

struct fwd_only;
typedef struct fwd_only fwd_t;

enum color { RED = -3, GREEN = 0, BLUE = 7, BIGC = 0x7fffffff };
enum flagsu { F_A = 1u, F_HIGH = 0x80000000u };
enum big64 { B64_LOW = 1, B64_HIGH = 0x8000000000000000ULL };
enum tiny { T_ZERO, T_FIVE = 5 };
enum { ANON_ONE = 101, ANON_TWO = -102 } g_anon;

typedef unsigned int u32_t;
typedef u32_t u32_alias;
typedef const volatile u32_alias cv_u32;
typedef int (*handler_t)(int, const char *);

struct bits {
	unsigned int a : 3;
	unsigned int b : 5;
	signed int c : 7;
	unsigned long long d : 40;
	unsigned char e;
	unsigned short f : 9;
	_Bool g : 1;
	enum tiny t : 4;
};

struct inner {
	int x;
	long y;
};

struct outer {
	int kind;
	union {
		struct inner in;
		struct {
			short lo, hi;
		};
		unsigned long raw;
	};
	struct {
		char tag;
		int val;
	} named;
	int grid[3][4][5];
	const char *const names[2];
	volatile cv_u32 counter;
	handler_t handler;
	void (*callback)(struct outer *);
	struct fwd_only *fwd;
	fwd_t *fwd2;
	struct outer *next;
	enum color color;
	int *restrict rp;
	struct bits bits;
	u32_alias tail[];
};

/* pahole 1.24 cannot print DW_TAG_atomic_type members: this struct is checked against the C program only. */
struct atomics {
	char c;
	_Atomic int ai;
	_Atomic(struct inner *) ap;
};

struct zero_len {
	int n;
	char data[0];
};

union u {
	int i;
	float f;
	char c[6];
};

struct packed_bits {
	char a;
	unsigned int b : 20;
	unsigned int c : 12;
} __attribute__((packed));

struct outer g_outer;
struct bits g_bits;
struct zero_len g_zero;
union u g_u;
enum flagsu g_flags;
enum big64 g_big64;
struct packed_bits g_packed;
struct atomics g_atomics;
fwd_t *g_fwd;

#ifdef LAYOUT_MAIN
void print_def_layout(void);

#define M(s, m) printf("member %s.%s %zu %zu\n", #s, #m, offsetof(struct s, m), sizeof(((struct s *)0)->m))
#define S(s) printf("size %s %zu\n", #s, sizeof(struct s))
#define E(e) printf("enum %s %lld\n", #e, (long long)(e))
#define EU(e) printf("enum %s %llu\n", #e, (unsigned long long)(e))

int main(void)
{
	S(outer); S(inner); S(bits); S(zero_len); S(packed_bits);
	printf("size u %zu\n", sizeof(union u));
	M(outer, kind); M(outer, in); M(outer, lo); M(outer, hi); M(outer, raw); M(outer, named);
	M(outer, grid); M(outer, names); M(outer, counter); M(outer, handler); M(outer, callback);
	M(outer, fwd); M(outer, fwd2); M(outer, next); M(outer, color); M(outer, rp);
	M(outer, bits);
	printf("member outer.tail %zu 0\n", offsetof(struct outer, tail));
	M(inner, x); M(inner, y);
	M(bits, e);
	M(zero_len, n); M(zero_len, data);
	M(packed_bits, a);
	S(atomics); M(atomics, c); M(atomics, ai); M(atomics, ap);
	E(RED); E(GREEN); E(BLUE); E(BIGC); E(ANON_ONE); E(ANON_TWO); E(T_FIVE);
	EU(F_A); EU(F_HIGH); EU(B64_LOW); EU(B64_HIGH);
	printf("size color %zu\n", sizeof(enum color));
	printf("size flagsu %zu\n", sizeof(enum flagsu));
	printf("size big64 %zu\n", sizeof(enum big64));
	print_def_layout();
	return 0;
}
#endif
