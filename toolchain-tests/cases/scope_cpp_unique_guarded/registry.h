#include <cstdio>
#include <string>
#include <vector>

/* A function-local static with a dynamic initialiser in an inline function: the object and
 * its guard variable are STB_GNU_UNIQUE, so however many RTLD_LOCAL libraries include this,
 * one registry is constructed, once. */
struct Registry {
    std::vector<std::string> names;
    Registry() { std::printf("Registry constructed\n"); }
};

inline Registry &registry()
{
    static Registry r;
    return r;
}
