int dld_value = 3;
int dld_array[8] = {1, 2, 3, 4, 5, 6, 7, 8};
const char dld_text[] = "some text";
int dld_zeroed[4];
