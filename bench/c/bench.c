/* The benchmark program: one source, built with wasi-dl cc (run in-process under the wasi-dl
 * host by wasi-dl-bench) and with gcc (run under glibc's loader). Each mode measures one thing;
 * the driver passes the iteration counts.
 *
 *   bench warm  N REPS            dlopen + dlsym + dlclose of libbench.so (already compiled)
 *   bench dlsym N REPS            dlsym alone
 *   bench call  N REPS            a call through a function pointer: into the side module vs
 *                                 into the program itself, same work
 *   bench churn CYCLES POINTS     open/close cycles; memory, table and RSS at POINTS checkpoints
 *   bench scale NLIBS N PASSES    NLIBS distinct libraries at once: dlopen, dlsym, dlclose
 *   bench cold  LIB               one dlopen of LIB (in a new process)
 *
 * Output, one line each, for the driver:
 *   RESULT <name> <median> <unit>        the median of the repetitions
 *   SAMPLES <name> <unit> <v1> <v2> ...  every repetition
 *   CHURN <cycle> <pages> <table> <rss> <malloc probe> <data address> <ns per cycle since the last>
 *   INFO <text>
 * Timing: clock_gettime(CLOCK_MONOTONIC) around many iterations; WASI has that clock. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "work.h"

#define NOINLINE __attribute__((noinline))
#define MAX_REPS 64

#define LIBBENCH "./libbench.so"

/* ------------------------------------------------------------------------------------------ */
/* What differs between wasm and native. */

#ifdef __wasm__
/* The driver (the embedder) provides this: the host process's resident set, in bytes. */
__attribute__((import_module("bench"), import_name("host_rss"))) long long bench_host_rss(void);

/* A host function that does nothing, with dlsym's six i32 parameters: the floor of any
 * host-implemented dlsym (the wasm -> host -> wasm transition). */
__attribute__((import_module("bench"), import_name("nop"))) int bench_host_nop(int, int, int, int, int, int);

static long long host_rss(void) { return bench_host_rss(); }

static long memory_pages(void) { return (long)__builtin_wasm_memory_size(0); }

/* __builtin_wasm_table_size wants a table operand that C cannot name without reference types;
 * the indirect function table is reachable from assembly. */
static long table_slots(void) {
    int n;
    __asm__ volatile(".tabletype __indirect_function_table, funcref\n"
                     "table.size __indirect_function_table\n"
                     "local.set %0"
                     : "=r"(n));
    return n;
}
#else
#include <unistd.h>

static long long host_rss(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%lld %lld", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (long long)sysconf(_SC_PAGESIZE);
}

static long memory_pages(void) { return -1; }

static long table_slots(void) { return -1; }
#endif

/* ------------------------------------------------------------------------------------------ */
/* Helpers. */

