#include <stdio.h>

#include <map>
#include <string>
#include <vector>

#include "errors.h"

struct Tracer {
    const char *name;
    explicit Tracer(const char *n) : name(n) {}
    ~Tracer() { printf("  lib: unwinding %s\n", name); }
};

static void deeper(int kind)
{
    Tracer t("deeper");
    std::vector<int> v(3);
    switch (kind) {
    case 0: throw std::runtime_error("runtime error from the library");
    case 1: v.at(7) = 1; break; // std::out_of_range, thrown inside libc++
    case 2: throw 42;
    case 3: throw ParseError("bad token", 12);
    case 4: throw std::string("a std::string");
    }
}

extern "C" int lib_work(int kind)
{
    Tracer t("lib_work");
    deeper(kind);
    return kind;
}
