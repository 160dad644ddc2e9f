/* A plugin: calls a function of its own library (libshout.so, found through its RUNPATH)
 * and one of the program's (greet, from libgreet.so). */
void shout(char *s);
void greet(const char *who);

void loud_greet(char *who)
{
    shout(who);
    greet(who);
}
