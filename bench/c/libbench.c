/* The small side module of the warm-cycle, dlsym, call and churn benchmarks. The same source
 * is built with gcc -shared -fPIC -O2 (native baseline) and wasi-dl cc -shared -O2. */
#include "work.h"

int bench_value = 42;
unsigned bench_counter;

int bench_add(int a, int b) { return a + b; }

int bench_work(int x) BENCH_WORK_BODY(x)

int bench_work_data(int x) BENCH_WORK_DATA_BODY(x, bench_counter)

/* Targets of the dlsym benchmark (it cycles through the eight names). */
int bench_f0(int x) { return x + 0; }
int bench_f1(int x) { return x + 1; }
int bench_f2(int x) { return x * 2; }
int bench_f3(int x) { return x - 3; }
int bench_f4(int x) { return x ^ 4; }
int bench_f5(int x) { return x | 5; }
int bench_f6(int x) { return x * 6; }
int bench_f7(int x) { return x & 7; }
