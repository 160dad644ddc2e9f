/* Both libfirstdef and libseconddef define dup_name; both are opened RTLD_GLOBAL. */
const char *dup_name(void) { return "first"; }
