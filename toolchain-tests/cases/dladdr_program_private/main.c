#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* dladdr on what the program does not export: a static function, static initialised data,
 * static .bss, a string literal and a const table all belong to the program (non-zero, the
 * program's file name, the same one as for its exported main-like function), from the program
 * and from a library; dli_sname is not checked (glibc gives none for unexported addresses). */

static int private_fn(int x) { return x + 1; }
static int private_data[3] = {1, 2, 3};
static int private_bss[32];
static const char private_text[] = "private";
static const int private_table[] = {5, 6, 7};
int public_fn(int x) { return x + 2; }

static const char *program_file;

static void show(const char *what, const void *addr)
{
    Dl_info info;
    int r = dladdr(addr, &info);
    printf("%s: dladdr %s", what, r ? "non-zero" : "0");
    if (r)
        printf(", the program's file: %s", info.dli_fname && program_file && strcmp(info.dli_fname, program_file) == 0 ? "yes" : "no");
    printf("\n");
}

int main(void)
{
    Dl_info info;
    if (!dladdr((void *)public_fn, &info) || !info.dli_fname)
        return 1;
    program_file = info.dli_fname;
    private_bss[3] = private_fn(private_data[1]) + private_table[0] + (int)strlen(private_text);
    show("static function", (void *)private_fn);
    show("static data", &private_data[2]);
    show("static .bss", &private_bss[3]);
    show("string literal", private_text);
    show("const table", &private_table[1]);

    void *h = dlopen("libdpp.so", RTLD_NOW);
    if (!h)
        return 1;
    int (*ask)(const void *, const char **) = (int (*)(const void *, const char **))dlsym(h, "dpp_ask");
    const void *addrs[] = {(void *)private_fn, &private_data[0], &private_bss[31], private_text};
    const char *names[] = {"static function", "static data", "static .bss", "string literal"};
    for (int i = 0; i < 4; i++) {
        const char *file = NULL;
        int r = ask(addrs[i], &file);
        printf("from the library, %s: %s, the program's file: %s\n", names[i], r ? "non-zero" : "0",
               r && file && strcmp(file, program_file) == 0 ? "yes" : "no");
    }
    printf("private_bss[3] = %d\n", private_bss[3]);
    dlclose(h);
    return 0;
}
