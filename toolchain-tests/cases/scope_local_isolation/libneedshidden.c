/* Uses libhidden's symbols without recording libhidden as NEEDED: it can only load once they are
 * in the global scope. */
int hidden_fn(void);
extern int hidden_data;
int consumer_call(void) { return hidden_fn() + hidden_data; }
