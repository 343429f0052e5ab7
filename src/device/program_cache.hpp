#pragma once
// A device's program cache (TT-Metal's program cache): an op stores what it built for
// one set of arguments (its programs, plan, kernel choices) under a key, and a later
// call with an equal key takes it back and only rewrites the runtime arguments that
// change from call to call (buffer addresses).
//
// Keys are whole structs compared with their defaulted operator== (the compiler
// derives it from every field, so adding a field to a key can never be forgotten);
// the key's type is part of the key, so ops cannot collide. Most recently used first,
// at most kCapacity entries. One program runs on a device at a time (Device::run
// enforces it), and so the cache is used by one caller at a time.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <typeindex>
#include <vector>

namespace shardwise {

class ProgramCache {
 public:
  static constexpr std::size_t kCapacity = 64;

  // The entry stored under `key`, moved to the front; nullptr if there is none.
  template <typename Entry, typename Key>
  Entry* find(const Key& key) {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      Slot& s = slots_[i];
      if (s.key_type != std::type_index(typeid(Key)) || s.entry_type != std::type_index(typeid(Entry)) ||
          !(*static_cast<const Key*>(s.key.get()) == key))
        continue;
      ++hits_;
      const auto at = slots_.begin() + static_cast<std::ptrdiff_t>(i);
      std::rotate(slots_.begin(), at, at + 1);
      return static_cast<Entry*>(slots_.front().entry.get());
    }
    ++misses_;
    return nullptr;
  }

  // Stores `entry` under `key` at the front (dropping the least recently used entry
  // when full) and returns it.
  template <typename Entry, typename Key>
  Entry& insert(Key key, Entry entry) {
    if (slots_.size() == kCapacity) slots_.pop_back();
    slots_.insert(slots_.begin(), Slot{std::type_index(typeid(Key)), std::type_index(typeid(Entry)),
                                       std::make_shared<Key>(std::move(key)), std::make_shared<Entry>(std::move(entry))});
    return *static_cast<Entry*>(slots_.front().entry.get());
  }

  void clear() { slots_.clear(); }
  std::size_t size() const { return slots_.size(); }
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  struct Slot {
    std::type_index key_type;
    std::type_index entry_type;
    std::shared_ptr<void> key;    // a Key
    std::shared_ptr<void> entry;  // an Entry
  };
  std::vector<Slot> slots_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace shardwise
