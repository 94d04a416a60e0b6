#ifndef SANSANG_CCAIRO_SHIM_H
#define SANSANG_CCAIRO_SHIM_H
#include <cairo.h>
#endif
