/* A plugin (libtool -module): calls a function of its own library, libshout.so, found
 * through the RUNPATH libtool gives it (the installed libdir). */
#include <stdio.h>

void shout(char *s);

void loud_greet(char *who)
{
    shout(who);
    printf("hello, %s\n", who);
}
