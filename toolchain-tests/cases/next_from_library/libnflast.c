/* Defines nf_name too, but is opened RTLD_LOCAL: no RTLD_NEXT search from a global library sees it. */
const char *nf_name(void) { return "libnflast"; }
const char *nf_last_only(void) { return "only in libnflast"; }
