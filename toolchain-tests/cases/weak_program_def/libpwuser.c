/* Opened later: its references find the first definition in the global scope. */
int pw_hook(void);
extern int pw_data;
int pw_use(void) { return pw_hook() * 100 + pw_data; }
