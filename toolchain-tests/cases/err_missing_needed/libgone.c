/* Exists at link time only: the program deletes libgone.so before opening libneedy.so. */
int gone_fn(void) { return 1; }
