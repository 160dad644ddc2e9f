// An exception type both modules know (inline: each has its type information, which the
// loader binds to one, so a catch by type works across modules).
#include <stdexcept>
#include <string>

struct ParseError : std::runtime_error {
    int line;
    ParseError(const std::string &what, int l) : std::runtime_error(what), line(l) {}
};
