/* Linked against liblz: its calls and its function pointers go to liblz's definitions. */
int lz_f3(int v);
int lz_plain(int v);
extern int lz_counter;

typedef int (*fn)(int);

fn lzuser_f3(void) { return lz_f3; }
fn lzuser_plain(void) { return lz_plain; }
int lzuser_call(int v) { return lz_f3(v) + lz_plain(v) + lz_counter; }
int *lzuser_counter(void) { return &lz_counter; }
