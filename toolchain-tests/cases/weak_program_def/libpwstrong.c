/* The program is linked against it; its strong definitions lose to the program's weak ones. */
int pw_hook(void) { return 2; }
int pw_data = 20;
int pw_strong_only(void) { return 3; }
