/* After dlclose and a new dlopen, the library starts from scratch. */
#include <stdio.h>
#include <string.h>

void prog_ctor_ran(void);

int renew_counter = 3;
int renew_bss;
char renew_buf[32] = "initial";
static int ctor_runs;

__attribute__((constructor)) static void init(void)
{
    ctor_runs++;
    prog_ctor_ran();
    printf("ctor: runs in this instance %d, counter %d, bss %d, buf \"%s\"\n", ctor_runs, renew_counter,
           renew_bss, renew_buf);
}
__attribute__((destructor)) static void fini(void)
{
    printf("dtor: counter %d, bss %d, buf \"%s\"\n", renew_counter, renew_bss, renew_buf);
}
void renew_modify(void)
{
    renew_counter += 100;
    renew_bss = 55;
    ctor_runs += 10;
    strcpy(renew_buf, "modified");
}
int renew_ctor_runs(void) { return ctor_runs; }
