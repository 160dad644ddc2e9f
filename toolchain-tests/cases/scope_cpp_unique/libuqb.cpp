#include "unique.h"

extern "C" int uqb_bump(void)
{
    uq_counter<int> += 1;
    UqRegistry<int>::entries += 10;
    *uq_local_static() += 100;
    return uq_counter<int> + UqRegistry<int>::entries + *uq_local_static();
}

extern "C" void *uqb_inline_address(void) { return &uq_counter<int>; }
extern "C" void *uqb_template_address(void) { return &UqRegistry<int>::entries; }
extern "C" void *uqb_static_address(void) { return uq_local_static(); }

extern "C" int printf(const char *, ...);
__attribute__((destructor)) static void fini() { printf("libuqb dtor\n"); }
