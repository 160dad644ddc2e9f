int dirok_value(void) { return 5; }
