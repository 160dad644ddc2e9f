/* The generated-DAG test's program (toolchain-tests/src/dag.rs): it runs one script of
 * dlopen/dlsym/dlclose steps, written by the generator, over a generated pool of libraries
 * libg0.so, libg1.so, ... Every symbol of the pool is a `const char *(void)` that names where
 * it, or what it bound, lives; the program defines f0 and f1, which libraries may call.
 *
 *   open LIB FLAGS [NAME...]  dlopen(libgLIB.so, FLAGS) (`LAZY|GLOBAL|NODELETE|NOLOAD`), then
 *                             call each NAME found through the new handle (the group's
 *                             references, so they bind now under glibc's lazy binding too)
 *   close LIB                 dlclose the newest handle of LIB, or of the next library held
 *   sym LIB NAME              dlsym on that handle (same choice as close), and call it
 *   default NAME / next NAME / self NAME
 *                             dlsym(RTLD_DEFAULT / RTLD_NEXT / dlopen(NULL)), and call it
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef const char *(*fn_t)(void);

const char *f0(void) { return "main:f0"; }
const char *f1(void) { return "main:f1"; }

#define LIBS 16
#define HANDLES 64

static void *handles[LIBS][HANDLES];
static int held[LIBS];

static void show(const char *label, void *p)
{
    const char *result = p ? ((fn_t)p)() : "NULL";
    printf("%s -> %s\n", label, result);
}

/* LIB itself if a handle of it is held, else the next library (cyclically) that has one. */
static int held_from(int lib)
{
    for (int i = 0; i < LIBS; i++) {
        int l = (lib + i) % LIBS;
        if (held[l] > 0)
            return l;
    }
    return -1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* a fatal symbol lookup error keeps what came before */
    if (argc < 2)
        return 2;
    FILE *script = fopen(argv[1], "r");
    if (!script) {
        printf("cannot open %s\n", argv[1]);
        return 2;
    }
    char line[4096];
    while (fgets(line, sizeof line, script)) {
        char *op = strtok(line, " \n");
        if (!op)
            continue;
        char label[128];
        if (strcmp(op, "open") == 0) {
            int lib = atoi(strtok(NULL, " \n"));
            const char *flags = strtok(NULL, " \n");
            int mode = (strstr(flags, "NOW") ? RTLD_NOW : RTLD_LAZY) |
                       (strstr(flags, "GLOBAL") ? RTLD_GLOBAL : RTLD_LOCAL) |
                       (strstr(flags, "NODELETE") ? RTLD_NODELETE : 0) |
                       (strstr(flags, "NOLOAD") ? RTLD_NOLOAD : 0);
            char name[32];
            snprintf(name, sizeof name, "libg%d.so", lib);
            printf("dlopen(%s, %s)\n", name, flags);
            void *h = dlopen(name, mode);
            dlerror();
            printf("  -> %s\n", h ? "ok" : "NULL");
            if (h && lib >= 0 && lib < LIBS && held[lib] < HANDLES)
                handles[lib][held[lib]++] = h;
            for (char *call; (call = strtok(NULL, " \n"));) {
                if (!h)
                    continue;
                void *p = dlsym(h, call);
                dlerror();
                snprintf(label, sizeof label, "  %s", call);
                show(label, p);
            }
        } else if (strcmp(op, "close") == 0) {
            int lib = held_from(atoi(strtok(NULL, " \n")) % LIBS);
            if (lib < 0)
                continue;
            printf("dlclose(libg%d)\n", lib);
            int rc = dlclose(handles[lib][--held[lib]]);
            printf("  -> %d\n", rc);
        } else if (strcmp(op, "sym") == 0) {
            int lib = held_from(atoi(strtok(NULL, " \n")) % LIBS);
            const char *name = strtok(NULL, " \n");
            if (lib < 0)
                continue;
            void *p = dlsym(handles[lib][held[lib] - 1], name);
            dlerror();
            snprintf(label, sizeof label, "dlsym(libg%d, %s)", lib, name);
            show(label, p);
        } else {
            const char *name = strtok(NULL, " \n");
            void *p = NULL;
            if (strcmp(op, "default") == 0) {
                p = dlsym(RTLD_DEFAULT, name);
            } else if (strcmp(op, "next") == 0) {
                p = dlsym(RTLD_NEXT, name);
            } else if (strcmp(op, "self") == 0) {
                p = dlsym(dlopen(NULL, RTLD_LAZY), name);
            } else {
                printf("unknown step %s\n", op);
                return 2;
            }
            dlerror();
            snprintf(label, sizeof label, "dlsym(%s, %s)", op, name);
            show(label, p);
        }
    }
    fclose(script);
    printf("exit\n");
    return 0;
}
