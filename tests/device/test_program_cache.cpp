// The device's program cache (device/program_cache.hpp): equal keys hit, any other key
// misses, the key's and the entry's types keep ops apart, the least recently used
// entry goes first when the cache is full.
#include <gtest/gtest.h>

#include <string>

#include "device/program_cache.hpp"

namespace shardwise {
namespace {

struct KeyA {
  int x = 0;
  std::string name;
  friend bool operator==(const KeyA&, const KeyA&) = default;
};
struct KeyB {
  int x = 0;
  std::string name;
  friend bool operator==(const KeyB&, const KeyB&) = default;
};

TEST(ProgramCache, EqualKeysHitOtherKeysMiss) {
  ProgramCache cache;
  EXPECT_EQ(cache.find<int>(KeyA{1, "a"}), nullptr);
  cache.insert(KeyA{1, "a"}, 10);
  ASSERT_NE(cache.find<int>(KeyA{1, "a"}), nullptr);
  EXPECT_EQ(*cache.find<int>(KeyA{1, "a"}), 10);
  EXPECT_EQ(cache.find<int>(KeyA{2, "a"}), nullptr);  // any field differs: a miss
  EXPECT_EQ(cache.find<int>(KeyA{1, "b"}), nullptr);
  EXPECT_EQ(cache.hits(), 2u);
  EXPECT_EQ(cache.misses(), 3u);
  // The entry is the cache's own, changed in place (a cached program's runtime args).
  *cache.find<int>(KeyA{1, "a"}) = 11;
  EXPECT_EQ(*cache.find<int>(KeyA{1, "a"}), 11);
}

TEST(ProgramCache, KeyAndEntryTypesKeepOpsApart) {
  ProgramCache cache;
  cache.insert(KeyA{1, "a"}, 10);
  EXPECT_EQ(cache.find<int>(KeyB{1, "a"}), nullptr);     // same fields, another op's key type
  EXPECT_EQ(cache.find<double>(KeyA{1, "a"}), nullptr);  // same key, another entry type
  cache.insert(KeyB{1, "a"}, 20);
  EXPECT_EQ(*cache.find<int>(KeyA{1, "a"}), 10);
  EXPECT_EQ(*cache.find<int>(KeyB{1, "a"}), 20);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ProgramCache, DropsTheLeastRecentlyUsedWhenFull) {
  ProgramCache cache;
  for (int i = 0; i < static_cast<int>(ProgramCache::kCapacity); ++i) cache.insert(KeyA{i, ""}, i);
  ASSERT_NE(cache.find<int>(KeyA{0, ""}), nullptr);  // 0 becomes the most recent; 1 is now the oldest
  cache.insert(KeyA{-1, ""}, -1);
  EXPECT_EQ(cache.size(), ProgramCache::kCapacity);
  EXPECT_EQ(cache.find<int>(KeyA{1, ""}), nullptr);
  EXPECT_NE(cache.find<int>(KeyA{0, ""}), nullptr);
  EXPECT_NE(cache.find<int>(KeyA{-1, ""}), nullptr);
  EXPECT_NE(cache.find<int>(KeyA{2, ""}), nullptr);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace shardwise
