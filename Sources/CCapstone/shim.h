#ifndef MICRONAS_CCAPSTONE_SHIM_H
#define MICRONAS_CCAPSTONE_SHIM_H
#include <capstone/capstone.h>
#endif
