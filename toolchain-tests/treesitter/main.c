/* A program with tree-sitter's runtime that loads grammars at run time, as editors do:
 * dlopen the grammar's shared library, dlsym its tree_sitter_<name> function, parse, print
 * the syntax tree. The Python grammar has an external scanner (scanner.c: its own state,
 * allocated with malloc, serialised between parses), reached through function pointers in
 * the grammar's TSLanguage. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tree_sitter/api.h>

struct grammar {
    const char *library, *symbol;
    const char *sources[2];
    const char *append; /* an edit to the second source, re-parsed incrementally */
};

static const struct grammar grammars[] = {
    {"./libtree-sitter-json.so", "tree_sitter_json",
     {"{\"name\": \"wasi-dl\", \"tags\": [1, 2.5, true, null], \"nested\": {\"ok\": false}}",
      "[1, 2,, 3]"},
     " ]"},
    {"./libtree-sitter-python.so", "tree_sitter_python",
     {"def f(x):\n    if x:\n        return \"\"\"doc\n\"\"\"\n    return f'{x}'\n",
      "class A:\n  def g(self):\n\tpass\n  x = [1,\n2]\n"},
     "y = 3\n"},
};

/* Where byte offset n of text is, as tree-sitter counts rows and columns. */
static TSPoint point_at(const char *text, size_t n)
{
    TSPoint p = {0, 0};
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') {
            p.row++;
            p.column = 0;
        } else {
            p.column++;
        }
    }
    return p;
}

static int parse_with(const struct grammar *g)
{
    void *lib = dlopen(g->library, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        printf("dlopen %s failed\n", g->library);
        return 1;
    }
    const TSLanguage *(*language_fn)(void) = (const TSLanguage *(*)(void))dlsym(lib, g->symbol);
    if (!language_fn) {
        printf("dlsym %s failed\n", g->symbol);
        return 1;
    }
    const TSLanguage *language = language_fn();
    printf("%s: abi %u, %u symbols\n", g->symbol, ts_language_abi_version(language),
           ts_language_symbol_count(language));
    TSParser *parser = ts_parser_new();
    if (!ts_parser_set_language(parser, language)) {
        printf("incompatible language\n");
        return 1;
    }
    TSTree *previous = NULL;
    for (int i = 0; i < 2; i++) {
        const char *text = g->sources[i];
        TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)strlen(text));
        TSNode root = ts_tree_root_node(tree);
        char *sexp = ts_node_string(root);
        printf("%s\nerror: %s, %u children\n", sexp, ts_node_has_error(root) ? "yes" : "no",
               ts_node_named_child_count(root));
        free(sexp);
        if (previous)
            ts_tree_delete(previous);
        previous = tree;
    }
    /* Re-parse the last text incrementally after an edit that appends to it. */
    const char *last = g->sources[1];
    size_t n = strlen(last), extra = strlen(g->append);
    char *edited = malloc(n + extra + 1);
    memcpy(edited, last, n);
    memcpy(edited + n, g->append, extra + 1);
    TSPoint end = point_at(edited, n), new_end = point_at(edited, n + extra);
    TSInputEdit edit = {(uint32_t)n, (uint32_t)n, (uint32_t)(n + extra), end, end, new_end};
    ts_tree_edit(previous, &edit);
    TSTree *tree = ts_parser_parse_string(parser, previous, edited, (uint32_t)(n + extra));
    char *sexp = ts_node_string(ts_tree_root_node(tree));
    printf("after edit: %s\n", sexp);
    free(sexp);
    free(edited);
    ts_tree_delete(tree);
    ts_tree_delete(previous);
    ts_parser_delete(parser);
    return dlclose(lib) != 0;
}

int main(void)
{
    int failed = 0;
    for (size_t i = 0; i < sizeof grammars / sizeof grammars[0]; i++)
        failed |= parse_with(&grammars[i]);
    return failed;
}
