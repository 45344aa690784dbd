#ifndef CTALKVAULT_ZLIB_SHIM_H
#define CTALKVAULT_ZLIB_SHIM_H
#include <zlib.h>

/* deflateInit2 and inflateInit2 are macros that pass the zlib version and struct size. */
static inline int ctv_deflateInit2(z_streamp strm, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, strategy);
}
static inline int ctv_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

#endif
