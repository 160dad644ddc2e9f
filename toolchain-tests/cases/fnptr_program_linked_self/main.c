#include <dlfcn.h>
#include <stdio.h>

typedef int (*fn)(int);

int fps_add(int a);
int fps_twice(int a);
fn fps_self_add(void);
fn fps_self_twice(void);

int main(void)
{
    /* One function, one address: the program's &fps_add is the library's own. */
    fn mine = fps_add;
    fn theirs = fps_self_add();
    printf("fps_add: program's and library's pointer %s\n", mine == theirs ? "same" : "different");
    printf("calls: %d %d\n", mine(1), theirs(2));
    printf("dlsym(RTLD_DEFAULT, fps_add) %s\n", dlsym(RTLD_DEFAULT, "fps_add") == (void *)mine ? "same" : "different");
    /* Only the library takes this one's address: its own slot is the address everywhere. */
    fn twice = fps_self_twice();
    printf("fps_twice: dlsym %s, call %d\n", dlsym(RTLD_DEFAULT, "fps_twice") == (void *)twice ? "same" : "different", twice(21));
    void *h = dlopen("libfpself.so", RTLD_NOW);
    printf("by handle: %s %s\n", dlsym(h, "fps_add") == (void *)mine ? "same" : "different",
           dlsym(h, "fps_twice") == (void *)twice ? "same" : "different");
    dlclose(h);
    return 0;
}
