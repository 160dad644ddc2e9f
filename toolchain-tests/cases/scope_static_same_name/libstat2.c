/* libstat1 and libstat2 both have a static function helper() and a static variable state:
 * internal names never clash, even with both libraries in the global scope. */
static int state = 20;
static int helper(void) { return 2; }
int stat2_get(void) { return helper() * 1000 + state; }
void stat2_bump(void) { state++; }
