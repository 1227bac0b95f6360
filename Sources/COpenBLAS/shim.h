#include <cblas.h>
/* OpenBLAS's own thread control (not in the CBLAS standard). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
