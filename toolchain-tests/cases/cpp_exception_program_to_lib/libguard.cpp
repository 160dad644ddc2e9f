#include <stdio.h>

#include <stdexcept>
#include <string>

struct Tracer {
    const char *name;
    explicit Tracer(const char *n) : name(n) {}
    ~Tracer() { printf("  lib: unwinding %s\n", name); }
};

// Calls the program's callback; exceptions it throws pass through here.
extern "C" int lib_call(int (*cb)(int), int arg)
{
    Tracer t("lib_call");
    return cb(arg) + 1;
}

// Catches what the program's callback throws, by type, and rethrows some.
extern "C" int lib_guard(int (*cb)(int), int arg)
{
    try {
        return lib_call(cb, arg);
    } catch (const std::invalid_argument &e) {
        printf("  lib caught std::invalid_argument: %s\n", e.what());
        return -1;
    } catch (int v) {
        printf("  lib caught int %d, rethrows\n", v);
        throw;
    }
}
