// The interface between the program and its plugin: abstract classes with virtual calls and
// standard-library types crossing the module boundary.
#include <string>
#include <vector>

struct Shape {
    virtual ~Shape() {}
    virtual std::string name() const = 0;
    virtual double area() const = 0;
};

struct Plugin {
    virtual ~Plugin() {}
    virtual std::vector<std::string> kinds() const = 0;
    virtual Shape *make(const std::string &kind, double size) = 0;
    virtual std::string summary() const = 0;
};
