/* The top of the diamond: needs libdleft and libdright. The order in which the two sides are
 * constructed is not specified (glibc does right before left), so nothing here prints it. */
int dleft_ready(void);
int dright_ready(void);
static int saw_sides;
__attribute__((constructor)) static void init(void) { saw_sides = dleft_ready() && dright_ready(); }
int dtop_saw_sides(void) { return saw_sides; }
