/* tekho — TEKHO_API marks what the shared library exports. */
#ifndef TEKHO_EXPORT_H
#define TEKHO_EXPORT_H

/* The library is built with -fvisibility=hidden: only the declarations
 * marked TEKHO_API, every function of these headers, are in the shared
 * library's dynamic symbol table, all named tekho_*. Internal functions
 * (src/) stay hidden, though the static library still holds them. */
#if defined(__GNUC__) || defined(__clang__)
#define TEKHO_API __attribute__((visibility("default")))
#else
#define TEKHO_API
#endif

#endif
