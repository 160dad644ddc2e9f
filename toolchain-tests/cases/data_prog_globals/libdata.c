/* Reads and writes the program's globals (resolved at load time, not at link time). */
#include <string.h>

struct point { int x, y; };
extern int prog_counter;
extern char prog_name[16];
extern struct point prog_point;
extern double prog_ratio;
extern int prog_array[5];
extern const char *prog_message;

void data_bump(void)
{
    prog_counter += 5;
    prog_point.x *= 10;
    prog_point.y = -prog_point.y;
    prog_array[4] = 50;
    prog_ratio *= 3;
}
int data_sum_array(void)
{
    int s = 0;
    for (int i = 0; i < 5; i++)
        s += prog_array[i];
    return s;
}
int *data_counter_addr(void) { return &prog_counter; }
char *data_name(void) { return prog_name; }
void data_rename(const char *s) { strcpy(prog_name, s); }
const char *data_message(void) { return prog_message; }
