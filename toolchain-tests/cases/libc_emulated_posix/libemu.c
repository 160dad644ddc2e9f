/* POSIX functions WASI lacks and wasi-libc emulates in libraries of their own (mmap, signal,
 * getpid, clock): under glibc any library may call them, so under wasi-dl the program
 * provides them to its side modules as it provides libc. The defines ask wasi-libc's headers
 * for them (glibc ignores them). */
#define _WASI_EMULATED_MMAN
#define _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_GETPID
#define _WASI_EMULATED_PROCESS_CLOCKS
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    caught = sig;
}

int emu_mmap(void)
{
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    int zero = p[0] == 0 && p[8191] == 0;
    strcpy(p + 4096, "mapped");
    printf("mmap: zero-filled %s, wrote \"%s\"\n", zero ? "yes" : "no", p + 4096);
    return munmap(p, 8192);
}

int emu_signal(void)
{
    if (signal(SIGUSR1, on_signal) == SIG_ERR)
        return -1;
    raise(SIGUSR1);
    printf("signal: handler %s\n", caught == SIGUSR1 ? "ran" : "did not run");
    return signal(SIGUSR1, SIG_DFL) == on_signal ? 0 : -1;
}

int emu_process(void)
{
    printf("getpid: %s, clock: %s\n", getpid() > 0 ? "positive" : "not positive",
           clock() != (clock_t)-1 ? "ok" : "failed");
    return 0;
}
