#include <stdio.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin.h"

namespace {

struct Square : Shape {
    double side;
    explicit Square(double s) : side(s) {}
    std::string name() const override { return "square(" + std::to_string((int)side) + ")"; }
    double area() const override { return side * side; }
};

struct Triangle : Shape {
    double base;
    explicit Triangle(double b) : base(b) {}
    std::string name() const override { return "triangle(" + std::to_string((int)base) + ")"; }
    double area() const override { return base * base / 2; }
};

// Static objects: constructed at dlopen, destroyed at dlclose.
struct Announce {
    std::string what;
    explicit Announce(std::string w) : what(std::move(w)) { printf("plugin: construct %s\n", what.c_str()); }
    ~Announce() { printf("plugin: destroy %s\n", what.c_str()); }
};
Announce first("first static");
std::map<std::string, std::function<Shape *(double)>> factories = {
    {"square", [](double s) { return new Square(s); }},
    {"triangle", [](double s) { return new Triangle(s); }},
};
Announce second("second static, after " + std::to_string(factories.size()) + " factories");

struct Registry : Plugin {
    std::vector<std::unique_ptr<Shape>> made;
    std::map<std::string, int> counts;
    std::vector<std::string> kinds() const override {
        std::vector<std::string> out;
        for (auto &f : factories)
            out.push_back(f.first);
        return out;
    }
    Shape *make(const std::string &kind, double size) override {
        auto f = factories.find(kind);
        if (f == factories.end())
            return nullptr;
        made.emplace_back(f->second(size));
        counts[kind]++;
        return made.back().get();
    }
    std::string summary() const override {
        std::string s;
        for (auto &c : counts)
            s += c.first + "=" + std::to_string(c.second) + " ";
        std::vector<double> areas;
        for (auto &m : made)
            areas.push_back(m->area());
        std::sort(areas.begin(), areas.end());
        s += "largest area " + std::to_string((int)areas.back());
        return s;
    }
    ~Registry() override { printf("plugin: registry of %zu shapes destroyed\n", made.size()); }
};

} // namespace

extern "C" Plugin *plugin_create() { return new Registry(); }
