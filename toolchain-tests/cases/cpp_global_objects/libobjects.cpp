// C++ global objects: constructed in declaration order at dlopen, destroyed in reverse at dlclose.
// Only C's <stdio.h>: the wasm main program provides libc, not the C++ library.
#include <stdio.h>

extern "C" void prog_note(const char *what); // defined by the program

namespace {
struct Tracer {
    const char *name;
    int value;
    Tracer(const char *n, int v) : name(n), value(v) { printf("construct %s (%d)\n", name, value); }
    ~Tracer()
    {
        printf("destroy %s (%d)\n", name, value);
        prog_note(name);
    }
};

int compute(int base) { return base * 3 + 1; } // forces dynamic initialisation

Tracer first("first", 1);
int derived = compute(first.value); // sees `first` already constructed
} // namespace

Tracer second("second", derived);
Tracer third("third", second.value + 1);

extern "C" int objects_sum(void) { return first.value + second.value + third.value + derived; }
extern "C" void objects_set_third(int v) { third.value = v; }
