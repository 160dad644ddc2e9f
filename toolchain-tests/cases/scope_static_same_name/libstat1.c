/* libstat1 and libstat2 both have a static function helper() and a static variable state:
 * internal names never clash, even with both libraries in the global scope. */
static int state = 10;
static int helper(void) { return 1; }
int stat1_get(void) { return helper() * 1000 + state; }
void stat1_bump(void) { state++; }
