#include <stdio.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

// Exceptions thrown and caught inside one side module: nested handlers, rethrow,
// std::exception_ptr, a function-try-block, and objects destroyed during unwinding.
namespace {
int live;
struct Node {
    Node() { live++; }
    ~Node() { live--; }
};

int digit(char c)
{
    if (c < '0' || c > '9')
        throw std::invalid_argument(std::string("not a digit: ") + c);
    return c - '0';
}

int sum(const std::string &s)
{
    std::vector<std::unique_ptr<Node>> nodes;
    int total = 0;
    for (char c : s) {
        nodes.emplace_back(new Node);
        total += digit(c);
    }
    return total;
}
} // namespace

extern "C" int lib_sum(const char *text)
{
    try {
        try {
            return sum(text);
        } catch (const std::invalid_argument &) {
            printf("  inner handler: %d nodes alive, rethrowing\n", live);
            throw;
        }
    } catch (const std::exception &e) {
        printf("  outer handler: %s\n", e.what());
        return -1;
    }
}

extern "C" int lib_captured(void)
{
    std::exception_ptr saved;
    try {
        throw std::length_error("saved for later");
    } catch (...) {
        saved = std::current_exception();
    }
    try {
        std::rethrow_exception(saved);
    } catch (const std::length_error &e) {
        printf("  rethrown from exception_ptr: %s\n", e.what());
        return 1;
    }
    return 0;
}

extern "C" int lib_function_try(int n) try {
    if (n > 2)
        throw n;
    return n;
} catch (int v) {
    return -v;
}
