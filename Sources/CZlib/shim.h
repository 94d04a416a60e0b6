// zlib, for the CRC-32 of spool records (crc32_z).
#include <zlib.h>