static volatile uintptr_t sink;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void fail(const char *what, const char *name) {
    const char *err = dlerror();
    printf("FAIL %s %s: %s\n", what, name, err ? err : "(no dlerror)");
    fprintf(stderr, "bench: %s %s: %s\n", what, name, err ? err : "(no dlerror)");
    fflush(stdout);
    exit(1);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n) {
    double sorted[MAX_REPS];
    memcpy(sorted, v, (size_t)n * sizeof *v);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* The median of n values (any n): sorts a copy. */
static double median_of(const double *v, long n) {
    double *sorted = malloc((size_t)n * sizeof *v);
    if (!sorted)
        return 0;
    memcpy(sorted, v, (size_t)n * sizeof *v);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
    double m = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    free(sorted);
    return m;
}

static void report(const char *name, const char *unit, const double *samples, int n) {
    printf("SAMPLES %s %s", name, unit);
    for (int i = 0; i < n; i++)
        printf(" %.4f", samples[i]);
    printf("\nRESULT %s %.4f %s\n", name, median(samples, n), unit);
    fflush(stdout);
}

static void report1(const char *name, const char *unit, double value) { report(name, unit, &value, 1); }

static int clamp_reps(long reps) { return reps < 1 ? 1 : reps > MAX_REPS ? MAX_REPS : (int)reps; }

static void *open_or_die(const char *name) {
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        fail("dlopen", name);
    return h;
}

static void *sym_or_die(void *h, const char *name) {
    void *p = dlsym(h, name);
    if (!p)
        fail("dlsym", name);
    return p;
}

static void close_or_die(void *h, const char *name) {
    if (dlclose(h) != 0)
        fail("dlclose", name);
}

/* A symbol of the program for dlsym(RTLD_DEFAULT) (exported: -rdynamic). */
int bench_marker(int x) { return x + 1; }

/* ------------------------------------------------------------------------------------------ */
/* 1. The warm cycle: dlopen + dlsym + dlclose of a library that is compiled already (wasm) or
 *    in the page cache (native). Both really unload at dlclose. */

static void cycle(void) {
    void *h = open_or_die(LIBBENCH);
    sink += (uintptr_t)sym_or_die(h, "bench_add");
    close_or_die(h, LIBBENCH);
}

static void bench_warm(long n, int reps) {
    double total[MAX_REPS], open_t[MAX_REPS], sym_t[MAX_REPS], close_t[MAX_REPS];
    for (long i = 0; i < (n < 20 ? n : 20); i++)
        cycle(); /* compile (wasm), fault in (native) */
    for (int r = 0; r < reps; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            cycle();
        total[r] = (now_ns() - t0) / (double)n;
    }
    report("warm_cycle", "ns", total, reps);

    /* The same cycle timed call by call (the clock reads add a little): where the time goes. */
    for (int r = 0; r < reps; r++) {
        double o = 0, s = 0, c = 0;
        for (long i = 0; i < n; i++) {
            double t0 = now_ns();
            void *h = open_or_die(LIBBENCH);
            double t1 = now_ns();
            sink += (uintptr_t)sym_or_die(h, "bench_add");
            double t2 = now_ns();
            close_or_die(h, LIBBENCH);
            double t3 = now_ns();
            o += t1 - t0;
            s += t2 - t1;
            c += t3 - t2;
        }
        open_t[r] = o / (double)n;
        sym_t[r] = s / (double)n;
        close_t[r] = c / (double)n;
    }
    report("warm_open", "ns", open_t, reps);
    report("warm_sym", "ns", sym_t, reps);
    report("warm_close", "ns", close_t, reps);

    /* A timer read alone, to judge the breakdown's overhead. */
    double t[MAX_REPS];
    for (int r = 0; r < reps; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            sink += (uintptr_t)now_ns();
        t[r] = (now_ns() - t0) / (double)n;
    }
    report("clock_read", "ns", t, reps);
}

/* ------------------------------------------------------------------------------------------ */
/* 2. dlsym alone. */

static const char *const sym_names[8] = {"bench_f0", "bench_f1", "bench_f2", "bench_f3",
                                         "bench_f4", "bench_f5", "bench_f6", "bench_f7"};

static void bench_dlsym(long n, int reps) {
    double t[MAX_REPS];
    void *h = open_or_die(LIBBENCH);
    for (int i = 0; i < 8; i++)
        sink += (uintptr_t)sym_or_die(h, sym_names[i]); /* first lookups give the slots */

    for (int r = 0; r < reps; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            sink += (uintptr_t)dlsym(h, sym_names[i & 7]);
        t[r] = (now_ns() - t0) / (double)n;
    }
    report("dlsym", "ns", t, reps);

    sink += (uintptr_t)sym_or_die(h, "bench_value");
    for (int r = 0; r < reps; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            sink += (uintptr_t)dlsym(h, "bench_value");
        t[r] = (now_ns() - t0) / (double)n;
    }
    report("dlsym_data", "ns", t, reps);

    sink += (uintptr_t)sym_or_die(RTLD_DEFAULT, "bench_marker");
    for (int r = 0; r < reps; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            sink += (uintptr_t)dlsym(RTLD_DEFAULT, "bench_marker");
        t[r] = (now_ns() - t0) / (double)n;
    }
    report("dlsym_default", "ns", t, reps);
#ifdef __wasm__
    for (int r = 0; r < reps; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            sink += (uintptr_t)bench_host_nop((int)i, 1, 2, 3, 4, 5);
        t[r] = (now_ns() - t0) / (double)n;
    }
    report("host_call_nop", "ns", t, reps);
#endif
    close_or_die(h, LIBBENCH);
}

/* ------------------------------------------------------------------------------------------ */
/* 3. A call through a function pointer: into the side module vs into the program itself. The
 *    pointer is read from a volatile variable on every call (no inlining, no hoisting) and every
 *    result is accumulated. */

typedef int (*work_fn)(int);

static unsigned local_counter;

NOINLINE int local_work(int x) BENCH_WORK_BODY(x)

NOINLINE int local_work_data(int x) BENCH_WORK_DATA_BODY(x, local_counter)

static NOINLINE long long call_loop(work_fn f, long n) {
    work_fn volatile vf = f;
    long long acc = 0;
    for (long i = 0; i < n; i++)
        acc += vf((int)i);
    return acc;
}

static void call_pair(const char *local_name, const char *cross_name, work_fn local, work_fn cross,
                      long n, int reps) {
    double tl[MAX_REPS], tc[MAX_REPS];
    if (call_loop(local, 1000) != call_loop(cross, 1000)) {
        printf("FAIL call the two functions disagree\n");
        exit(1);
    }
    /* Interleaved, so that drift (frequency, noise) hits both alike. */
    for (int r = 0; r < reps; r++) {
        double t0 = now_ns();
        sink += (uintptr_t)call_loop(local, n);
        double t1 = now_ns();
        sink += (uintptr_t)call_loop(cross, n);
        double t2 = now_ns();
        tl[r] = (t1 - t0) / (double)n;
        tc[r] = (t2 - t1) / (double)n;
    }
    report(local_name, "ns", tl, reps);
    report(cross_name, "ns", tc, reps);
}

static void bench_call(long n, int reps) {
    void *h = open_or_die(LIBBENCH);
    work_fn cross = (work_fn)sym_or_die(h, "bench_work");
    work_fn cross_data = (work_fn)sym_or_die(h, "bench_work_data");
    call_pair("call_local", "call_cross", local_work, cross, n, reps);
    call_pair("call_local_data", "call_cross_data", local_work_data, cross_data, n, reps);
    close_or_die(h, LIBBENCH);
}

/* ------------------------------------------------------------------------------------------ */
/* 6. Churn: many open/close cycles of one library; does anything grow? */

static void checkpoint(long cycle_no, double ns_per_cycle) {
    /* One cycle that also reports where the library's data went, and a fresh malloc block:
     * with a leak or fragmentation both creep upward. */
    void *h = open_or_die(LIBBENCH);
    uintptr_t data = (uintptr_t)sym_or_die(h, "bench_value");
    close_or_die(h, LIBBENCH);
    void *probe = malloc(100);
    uintptr_t probe_addr = (uintptr_t)probe;
    free(probe);
    printf("CHURN %ld %ld %ld %lld %lu %lu %.1f\n", cycle_no, memory_pages(), table_slots(), host_rss(),
           (unsigned long)probe_addr, (unsigned long)data, ns_per_cycle);
    fflush(stdout);
}

static void bench_churn(long cycles, long points) {
    if (points < 1)
        points = 1;
    long step = cycles / points;
    if (step < 1)
        step = 1;
    cycle(); /* first load: compile, first allocations */
    checkpoint(0, 0);
    double total = 0, interval = now_ns();
    long last = 0;
    for (long i = 1; i <= cycles; i++) {
        cycle();
        if (i % step == 0 || i == cycles) {
            double now = now_ns();
            total += now - interval;
            checkpoint(i, (now - interval) / (double)(i - last));
            last = i;
            interval = now_ns(); /* the checkpoint itself is not timed */
        }
    }
    report1("churn_cycle", "ns", total / (double)cycles);
}

/* ------------------------------------------------------------------------------------------ */
/* 5. Scale: many distinct libraries loaded at once. */

static void tiny_name(char *buf, size_t len, long i) { snprintf(buf, len, "./tiny/libtiny_%04ld.so", i); }

static double dlsym_loop(void *h, const char *name, long n) {
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        sink += (uintptr_t)dlsym(h, name);
    return (now_ns() - t0) / (double)n;
}

static void bench_scale(long nlibs, long n, long passes) {
    void **handles = calloc((size_t)nlibs, sizeof *handles);
    double *open_ns = calloc((size_t)nlibs, sizeof *open_ns);
    double mean_open[MAX_REPS], first_open[MAX_REPS], last_open[MAX_REPS], mean_close[MAX_REPS];
    double median_open[MAX_REPS], max_open[MAX_REPS];
    double sym1[MAX_REPS], symn[MAX_REPS], symn_last[MAX_REPS], def1[MAX_REPS], defn[MAX_REPS];
    double first_sym[MAX_REPS];
    char name[64];
    if (!handles || !open_ns) {
        printf("FAIL scale out of memory\n");
        exit(1);
    }
    long tenth = nlibs / 10 > 0 ? nlibs / 10 : 1;
    int npasses = clamp_reps(passes);
    /* Pass 0 finds every library uncompiled (wasm) and cold in the page cache's sense of
     * first mapping (native); the rest find them compiled. */
    for (int p = 0; p < npasses; p++) {
        tiny_name(name, sizeof name, 0);
        double t0 = now_ns();
        handles[0] = open_or_die(name);
        open_ns[0] = now_ns() - t0;
        sink += (uintptr_t)sym_or_die(handles[0], "tiny_value");
        sink += (uintptr_t)sym_or_die(RTLD_DEFAULT, "bench_marker");
        sym1[p] = dlsym_loop(handles[0], "tiny_value", n);
        def1[p] = dlsym_loop(RTLD_DEFAULT, "bench_marker", n);

        for (long i = 1; i < nlibs; i++) {
            tiny_name(name, sizeof name, i);
            double t1 = now_ns();
            handles[i] = open_or_die(name);
            open_ns[i] = now_ns() - t1;
        }
        /* Every library answers with its own value. The first dlsym of a function gives it
         * its function-pointer identity (wasm: a table slot): timed as first_dlsym. */
        double t_first = now_ns();
        for (long i = 1; i < nlibs; i++)
            sink += (uintptr_t)sym_or_die(handles[i], "tiny_value");
        first_sym[p] = nlibs > 1 ? (now_ns() - t_first) / (double)(nlibs - 1) / 1000.0 : 0;
        for (long i = 0; i < nlibs; i++) {
            int (*value)(void) = (int (*)(void))sym_or_die(handles[i], "tiny_value");
            if (value() != 0x5EED0000 + (int)i) {
                printf("FAIL scale library %ld answered %#x\n", i, (unsigned)value());
                exit(1);
            }
        }
        symn[p] = dlsym_loop(handles[0], "tiny_value", n);
        symn_last[p] = dlsym_loop(handles[nlibs - 1], "tiny_value", n);
        defn[p] = dlsym_loop(RTLD_DEFAULT, "bench_marker", n);

        double sum = 0, first = 0, last = 0;
        for (long i = 0; i < nlibs; i++) {
            sum += open_ns[i];
            if (i < tenth)
                first += open_ns[i];
            if (i >= nlibs - tenth)
                last += open_ns[i];
        }
        mean_open[p] = sum / (double)nlibs / 1000.0;
        median_open[p] = median_of(open_ns, nlibs) / 1000.0;
        max_open[p] = 0;
        for (long i = 0; i < nlibs; i++)
            if (open_ns[i] / 1000.0 > max_open[p])
                max_open[p] = open_ns[i] / 1000.0;
        first_open[p] = first / (double)tenth / 1000.0;
        last_open[p] = last / (double)tenth / 1000.0;

        double t2 = now_ns();
        for (long i = nlibs - 1; i >= 0; i--)
            close_or_die(handles[i], "tiny");
        mean_close[p] = (now_ns() - t2) / (double)nlibs / 1000.0;
    }
    printf("INFO scale %ld libraries, %d passes (pass 0 includes compiling)\n", nlibs, npasses);
    report1("scale_dlopen_first_load", "us", mean_open[0]);
    if (npasses > 1) {
        report("scale_dlopen", "us", mean_open + 1, npasses - 1);
        report("scale_dlopen_lib_median", "us", median_open + 1, npasses - 1);
        report("scale_dlopen_max", "us", max_open + 1, npasses - 1);
        report("scale_dlopen_first_tenth", "us", first_open + 1, npasses - 1);
        report("scale_dlopen_last_tenth", "us", last_open + 1, npasses - 1);
        report("scale_dlclose", "us", mean_close + 1, npasses - 1);
        report("scale_first_dlsym", "us", first_sym + 1, npasses - 1);
        report("scale_dlsym_1", "ns", sym1 + 1, npasses - 1);
        report("scale_dlsym_n", "ns", symn + 1, npasses - 1);
        report("scale_dlsym_n_last", "ns", symn_last + 1, npasses - 1);
        report("scale_dlsym_default_1", "ns", def1 + 1, npasses - 1);
        report("scale_dlsym_default_n", "ns", defn + 1, npasses - 1);
    }
    free(handles);
    free(open_ns);
}

/* ------------------------------------------------------------------------------------------ */
/* 4. Cold start: the one dlopen of a process (the driver starts a new process per sample). */

static void bench_cold(const char *lib) {
    double t0 = now_ns();
    void *h = open_or_die(lib);
    double t1 = now_ns();
    unsigned (*entry)(unsigned) = (unsigned (*)(unsigned))sym_or_die(h, "big_entry");
    printf("CHECK big_entry %u\n", entry(12345u));
    report1("cold_dlopen", "ms", (t1 - t0) / 1e6);
    close_or_die(h, lib);
}

/* ------------------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench warm|dlsym|call N REPS | churn CYCLES POINTS | "
                        "scale NLIBS N PASSES | cold LIB\n");
        return 2;
    }
    const char *mode = argv[1];
    long a = atol(argv[2]);
    long b = argc > 3 ? atol(argv[3]) : 1;
    long c = argc > 4 ? atol(argv[4]) : 1;
    printf("INFO mode %s\n", mode);
    if (strcmp(mode, "warm") == 0)
        bench_warm(a, clamp_reps(b));
    else if (strcmp(mode, "dlsym") == 0)
        bench_dlsym(a, clamp_reps(b));
    else if (strcmp(mode, "call") == 0)
        bench_call(a, clamp_reps(b));
    else if (strcmp(mode, "churn") == 0)
        bench_churn(a, b);
    else if (strcmp(mode, "scale") == 0)
        bench_scale(a, b, c);
    else if (strcmp(mode, "cold") == 0)
        bench_cold(argv[2]);
    else {
        fprintf(stderr, "bench: unknown mode %s\n", mode);
        return 2;
    }
    printf("DONE\n");
    return 0;
}
