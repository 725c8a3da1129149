/* Mutation builds: `cmake -DTEKHO_MUTATION=NAME` compiles in one deliberate
 * defect, so that tests can prove `tekho explore` catches it (make test
 * does, for every one: tests/mutations.sh). A mutated library says so on
 * stderr at every `tekho` start and must never be installed or shipped.
 * The generated header defines TEKHO_MUTATION_<NAME> for the one chosen. */
#ifndef TEKHO_SRC_MUTATION_H
#define TEKHO_SRC_MUTATION_H

#include "tekho_mutation.h"

#endif
