#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

void prog_note(const char *what, int value) { printf("[program] %s = %d\n", what, value); }

int main(void)
{
    printf("before dlopen\n");
    void *h = dlopen("liblife.so", RTLD_NOW);
    printf("after dlopen\n");
    if (!h)
        return 1;
    int (*initialised)(void) = (int (*)(void))dlsym(h, "life_initialised");
    int *state = (int *)dlsym(h, "life_state");
    printf("initialised: %d, life_state: %d\n", initialised(), *state);
    *state = 77; /* the destructor must see this */
    printf("before dlclose\n");
    int rc = dlclose(h);
    printf("after dlclose: %d\n", rc);
    return 0;
}
