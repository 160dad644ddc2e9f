/* Binds po_name at load: the first definition in the global scope. */
const char *po_name(void);
const char *po_user(void) { return po_name(); }
