#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include "shapes.h"

static struct vec3 scale(struct vec3 v, double k)
{
    struct vec3 r = {v.x * k, v.y * k + 1, v.z * k};
    return r;
}

int main(void)
{
    void *h = dlopen("libsb.so", RTLD_NOW);
    if (!h)
        return 1;
    struct vec3 (*cross)(struct vec3, struct vec3) = (struct vec3 (*)(struct vec3, struct vec3))dlsym(h, "sb_cross");
    struct small (*bump)(struct small) = (struct small (*)(struct small))dlsym(h, "sb_bump");
    struct big (*make_big)(int, const char *) = (struct big (*)(int, const char *))dlsym(h, "sb_make_big");
    long long (*sum_big)(struct big) = (long long (*)(struct big))dlsym(h, "sb_sum_big");
    struct pair (*pair)(float, unsigned char) = (struct pair (*)(float, unsigned char))dlsym(h, "sb_pair");
    struct vec3 (*apply)(struct vec3 (*)(struct vec3, double), struct vec3) =
        (struct vec3 (*)(struct vec3 (*)(struct vec3, double), struct vec3))dlsym(h, "sb_apply");

    struct vec3 a = {1, 2, 3}, b = {4, 5, 6};
    struct vec3 c = cross(a, b);
    printf("cross = (%g, %g, %g)\n", c.x, c.y, c.z);
    struct small s = {'a', 300, 77};
    struct small t = bump(s);
    printf("bump: %c %d %d (original %c %d %d)\n", t.c, t.s, t.i, s.c, s.s, s.i);
    struct big g = make_big(3, "big struct");
    printf("make_big: v[15] = %d, total = %lld, name = %s\n", g.v[15], g.total, g.name);
    printf("sum_big = %lld, caller's v[0] still %d\n", sum_big(g), g.v[0]);
    struct pair p = pair(1.25f, 254);
    printf("pair: %g %u\n", (double)p.f, (unsigned)p.tag);
    struct vec3 r = apply(scale, a);
    printf("apply(scale) = (%g, %g, %g)\n", r.x, r.y, r.z);
    dlclose(h);
    return 0;
}
