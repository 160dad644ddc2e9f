#include "lua.h"
#include "lauxlib.h"

/* Raises a Lua error from the C module: lua_error longjmps out of this module's frames. */
static int fail(lua_State *L)
{
    const char *what = luaL_checkstring(L, 1);
    return luaL_error(L, "cmod says: %s", what);
}

/* A type error raised by the auxiliary library on the module's behalf. */
static int twice(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    lua_pushinteger(L, 2 * n);
    return 1;
}

/* Calls back into Lua under its own pcall: an error there is caught inside the module. */
static int guarded(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    int status = lua_pcall(L, 0, 1, 0);
    lua_pushboolean(L, status == LUA_OK);
    lua_insert(L, -2);
    return 2;
}

/* Calls back into Lua without protection: an error there unwinds through this module. */
static int call(lua_State *L)
{
    lua_settop(L, 1);
    lua_call(L, 0, 1);
    return 1;
}

static const luaL_Reg funcs[] = {
    {"fail", fail}, {"twice", twice}, {"guarded", guarded}, {"call", call}, {NULL, NULL}};

int luaopen_cmod(lua_State *L)
{
    luaL_newlib(L, funcs);
    return 1;
}
