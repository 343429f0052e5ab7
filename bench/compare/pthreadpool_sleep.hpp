#pragma once
// pthreadpool's workers spin for a long while after each job (tens of milliseconds on
// the dev machine) before they sleep; on two vCPUs a spinning worker preempts the next
// library's threads. One empty job with PTHREADPOOL_FLAG_YIELD_WORKERS sends them to
// sleep at once. Called after a library's timed round, never inside it.
#include <pthreadpool.h>

namespace shardwise::bench {

inline void put_workers_to_sleep(pthreadpool_t pool) {
  pthreadpool_parallelize_1d(
      pool, [](void*, std::size_t) {}, nullptr, pthreadpool_get_threads_count(pool), PTHREADPOOL_FLAG_YIELD_WORKERS);
}

}  // namespace shardwise::bench
