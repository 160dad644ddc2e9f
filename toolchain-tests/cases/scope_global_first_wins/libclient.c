/* No NEEDED entries: dup_name binds to the first definition in the global scope. */
const char *dup_name(void);
const char *client_call(void) { return dup_name(); }
