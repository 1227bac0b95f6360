#include "mn_shims.h"

uc_err mn_hook_add_code(uc_engine *uc, uc_hook *hh, int type, mn_block_cb cb, void *user, uint64_t begin, uint64_t end) {
    return uc_hook_add(uc, hh, type, (void *)cb, user, begin, end);
}

uc_err mn_hook_add_intr(uc_engine *uc, uc_hook *hh, mn_intr_cb cb, void *user) {
    return uc_hook_add(uc, hh, UC_HOOK_INTR, (void *)cb, user, 1, 0);
}

uc_err mn_hook_add_mem(uc_engine *uc, uc_hook *hh, int type, mn_mem_cb cb, void *user, uint64_t begin, uint64_t end) {
    return uc_hook_add(uc, hh, type, (void *)cb, user, begin, end);
}

uc_err mn_hook_add_invalid_mem(uc_engine *uc, uc_hook *hh, int type, mn_invalid_mem_cb cb, void *user) {
    return uc_hook_add(uc, hh, type, (void *)cb, user, 1, 0);
}

uc_err mn_hook_add_invalid_insn(uc_engine *uc, uc_hook *hh, mn_invalid_insn_cb cb, void *user) {
    return uc_hook_add(uc, hh, UC_HOOK_INSN_INVALID, (void *)cb, user, 1, 0);
}

uc_err mn_ctl_set_cpu_model(uc_engine *uc, int model) {
    return uc_ctl_set_cpu_model(uc, model);
}

uc_err mn_ctl_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end) {
    return uc_ctl_remove_cache(uc, begin, end);
}

static void mn_empty_block(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    (void)uc; (void)address; (void)size;
    ++*(uint64_t *)user;
}

uc_err mn_hook_add_counting_block(uc_engine *uc, uc_hook *hh, uint64_t *counter) {
    return uc_hook_add(uc, hh, UC_HOOK_BLOCK, (void *)mn_empty_block, counter, 1, 0);
}
