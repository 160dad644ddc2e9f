/* Opens libb.so RTLD_GLOBAL in its constructor and closes it in its destructor: changes made
 * while another dlopen or dlclose is in progress. It asks the global scope (through dlopen(NULL),
 * which unlike RTLD_DEFAULT pins nothing) before and after, so that an answer given in the
 * middle of a dlopen or dlclose is not reused after it. */
#include <dlfcn.h>
#include <stdio.h>

static void *b;

static int ask(void)
{
    void *self = dlopen(NULL, RTLD_NOW);
    int (*f)(void) = (int (*)(void))dlsym(self, "which");
    dlerror();
    return f ? f() : 0;
}

__attribute__((constructor)) static void init(void)
{
    int before = ask();
    b = dlopen("libb.so", RTLD_NOW | RTLD_GLOBAL);
    printf("ctor: which() %d, then %d after opening libb.so\n", before, ask());
}

__attribute__((destructor)) static void fini(void)
{
    int before = ask();
    if (b)
        dlclose(b);
    printf("dtor: which() %d, then %d after closing libb.so\n", before, ask());
}
