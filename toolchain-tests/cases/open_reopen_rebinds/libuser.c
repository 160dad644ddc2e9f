/* Uses a function and a data object that it does not define and does not NEED: they come from
 * whichever RTLD_GLOBAL library defines them when it is loaded. */
#include <stdio.h>

int prov(void);
extern int prov_data;

static int uses;
static int (*call_prov)(void) = prov;

__attribute__((constructor)) static void init(void) { printf("user ctor: uses %d\n", uses); }

int use(void)
{
    uses++;
    return prov() * 1000 + call_prov() * 100 + prov_data + uses;
}
