#include <stdint.h>

/* Objects with alignments from 1 to 4096 bytes, initialised and zero (.bss), exported and
 * static: each must sit at its alignment wherever the loader put the library's data. */
char alz_byte = 1;
_Alignas(16) char alz_16[3] = {1, 2, 3};
_Alignas(64) int alz_64_bss[5];
_Alignas(256) double alz_256 = 2.5;
_Alignas(4096) char alz_page_bss[100];
_Alignas(4096) static char alz_page_static[4096] = {7};
static _Alignas(128) char alz_128_static_bss[300];
char alz_tail_bss[5000];

static int aligned(const void *p, uintptr_t n) { return ((uintptr_t)p & (n - 1)) == 0; }

static int all_zero(const char *p, int n)
{
    for (int i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

/* One bit per check, so the program can name a failure. */
int alz_check(void)
{
    int bad = 0;
    bad |= !aligned(alz_16, 16) << 0;
    bad |= !aligned(alz_64_bss, 64) << 1;
    bad |= !aligned(&alz_256, 256) << 2;
    bad |= !aligned(alz_page_bss, 4096) << 3;
    bad |= !aligned(alz_page_static, 4096) << 4;
    bad |= !aligned(alz_128_static_bss, 128) << 5;
    bad |= !all_zero((const char *)alz_64_bss, sizeof alz_64_bss) << 6;
    bad |= !all_zero(alz_page_bss, sizeof alz_page_bss) << 7;
    bad |= !all_zero(alz_128_static_bss, sizeof alz_128_static_bss) << 8;
    bad |= !all_zero(alz_tail_bss, sizeof alz_tail_bss) << 9;
    bad |= !all_zero(alz_page_static + 1, sizeof alz_page_static - 1) << 10;
    bad |= (alz_byte != 1 || alz_16[2] != 3 || alz_256 != 2.5 || alz_page_static[0] != 7) << 11;
    return bad;
}

/* Dirties everything, so that the next load shows whether it starts from zero again. */
void alz_dirty(void)
{
    for (unsigned i = 0; i < sizeof alz_64_bss / sizeof alz_64_bss[0]; i++)
        alz_64_bss[i] = -1;
    for (unsigned i = 0; i < sizeof alz_page_bss; i++)
        alz_page_bss[i] = 0x5a;
    for (unsigned i = 0; i < sizeof alz_128_static_bss; i++)
        alz_128_static_bss[i] = 0x5a;
    for (unsigned i = 0; i < sizeof alz_tail_bss; i++)
        alz_tail_bss[i] = 0x5a;
    for (unsigned i = 0; i < sizeof alz_page_static; i++)
        alz_page_static[i] = 0x5a;
    alz_byte = 9;
    alz_256 = 0;
}
