/* make bench, the Rust plugin row: how long loading a std Rust plugin takes, next to a C side
 * module with the same descriptor (libcplugin.c), in the same process.
 *
 *   timing LIB N   the first dlopen of LIB (compiling it, or the disk cache), then N cycles of
 *                  dlopen + descriptor check + one call + dlclose (the module compiled)
 *
 * Prints one line: RESULT <first dlopen µs> <median cycle µs> <best cycle µs>. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wasi_dl/plugin.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One cycle; 0 on success. */
static int cycle(const char *path) {
    void *lib = dlopen(path, RTLD_NOW);
    if (!lib) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    const struct wasi_dl_plugin *p = wasi_dl_plugin_open(lib, NULL);
    int (*add)(int, int) = p ? (int (*)(int, int))wasi_dl_plugin_entry(p, "hello_add") : NULL;
    int ok = add && add(40, 2) == 42;
    dlclose(lib);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    const char *path = argv[1];
    int n = atoi(argv[2]);
    if (n < 1)
        n = 1;
    double start = now_us();
    if (cycle(path) != 0)
        return 1;
    double first = now_us() - start;
    double *samples = malloc(sizeof(double) * (size_t)n);
    if (!samples)
        return 1;
    for (int i = 0; i < n; i++) {
        double t = now_us();
        if (cycle(path) != 0)
            return 1;
        samples[i] = now_us() - t;
    }
    qsort(samples, (size_t)n, sizeof(double), by_value);
    printf("RESULT %.1f %.2f %.2f\n", first, samples[n / 2], samples[0]);
    return 0;
}
