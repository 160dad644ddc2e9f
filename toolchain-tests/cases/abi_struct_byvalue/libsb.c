/* Structs passed and returned by value across the module boundary. */
#include <string.h>
#include "shapes.h"

struct vec3 sb_cross(struct vec3 a, struct vec3 b)
{
    struct vec3 r = {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
    return r;
}
struct small sb_bump(struct small s)
{
    s.c++;
    s.s *= 2;
    s.i = -s.i;
    return s;
}
struct big sb_make_big(int seed, const char *name)
{
    struct big b;
    memset(&b, 0, sizeof b);
    b.total = 0;
    for (int i = 0; i < 16; i++) {
        b.v[i] = seed * i;
        b.total += b.v[i];
    }
    strncpy(b.name, name, sizeof b.name - 1);
    return b;
}
long long sb_sum_big(struct big b)
{
    long long s = 0;
    for (int i = 0; i < 16; i++)
        s += b.v[i];
    b.v[0] = 12345; /* a copy: the caller's struct must not change */
    return s + (long long)strlen(b.name);
}
struct pair sb_pair(float f, unsigned char tag)
{
    struct pair p = {f * 2, (unsigned char)(tag + 1)};
    return p;
}
/* Calls a program function that takes and returns a struct by value. */
struct vec3 sb_apply(struct vec3 (*f)(struct vec3, double), struct vec3 v)
{
    return f(f(v, 2.0), 0.5);
}
