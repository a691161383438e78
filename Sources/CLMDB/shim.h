// LMDB's own C API, used as it is: it reports every error as a return code and never longjmps or throws.
#include <lmdb.h>
