// For the C++ codec shims (libheif, LibRaw, libjxl): no exception may leave them, since a C++ exception unwinding
// through Swift frames is undefined behaviour. Not part of the module's interface.
#ifndef DINO_IMAGE_GUARDED_HPP
#define DINO_IMAGE_GUARDED_HPP

#include <new>

extern "C" {
#include "internal.h"
}

/// Runs a decoder's body and turns whatever it throws into a status with a message.
template <typename Body> dino_image_status guarded(dino_image *out, Body body) {
    try {
        return body();
    } catch (const std::bad_alloc &) {
        dino_set_message(out, "", "out of memory");
        return DINO_IMAGE_NO_MEMORY;
    } catch (...) {
        dino_set_message(out, "", "the decoder failed");
        return DINO_IMAGE_CORRUPT;
    }
}

#endif
