/* A library with a main(void). */
int main(void) { return 9; }
