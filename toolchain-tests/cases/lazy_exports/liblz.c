/* Many exported functions whose addresses the library takes itself (the loader gives them
 * their slots at compile time and makes nothing of them until asked), one it never takes
 * (found through the instance's export when first asked), data symbols, and a user library
 * linked against it. */
#include <stddef.h>

int lz_counter = 40;
const char lz_text[] = "lazy";

int lz_f0(int v) { return v + 0; }
int lz_f1(int v) { return v + 1; }
int lz_f2(int v) { return v + 2; }
int lz_f3(int v) { return v + 3; }
int lz_f4(int v) { return v + 4; }
int lz_f5(int v) { return v + 5; }
int lz_f6(int v) { return v + 6; }
int lz_f7(int v) { return v + 7; }

/* Never address-taken in this library. */
int lz_plain(int v) { return v * 10; }

typedef int (*fn)(int);

fn lz_get(int i)
{
    static fn const all[] = { lz_f0, lz_f1, lz_f2, lz_f3, lz_f4, lz_f5, lz_f6, lz_f7 };
    return (i >= 0 && i < 8) ? all[i] : NULL;
}

int *lz_counter_addr(void) { return &lz_counter; }
const char *lz_text_addr(void) { return lz_text; }
