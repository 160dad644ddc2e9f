-- Errors raised in a C module loaded by require (dlopen) are caught by pcall in the program:
-- Lua's error is a longjmp to the setjmp of its protected call, across modules.
package.cpath = "./?.so"
local cmod = require "cmod"
print(pcall(cmod.fail, "boom"))
print(pcall(cmod.twice, 21))
print(pcall(cmod.twice, "x"))
print(cmod.guarded(function() error("inner", 0) end))
print(cmod.guarded(function() return "fine" end))
local ok, e = pcall(cmod.call, function() error({code = 7}) end)
print(ok, type(e), e.code)
print(pcall(cmod.call, function() return "through" end))
local caught = 0
for i = 1, 1000 do
    if not pcall(cmod.fail, i) then caught = caught + 1 end
end
print(caught .. " errors caught")
print(xpcall(cmod.fail, function(m) return "handled: " .. m end, "again"))
