// Weight distribution per sharding strategy (reference section 7).
#include <algorithm>

#include "core/error.hpp"
#include "ops/conv2d/program_factory.hpp"

namespace shardwise {

std::vector<WeightRole> weight_roles_height(const ParallelConfig& pc) {
  // One channel shard: the first core reads it and multicasts to every other core,
  // one multicast per rectangle of the (row-wise) core set.
  std::vector<WeightRole> roles(pc.num_cores());
  const CoreCoord sender = pc.work.front().core;
  for (std::uint32_t i = 0; i < pc.num_cores(); ++i) roles[i].sender = sender;
  roles[0].reads_weights = true;
  roles[0].multicast = pc.grid.ranges;
  roles[0].num_receivers = pc.num_cores() - 1;
  if (roles[0].num_receivers == 0) roles[0].multicast.clear();
  return roles;
}

std::vector<WeightRole> weight_roles_width(const ParallelConfig& pc) {
  std::vector<WeightRole> roles(pc.num_cores());
  for (std::uint32_t i = 0; i < pc.num_cores(); ++i) {
    roles[i].reads_weights = true;
    roles[i].sender = pc.work[i].core;
  }
  return roles;
}

std::vector<WeightRole> weight_roles_block(const ParallelConfig& pc) {
  // Each channel column: its core of stick block 0 reads the column's tiles and
  // multicasts them to the rest of the column (a one-core-wide rectangle).
  std::vector<WeightRole> roles(pc.num_cores());
  for (std::uint32_t s = 0; s < pc.cores_c; ++s) {
    std::uint32_t sender_index = 0;
    CoreRange receivers{{~0u, ~0u}, {0, 0}};
    std::uint32_t count = 0;
    for (std::uint32_t i = 0; i < pc.num_cores(); ++i) {
      const CoreWork& w = pc.work[i];
      if (w.channel_shard != s) continue;
      if (w.nhw_block == 0) {
        sender_index = i;
        continue;
      }
      receivers.start = {std::min(receivers.start.x, w.core.x), std::min(receivers.start.y, w.core.y)};
      receivers.end = {std::max(receivers.end.x, w.core.x), std::max(receivers.end.y, w.core.y)};
      ++count;
    }
    for (std::uint32_t i = 0; i < pc.num_cores(); ++i)
      if (pc.work[i].channel_shard == s) roles[i].sender = pc.work[sender_index].core;
    WeightRole& sender = roles[sender_index];
    sender.reads_weights = true;
    sender.num_receivers = count;
    if (count > 0) sender.multicast = {receivers};
  }
  return roles;
}

std::vector<WeightRole> select_weight_roles(const ParallelConfig& pc) {
  switch (pc.layout) {
    case TensorMemoryLayout::HEIGHT_SHARDED: return weight_roles_height(pc);
    case TensorMemoryLayout::WIDTH_SHARDED: return weight_roles_width(pc);
    case TensorMemoryLayout::BLOCK_SHARDED: return weight_roles_block(pc);
    case TensorMemoryLayout::INTERLEAVED: break;
  }
  throw InvalidArgument("a depthwise conv needs a sharded layout, got INTERLEAVED");
}

}  // namespace shardwise
