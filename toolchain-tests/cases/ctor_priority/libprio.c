/* Constructors run by priority (lower first), unprioritised ones last, each group in source order;
 * destructors run in exactly the reverse order, at dlclose. */
#include <stdio.h>

__attribute__((constructor(300))) static void ctor_300(void) { puts("ctor 300"); }
__attribute__((constructor(101))) static void ctor_101(void) { puts("ctor 101"); }
__attribute__((constructor)) static void ctor_default_1(void) { puts("ctor default 1"); }
__attribute__((constructor(200))) static void ctor_200(void) { puts("ctor 200"); }
__attribute__((constructor)) static void ctor_default_2(void) { puts("ctor default 2"); }

__attribute__((destructor(101))) static void dtor_101(void) { puts("dtor 101"); }
__attribute__((destructor)) static void dtor_default_1(void) { puts("dtor default 1"); }
__attribute__((destructor(300))) static void dtor_300(void) { puts("dtor 300"); }
__attribute__((destructor(200))) static void dtor_200(void) { puts("dtor 200"); }
__attribute__((destructor)) static void dtor_default_2(void) { puts("dtor default 2"); }

int prio_loaded(void) { return 1; }
