/* A program that embeds Lua (built from the lua-src crate's sources with `wasi-dl cc`) and
 * runs a script; `require` loads C modules with dlopen (loadlib.c, LUA_USE_DLOPEN). */
#include <stdio.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

int main(int argc, char **argv)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    int status = luaL_dofile(L, argc > 1 ? argv[1] : "test.lua");
    if (status != LUA_OK)
        printf("error: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return status == LUA_OK ? 0 : 1;
}
