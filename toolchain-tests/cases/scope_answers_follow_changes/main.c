#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* The same dlsym questions, asked twice after every change of what is loaded: each answer
 * follows the change, however it was made (by the program, from a library, by a constructor or
 * destructor), and whatever the handle (dlopen(NULL), RTLD_NEXT, RTLD_DEFAULT, a library's).
 * RTLD_DEFAULT is asked only where a library that defines the name cannot be unloaded later:
 * in glibc, a symbol it finds pins the library that defines it (see scope_default_pins). */

static void *self;

static void answers(char *out, size_t size)
{
    int (*s)(void) = (int (*)(void))dlsym(self, "which");
    int *sd = (int *)dlsym(self, "which_data");
    int (*n)(void) = (int (*)(void))dlsym(RTLD_NEXT, "which");
    int *nd = (int *)dlsym(RTLD_NEXT, "which_data");
    dlerror();
    snprintf(out, size, "self %d/%d  next %d/%d", s ? s() : 0, sd ? *sd : 0, n ? n() : 0,
             nd ? *nd : 0);
}

static void ask(const char *when)
{
    char first[128], again[128];
    answers(first, sizeof first);
    answers(again, sizeof again);
    printf("%-26s %s%s\n", when, first, strcmp(first, again) ? "  (asked again: differs!)" : "");
}

static void *open_or_say(const char *name, int mode)
{
    void *h = dlopen(name, mode);
    if (!h)
        printf("dlopen %s failed: %s\n", name, dlerror());
    return h;
}

int main(void)
{
    self = dlopen(NULL, RTLD_NOW);
    ask("nothing loaded");

    void *a = open_or_say("liba.so", RTLD_NOW | RTLD_GLOBAL);
    if (!a)
        return 1;
    ask("liba global");
    int (*a_which)(void) = (int (*)(void))dlsym(a, "which");
    printf("by liba's handle: %d\n", a_which ? a_which() : 0);
    dlclose(a);
    ask("liba closed");

    void *b = open_or_say("libb.so", RTLD_NOW | RTLD_GLOBAL);
    a = open_or_say("liba.so", RTLD_NOW | RTLD_GLOBAL);
    if (!a || !b)
        return 1;
    ask("libb, then liba");
    int (*a_again)(void) = (int (*)(void))dlsym(a, "which");
    printf("by liba's new handle: %d\n", a_again ? a_again() : 0);

    void *closer = open_or_say("libcloser.so", RTLD_NOW);
    if (!closer)
        return 1;
    int (*close_for)(void *) = (int (*)(void *))dlsym(closer, "close_for");
    printf("libcloser closes libb: %d\n", close_for(b));
    ask("libb closed by a library");
    dlclose(a);
    ask("liba closed");

    void *c = open_or_say("libctor.so", RTLD_NOW);
    if (!c)
        return 1;
    ask("libb opened by a ctor");
    dlclose(c);
    ask("closed by a dtor");

    void *local = open_or_say("liba.so", RTLD_NOW);
    if (!local)
        return 1;
    ask("liba local");
    int (*l_which)(void) = (int (*)(void))dlsym(local, "which");
    printf("by the local handle: %d\n", l_which ? l_which() : 0);
    if (!open_or_say("liba.so", RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL))
        return 1;
    ask("liba promoted to global");
    dlclose(local);
    dlclose(local);
    ask("all closed");

    /* RTLD_DEFAULT: found nothing, then found what a new GLOBAL library defines. */
    int (*d)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "which");
    printf("RTLD_DEFAULT before: %s\n", d ? "found" : "not found");
    dlerror();
    if (!open_or_say("libb.so", RTLD_NOW | RTLD_GLOBAL))
        return 1;
    for (int i = 0; i < 2; i++) {
        d = (int (*)(void))dlsym(RTLD_DEFAULT, "which");
        int *dd = (int *)dlsym(RTLD_DEFAULT, "which_data");
        printf("RTLD_DEFAULT after libb: %d/%d\n", d ? d() : 0, dd ? *dd : 0);
    }
    dlclose(closer);
    return 0;
}
