#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

/* The program's weak definitions come first in the global scope: a library the program is
 * linked against defines the same names strongly, yet a later library's references and
 * dlsym(RTLD_DEFAULT) find the program's (the dynamic linker does not prefer strong over weak);
 * dlsym on the library's own handle finds its own. */

__attribute__((weak)) int pw_hook(void) { return 1; }
__attribute__((weak)) int pw_data = 10;
int pw_strong_only(void); /* keeps libpwstrong a NEEDED entry under --as-needed */

int main(void)
{
    printf("program: pw_hook() = %d, pw_data = %d, pw_strong_only() = %d\n", pw_hook(), pw_data, pw_strong_only());
    void *user = dlopen("libpwuser.so", RTLD_NOW);
    if (!user)
        return 1;
    printf("libpwuser: pw_use() = %d\n", ((int (*)(void))dlsym(user, "pw_use"))());
    int (*hook)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "pw_hook");
    int *data = (int *)dlsym(RTLD_DEFAULT, "pw_data");
    printf("RTLD_DEFAULT: pw_hook() = %d, pw_data = %d, the program's: %s\n", hook(), *data,
           hook == pw_hook && data == &pw_data ? "yes" : "no");
    void *strong = dlopen("libpwstrong.so", RTLD_NOW | RTLD_NOLOAD);
    if (!strong)
        return 1;
    hook = (int (*)(void))dlsym(strong, "pw_hook");
    data = (int *)dlsym(strong, "pw_data");
    printf("libpwstrong's handle: pw_hook() = %d, pw_data = %d\n", hook(), *data);
    dlclose(strong);
    dlclose(user);
    return 0;
}
