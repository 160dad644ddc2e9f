#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

struct config { int width, height; const char *title; };

static const char new_title[] = "program title";

int main(void)
{
    void *h = dlopen("libstore.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int *counter = (int *)dlsym(h, "store_counter");
    int *zeroed = (int *)dlsym(h, "store_zeroed");
    const char *greeting = (const char *)dlsym(h, "store_greeting");
    int *table = (int *)dlsym(h, "store_table");
    struct config *cfg = (struct config *)dlsym(h, "store_config");
    double *scale = (double *)dlsym(h, "store_scale");
    int (*get_counter)(void) = (int (*)(void))dlsym(h, "store_get_counter");
    int *(*counter_addr)(void) = (int *(*)(void))dlsym(h, "store_counter_addr");
    int (*table_sum)(void) = (int (*)(void))dlsym(h, "store_table_sum");
    const char *(*title)(void) = (const char *(*)(void))dlsym(h, "store_title");
    int (*area)(void) = (int (*)(void))dlsym(h, "store_area");
    double (*scaled)(int) = (double (*)(int))dlsym(h, "store_scaled");

    printf("store_counter = %d, store_zeroed = %d\n", *counter, *zeroed);
    printf("dlsym address == library's &store_counter: %s\n", counter == counter_addr() ? "same" : "different");
    *counter = 100;
    printf("after program writes 100: library reads %d\n", get_counter());
    printf("greeting: %s (%d chars)\n", greeting, (int)strlen(greeting));
    printf("table sum %d\n", table_sum());
    table[2] = 300;
    printf("after table[2] = 300: table sum %d\n", table_sum());
    printf("config %dx%d \"%s\", area %d\n", cfg->width, cfg->height, cfg->title, area());
    cfg->width = 800;
    cfg->height = 600;
    cfg->title = new_title;
    printf("library sees area %d, title is program's string: %s\n", area(),
           title() == new_title ? "same" : "different");
    printf("scaled(8) = %g\n", scaled(8));
    *scale = 0.5;
    printf("after scale = 0.5: scaled(8) = %g\n", scaled(8));
    dlclose(h);
    return 0;
}
