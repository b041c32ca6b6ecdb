// flat: read-only containers kept in a few contiguous arrays, for the compiled
// matcher's per-atom data. Tens of thousands of small strings and vectors, each its own
// allocation, made loading a cached matcher slow (every one built one by one); these
// load as a handful of bulk copies. Internal to lib/.
//
// Example:
//   detail::StringTable notes;
//   notes.push_back("homophone of 返利");
//   std::string_view n = notes[0];   // valid until the next push_back
//   detail::Rows<int> rows({{1, 2}, {}, {3}});
//   for (int r : rows[0]) ...        // 1, 2
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fraudscan::detail {

// --- Interface ---

// Strings stored end to end.
class StringTable {
 public:
  // Append `s`. Invalidates the views returned before.
  void push_back(std::string_view s) {
    chars_.append(s);
    ends_.push_back(static_cast<uint32_t>(chars_.size()));
  }
  std::string_view operator[](std::size_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(chars_).substr(begin, ends_[i] - begin);
  }
  std::size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }

  template <class IO, class Self>
  static void Fields(IO& io, Self& x) {
    io(x.chars_)(x.ends_);
  }

 private:
  std::string chars_;
  std::vector<uint32_t> ends_;  // where string i ends in chars_
};

// Rows of values (a vector of vectors, compressed): built once, then read.
template <class T>
class Rows {
 public:
  Rows() = default;
  explicit Rows(const std::vector<std::vector<T>>& rows) {
    for (const auto& row : rows) {
      values_.insert(values_.end(), row.begin(), row.end());
      ends_.push_back(static_cast<uint32_t>(values_.size()));
    }
  }
  std::span<const T> operator[](std::size_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::span<const T>(values_.data() + begin, ends_[i] - begin);
  }
  std::size_t size() const { return ends_.size(); }

  template <class IO, class Self>
  static void Fields(IO& io, Self& x) {
    io(x.values_)(x.ends_);
  }

 private:
  std::vector<T> values_;
  std::vector<uint32_t> ends_;  // where row i ends in values_
};

}  // namespace fraudscan::detail
