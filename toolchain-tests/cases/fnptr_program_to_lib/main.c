#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

typedef int (*intfn)(int);

int prog_twice(int x) { return 2 * x; }
static int prog_triple(int x) { return 3 * x; } /* not exported: only its pointer travels */

static const char *yes_no(int b) { return b ? "yes" : "no"; }

int main(void)
{
    void *h = dlopen("libcheck.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*against_default)(intfn) = (int (*)(intfn))dlsym(h, "check_against_default");
    int (*against_extern)(intfn) = (int (*)(intfn))dlsym(h, "check_against_extern");
    intfn (*get)(void) = (intfn(*)(void))dlsym(h, "check_get_prog_twice");
    int (*apply)(intfn, int) = (int (*)(intfn, int))dlsym(h, "check_apply");
    void (*remember)(intfn) = (void (*)(intfn))dlsym(h, "check_remember");
    int (*remembered_is)(intfn) = (int (*)(intfn))dlsym(h, "check_remembered_is");
    int (*call_remembered)(int) = (int (*)(int))dlsym(h, "check_call_remembered");

    printf("program's dlsym(RTLD_DEFAULT, prog_twice) == &prog_twice: %s\n",
           yes_no(dlsym(RTLD_DEFAULT, "prog_twice") == (void *)prog_twice));
    printf("library: my pointer == dlsym(RTLD_DEFAULT): %s\n", yes_no(against_default(prog_twice)));
    printf("library: my pointer == its own &prog_twice: %s\n", yes_no(against_extern(prog_twice)));
    printf("library's &prog_twice == program's: %s\n", yes_no(get() == prog_twice));
    printf("static prog_triple == dlsym(RTLD_DEFAULT, prog_twice): %s\n", yes_no(against_default(prog_triple)));
    printf("static prog_triple == library's &prog_twice: %s\n", yes_no(against_extern(prog_triple)));
    printf("library calls prog_twice(21) = %d\n", apply(prog_twice, 21));
    printf("library calls prog_triple(14) = %d\n", apply(prog_triple, 14));
    printf("library calls its own &prog_twice(5) = %d\n", get()(5));
    remember(prog_triple);
    printf("stored pointer is prog_triple: %s, is prog_twice: %s\n", yes_no(remembered_is(prog_triple)),
           yes_no(remembered_is(prog_twice)));
    printf("stored pointer called: %d\n", call_remembered(11));
    dlclose(h);
    return 0;
}
