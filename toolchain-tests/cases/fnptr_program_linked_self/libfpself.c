/* Takes the addresses of its own functions (the loader binds those at compile time to the
 * library's own table slots); the program linked against it takes them too. */
int fps_add(int a) { return a + 100; }
int fps_twice(int a) { return 2 * a; }

typedef int (*fn)(int);

fn fps_self_add(void) { return fps_add; }
fn fps_self_twice(void) { return fps_twice; }
