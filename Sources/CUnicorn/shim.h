#ifndef MICRONAS_CUNICORN_SHIM_H
#define MICRONAS_CUNICORN_SHIM_H
#include <unicorn/unicorn.h>
#endif
