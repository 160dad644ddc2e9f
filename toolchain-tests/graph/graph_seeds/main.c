/* The generated-graph test: a seeded, reproducible sequence of dlopen (every flag combination),
 * dlsym (by handle, RTLD_DEFAULT, RTLD_NEXT) and dlclose over a pool of libraries with a NEEDED
 * cycle, a shared dependency, weak and strong definitions and references to a parent's symbols.
 * Run as `main SEED`; the harness runs many seeds natively and under wasi-dl and compares. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define LIBS 6
#define STEPS 30

static unsigned long long state;

static unsigned next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (unsigned)(state >> 32);
}

typedef const char *(*namefn)(void);

static void *handles[LIBS][64];
static int held[LIBS];

/* Every symbol of the pool is a `const char *(void)` naming where it, or what it bound, lives. */
static void show(const char *label, void *p)
{
    printf("%s -> %s\n", label, p ? ((namefn)p)() : "NULL");
}

static const char *pick_name(char *buf, size_t size)
{
    static const char *fixed[] = {"gr_hook", "gr0_via", "gr1_via", "gr3_parent", "gr_parent_hook"};
    unsigned r = next() % 7;
    if (r < 5)
        return fixed[r];
    snprintf(buf, size, "gr%u_id", next() % LIBS);
    return buf;
}

int main(int argc, char **argv)
{
    unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 10) : 0;
    state = 0x9e3779b97f4a7c15ULL ^ (seed * 0x2545f4914f6cdd1dULL);
    if (state == 0)
        state = 1;
    printf("seed %lu\n", seed);
    for (int step = 0; step < STEPS; step++) {
        unsigned op = next() % 10;
        char name[32], buf[32];
        if (op < 4) {
            unsigned lib = next() % LIBS, flags = next();
            int mode = (flags & 1 ? RTLD_NOW : RTLD_LAZY) | (flags & 2 ? RTLD_GLOBAL : RTLD_LOCAL) |
                       (flags % 5 == 0 ? RTLD_NODELETE : 0) | (flags % 7 == 0 ? RTLD_NOLOAD : 0);
            snprintf(name, sizeof name, "libgr%u.so", lib);
            printf("dlopen(%s, %s%s%s%s)\n", name, mode & RTLD_NOW ? "NOW" : "LAZY", mode & RTLD_GLOBAL ? "|GLOBAL" : "",
                   mode & RTLD_NODELETE ? "|NODELETE" : "", mode & RTLD_NOLOAD ? "|NOLOAD" : "");
            void *h = dlopen(name, mode);
            dlerror();
            printf("  -> %s\n", h ? "ok" : "NULL");
            if (h && held[lib] < 64)
                handles[lib][held[lib]++] = h;
            /* Call the lazy references of the group at once: glibc binds a PLT call (and makes
             * its provider a dependency) at the first call, wasi-dl at load (README, Limits). */
            for (int v = 0; h && v < 2; v++) {
                const char *via = v ? "gr1_via" : "gr0_via";
                void *p = dlsym(h, via);
                dlerror();
                if (p)
                    printf("  %s -> %s\n", via, ((namefn)p)());
            }
        } else if (op < 6) {
            unsigned start = next() % LIBS;
            for (unsigned i = 0; i < LIBS; i++) {
                unsigned lib = (start + i) % LIBS;
                if (held[lib] > 0) {
                    printf("dlclose(libgr%u)\n", lib);
                    int rc = dlclose(handles[lib][--held[lib]]);
                    printf("  -> %d\n", rc);
                    break;
                }
            }
        } else if (op < 8) {
            unsigned start = next() % LIBS;
            for (unsigned i = 0; i < LIBS; i++) {
                unsigned lib = (start + i) % LIBS;
                if (held[lib] > 0) {
                    const char *sym = pick_name(buf, sizeof buf);
                    snprintf(name, sizeof name, "libgr%u", lib);
                    void *p = dlsym(handles[lib][held[lib] - 1], sym);
                    dlerror();
                    char label[80];
                    snprintf(label, sizeof label, "dlsym(%s, %s)", name, sym);
                    show(label, p);
                    break;
                }
            }
        } else if (op < 9) {
            const char *sym = pick_name(buf, sizeof buf);
            void *p = dlsym(RTLD_DEFAULT, sym);
            dlerror();
            char label[80];
            snprintf(label, sizeof label, "dlsym(RTLD_DEFAULT, %s)", sym);
            show(label, p);
        } else {
            void *p = dlsym(RTLD_NEXT, "gr_hook");
            dlerror();
            show("dlsym(RTLD_NEXT, gr_hook)", p);
        }
    }
    printf("exit\n");
    return 0;
}
