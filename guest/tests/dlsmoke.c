/*
 * dlsmoke: a C main program that exercises the guest library through
 * <dlfcn.h> with libgreet.so (examples/rust-loader/libgreet.c).
 * guest/check.sh builds it (and checks its imports and exports); running it
 * needs a wasi-dl host:
 *   dlsmoke [libgreet.so [keep]]
 * With "keep" the library is not closed, so its destructor runs at exit,
 * between the two atexit handlers; otherwise it runs at dlclose.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libgreet.so calls this from its constructor and destructor. */
void rust_loader_note(const char *what) { printf("note: %s\n", what); }

static void registered_first(void) { puts("atexit: registered before dlopen"); }
static void registered_last(void) { puts("atexit: registered after dlopen"); }

static int failures;
#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            printf("FAILED: %s (line %d)\n", #cond, __LINE__);        \
            failures++;                                               \
        }                                                             \
    } while (0)

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "libgreet.so";
    int keep = argc > 2 && strcmp(argv[2], "keep") == 0;

    CHECK(dlerror() == NULL);
    CHECK(dlopen("no-such-library.so", RTLD_NOW) == NULL);
    const char *err = dlerror();
    CHECK(err != NULL);
    printf("dlopen(no-such-library.so): %s\n", err ? err : "(no error)");
    CHECK(dlerror() == NULL);

    atexit(registered_first);
    void *lib = dlopen(path, RTLD_NOW);
    if (!lib) {
        printf("dlopen(%s): %s\n", path, dlerror());
        return 1;
    }
    atexit(registered_last);

    int (*greet)(const char *, char *, int) = (int (*)(const char *, char *, int))dlsym(lib, "greet");
    CHECK(greet != NULL);
    char out[64];
    if (greet) {
        int n = greet("C", out, sizeof out);
        printf("greet returned %d: %s\n", n, out);
    }
    int *calls = (int *)dlsym(lib, "greet_calls");
    CHECK(calls != NULL && *calls == 1);

    CHECK(dlsym(lib, "no_such_function") == NULL);
    err = dlerror();
    CHECK(err != NULL);
    printf("dlsym(no_such_function): %s\n", err ? err : "(no error)");

    Dl_info info;
    if (dladdr((void *)greet, &info)) {
        const char *slash = strrchr(info.dli_fname, '/');
        printf("dladdr(greet): %s in %s\n", info.dli_sname ? info.dli_sname : "(no symbol)",
               slash ? slash + 1 : info.dli_fname);
        Dl_info again;
        CHECK(dladdr((void *)greet, &again) && again.dli_fname == info.dli_fname);
    } else {
        printf("dladdr(greet): not found\n");
    }

    if (!keep) {
        CHECK(dlclose(lib) == 0);
        puts("closed");
        CHECK(dlclose(lib) != 0);
        err = dlerror();
        printf("second dlclose: %s\n", err ? err : "(no error)");
    }
    printf("%s\n", failures ? "SOME CHECKS FAILED" : "all checks passed");
    return failures != 0;
}
