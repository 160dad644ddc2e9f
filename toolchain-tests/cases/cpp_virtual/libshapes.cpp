// Virtual calls through vtables (data relocations full of function pointers) in a C++ library,
// reached from C through extern "C" functions. No RTTI, exceptions, new/delete or C++ library.
#include <stdio.h>
#include <string.h>

namespace {
struct Shape {
    virtual const char *name() const { return "shape"; }
    virtual int area() const { return 0; }
    virtual int scaled_area(int k) const { return k * area(); }
    // No virtual destructor: its deleting variant would need operator delete from a C++ runtime.
};
struct Rect : Shape {
    int w, h;
    Rect(int w_, int h_) : w(w_), h(h_) {}
    const char *name() const override { return "rect"; }
    int area() const override { return w * h; }
};
struct Square : Rect {
    explicit Square(int s) : Rect(s, s) {}
    const char *name() const override { return "square"; }
};
struct Tri : Shape {
    int b, h;
    Tri(int b_, int h_) : b(b_), h(h_) {}
    const char *name() const override { return "triangle"; }
    int area() const override { return b * h / 2; }
    int scaled_area(int k) const override { return k * k * area(); } // overrides the formula too
};

Shape plain;
Rect rect(3, 4);
Square square(5);
Tri tri(6, 7);
Shape *const all[] = {&plain, &rect, &square, &tri};
} // namespace

extern "C" int shapes_count(void) { return sizeof all / sizeof all[0]; }
extern "C" const char *shapes_name(int i) { return all[i]->name(); }
extern "C" int shapes_area(int i) { return all[i]->area(); }
extern "C" int shapes_scaled(int i, int k) { return all[i]->scaled_area(k); }
extern "C" int shapes_find(const char *name)
{
    for (int i = 0; i < shapes_count(); i++)
        if (strcmp(all[i]->name(), name) == 0)
            return i;
    return -1;
}
