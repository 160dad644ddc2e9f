#include "unique.h"

extern "C" int uqa_bump(void)
{
    uq_counter<int> += 1;
    UqRegistry<int>::entries += 10;
    *uq_local_static() += 100;
    return uq_counter<int> + UqRegistry<int>::entries + *uq_local_static();
}

extern "C" void *uqa_inline_address(void) { return &uq_counter<int>; }
extern "C" void *uqa_template_address(void) { return &UqRegistry<int>::entries; }
extern "C" void *uqa_static_address(void) { return uq_local_static(); }

extern "C" int printf(const char *, ...);
__attribute__((destructor)) static void fini() { printf("libuqa dtor\n"); }
