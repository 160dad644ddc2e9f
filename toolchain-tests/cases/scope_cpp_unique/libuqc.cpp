#include "unique.h"

extern "C" int uqc_bump(void)
{
    uq_counter<int> += 1;
    UqRegistry<int>::entries += 10;
    *uq_local_static() += 100;
    return uq_counter<int> + UqRegistry<int>::entries + *uq_local_static();
}

extern "C" void *uqc_inline_address(void) { return &uq_counter<int>; }
extern "C" void *uqc_template_address(void) { return &UqRegistry<int>::entries; }
extern "C" void *uqc_static_address(void) { return uq_local_static(); }

extern "C" int printf(const char *, ...);
__attribute__((destructor)) static void fini() { printf("libuqc dtor\n"); }
