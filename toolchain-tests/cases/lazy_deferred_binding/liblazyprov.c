/* Provides both libraries' missing functions once it is opened RTLD_GLOBAL. */
int lazy_provided(int v) { return v * 100; }
int now_provided(int v) { return v * 1000; }
