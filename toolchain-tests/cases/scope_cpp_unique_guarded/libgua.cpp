#include "registry.h"

extern "C" int gua_register(const char *name)
{
    registry().names.push_back(std::string("gua:") + name);
    return (int)registry().names.size();
}

extern "C" const void *gua_registry(void) { return &registry(); }
