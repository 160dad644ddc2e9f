#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* setjmp and longjmp both inside one side module (an error-recovery parser, the way Lua and
 * many C libraries use them), loaded twice to see that nothing stays behind. */
int main(void)
{
    for (int round = 1; round <= 2; round++) {
        void *h = dlopen("libparse.so", RTLD_NOW);
        if (!h) {
            printf("dlopen failed\n");
            return 1;
        }
        int (*parse)(const char *, char *, int) = (int (*)(const char *, char *, int))dlsym(h, "parse_sum");
        const char *inputs[] = {"1+2+3", "10+x", "7+", "40+2", "+"};
        for (int i = 0; i < 5; i++) {
            char err[64];
            int v = parse(inputs[i], err, sizeof err);
            if (err[0])
                printf("round %d: %s -> error: %s\n", round, inputs[i], err);
            else
                printf("round %d: %s = %d\n", round, inputs[i], v);
        }
        dlclose(h);
    }
    return 0;
}
