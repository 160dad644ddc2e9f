#include <setjmp.h>
#include <stddef.h>

static int done;

int finished(void) { return done; }

static void step(int n, void (*cb)(int))
{
    if (n == 0)
        cb(77);
    step(n - 1, cb);
    done++; /* never runs: the callback does not return */
}

int visit(int n, void (*cb)(int))
{
    done = 0;
    step(n, cb);
    return -1;
}

static jmp_buf mine;

/* Jumps to the library's own setjmp in guarded(); the program calls it. */
void escape(int v) { longjmp(mine, v); }

/* A setjmp in the library, then a call into the program, which calls escape(): the jump
 * comes back through the program's frames. */
int guarded(void (*program_cb)(int))
{
    volatile int calls = 0;
    int got = setjmp(mine);
    if (got == 0) {
        calls++;
        program_cb(41);
        return -1;
    }
    return got + calls;
}
