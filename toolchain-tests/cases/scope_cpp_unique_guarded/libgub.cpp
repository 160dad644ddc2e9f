#include "registry.h"

extern "C" int gub_register(const char *name)
{
    registry().names.push_back(std::string("gub:") + name);
    return (int)registry().names.size();
}

extern "C" const void *gub_registry(void) { return &registry(); }
