#include <stdio.h>
int npa_ready(void);
/* Needs libnpa, whose constructor is still running when this one runs. */
__attribute__((constructor)) static void init(void) { printf("libnpb ctor: libnpa ready %d\n", npa_ready()); }
__attribute__((destructor)) static void fini(void) { printf("libnpb dtor: libnpa ready %d\n", npa_ready()); }
int npb_probe(void) { return 10 + npa_ready(); }
