#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

struct point { int x, y; };
int prog_counter = 10;
char prog_name[16] = "main-program";
struct point prog_point = {3, 4};
double prog_ratio = 0.5;
int prog_array[5] = {1, 2, 3, 4, 5};
const char *prog_message = "first message";

static void show(void)
{
    printf("counter=%d name=%s point=(%d,%d) ratio=%g array[4]=%d\n", prog_counter, prog_name,
           prog_point.x, prog_point.y, prog_ratio, prog_array[4]);
}

int main(void)
{
    void *h = dlopen("libdata.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    void (*bump)(void) = (void (*)(void))dlsym(h, "data_bump");
    int (*sum)(void) = (int (*)(void))dlsym(h, "data_sum_array");
    int *(*counter_addr)(void) = (int *(*)(void))dlsym(h, "data_counter_addr");
    char *(*name)(void) = (char *(*)(void))dlsym(h, "data_name");
    void (*rename_)(const char *) = (void (*)(const char *))dlsym(h, "data_rename");
    const char *(*message)(void) = (const char *(*)(void))dlsym(h, "data_message");

    show();
    printf("library sums the array: %d\n", sum());
    bump();
    show();
    prog_array[0] = 100; /* the program writes, the library reads */
    printf("library sums the array: %d\n", sum());
    printf("library's &prog_counter: %s\n", counter_addr() == &prog_counter ? "same" : "different");
    printf("dlsym(RTLD_DEFAULT, prog_counter): %s\n",
           dlsym(RTLD_DEFAULT, "prog_counter") == (void *)&prog_counter ? "same" : "different");
    printf("library's prog_name: %s\n", name() == prog_name ? "same" : "different");
    rename_("renamed");
    show();
    printf("library reads prog_message: %s\n", message());
    prog_message = "second message";
    printf("library reads prog_message: %s\n", message());
    dlclose(h);
    return 0;
}
