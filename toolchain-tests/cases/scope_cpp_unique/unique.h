/* C++ objects the language says exist once per program: a variable template's instance, a
 * class template's static data member, a static local of an inline function. gcc gives them
 * STB_GNU_UNIQUE binding, so glibc makes every library use the first definition loaded, even
 * across RTLD_LOCAL libraries that cannot otherwise see each other. (A non-template inline
 * variable is one too, but its wasm symbol cannot be told from an ordinary global's: README,
 * Limits.) */
template <typename T> int uq_counter = 0;

template <typename T> struct UqRegistry {
    static int entries;
};
template <typename T> int UqRegistry<T>::entries = 0;

inline int *uq_local_static(void)
{
    static int value = 0;
    return &value;
}
