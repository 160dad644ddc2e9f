/* The library of the scale benchmark. The driver builds it once and makes its 1,000 copies by
 * replacing the 0x5EED0000 of tiny_id's initial value with 0x5EED0000 + i, so each copy has
 * different content (its own compiled module) and tiny_value() tells which one answered. */
int tiny_id = 0x5EED0000;

int tiny_value(void) { return tiny_id; }
