// serial: a compact binary form for the on-disk caches (the parsed rule set, the
// compiled matcher). Internal to lib/. Not a portable exchange format: every cache
// entry is keyed by the build that wrote it, so only the same binary reads it back.
//
// One description of a struct serves both directions: specialize Fields<T> with
//   template <class IO, class U> static void Apply(IO& io, U& x) { io(x.a)(x.b); }
// where U is `const T` when writing and `T` when reading (or give the struct a static
// member template `Fields(IO& io, Self& x)` doing the same, for types private to a
// class). Numbers, enums, strings, vectors, optionals, sets, maps and pairs need
// nothing more.
//
// Reading never trusts the bytes: a length that runs past the end, a payload whose
// checksum differs, or bytes left over all throw SerialError, and every cache turns
// that into a miss.
//
// Example:
//   detail::Writer w;
//   w(rule_set);
//   std::string bytes = w.Finish();                 // header + checksum + payload
//   RuleSet back;
//   detail::Reader r(bytes);                        // throws SerialError when damaged
//   r(back);
//   r.ExpectEnd();
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace fraudscan::detail {

// --- Interface ---

struct SerialError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Specialize for each struct stored (see the file comment).
template <class T>
struct Fields;

// Return a 64-bit hash of `bytes` (XXH3 from libxxhash, ~20 GB/s: the megabytes of cache
// entries are checked at every start-up). Not cryptographic.
uint64_t Checksum(std::string_view bytes);

class Writer {
 public:
  template <class T>
  Writer& operator()(const T& value);
  // Return the bytes written, preceded by their size and checksum.
  std::string Finish() const;
  // Return the payload only (no header): for fingerprinting what was written.
  const std::string& payload() const { return out_; }

 private:
  void Raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string out_;
};

class Reader {
 public:
  // REQUIRES: `bytes` (header + payload, as Writer::Finish made them) outlives the reader.
  // Throws SerialError when the header does not match the payload.
  explicit Reader(std::string_view bytes);
  // Read a payload without its header (Writer::payload(), stored inside another entry
  // whose checksum covers it).
  struct PayloadOnly {};
  Reader(std::string_view payload, PayloadOnly) : in_(payload) {}
  template <class T>
  Reader& operator()(T& value);
  // Throws SerialError unless every byte has been read.
  void ExpectEnd() const {
    if (pos_ != in_.size()) throw SerialError("trailing bytes");
  }

 private:
  void Raw(void* p, std::size_t n) {
    if (n > in_.size() - pos_) throw SerialError("truncated");
    if (n != 0) std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  // Read a count of `min_size`-byte items; throw when they cannot all be there.
  std::size_t Count(std::size_t min_size) {
    uint32_t n = 0;
    Raw(&n, sizeof n);
    if (static_cast<uint64_t>(n) * min_size > in_.size() - pos_) throw SerialError("bad length");
    return n;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
};

// --- Inline implementations ---

namespace serial_internal {
template <class T>
struct Kind {
  static constexpr int value = 0;
};
template <class T, class A>
struct Kind<std::vector<T, A>> {
  static constexpr int value = 1;
};
template <class T>
struct Kind<std::optional<T>> {
  static constexpr int value = 2;
};
template <class T, class C, class A>
struct Kind<std::set<T, C, A>> {
  static constexpr int value = 3;
};
template <class K, class V, class C, class A>
struct Kind<std::map<K, V, C, A>> {
  static constexpr int value = 4;
};
template <class A, class B>
struct Kind<std::pair<A, B>> {
  static constexpr int value = 5;
};
template <class T>
inline constexpr bool kPlain = std::is_arithmetic_v<T> || std::is_enum_v<T>;
}  // namespace serial_internal

template <class T>
Writer& Writer::operator()(const T& value) {
  using serial_internal::Kind;
  if constexpr (serial_internal::kPlain<T>) {
    Raw(&value, sizeof value);
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
    const auto n = static_cast<uint32_t>(value.size());
    Raw(&n, sizeof n);
    Raw(value.data(), value.size());
  } else if constexpr (Kind<T>::value == 1) {
    const auto n = static_cast<uint32_t>(value.size());
    Raw(&n, sizeof n);
    using E = typename T::value_type;
    if constexpr (serial_internal::kPlain<E> && !std::is_same_v<E, bool>) {
      Raw(value.data(), value.size() * sizeof(E));
    } else {
      for (const auto& x : value) (*this)(static_cast<const E&>(x));
    }
  } else if constexpr (Kind<T>::value == 2) {
    (*this)(value.has_value());
    if (value) (*this)(*value);
  } else if constexpr (Kind<T>::value == 3 || Kind<T>::value == 4) {
    const auto n = static_cast<uint32_t>(value.size());
    Raw(&n, sizeof n);
    for (const auto& x : value) (*this)(x);
  } else if constexpr (Kind<T>::value == 5) {
    (*this)(value.first)(value.second);
  } else if constexpr (requires(Writer& w, const T& v) { T::Fields(w, v); }) {
    T::Fields(*this, value);
  } else {
    Fields<T>::Apply(*this, value);
  }
  return *this;
}

template <class T>
Reader& Reader::operator()(T& value) {
  using serial_internal::Kind;
  if constexpr (serial_internal::kPlain<T>) {
    Raw(&value, sizeof value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    value.resize(Count(1));
    Raw(value.data(), value.size());
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    // A view of the bytes given to the reader, not a copy.
    const std::size_t n = Count(1);
    value = in_.substr(pos_, n);
    pos_ += n;
  } else if constexpr (Kind<T>::value == 1) {
    using E = typename T::value_type;
    if constexpr (serial_internal::kPlain<E> && !std::is_same_v<E, bool>) {
      value.resize(Count(sizeof(E)));
      Raw(value.data(), value.size() * sizeof(E));
    } else if constexpr (std::is_same_v<E, bool>) {
      value.resize(Count(1));
      for (std::size_t i = 0; i < value.size(); ++i) {
        bool b = false;
        (*this)(b);
        value[i] = b;
      }
    } else {
      value.clear();
      value.resize(Count(1));
      for (auto& x : value) (*this)(x);
    }
  } else if constexpr (Kind<T>::value == 2) {
    bool present = false;
    (*this)(present);
    value.reset();
    if (present) (*this)(value.emplace());
  } else if constexpr (Kind<T>::value == 3) {
    value.clear();
    for (std::size_t n = Count(1); n > 0; --n) {
      typename T::value_type x{};
      (*this)(x);
      value.insert(value.end(), std::move(x));
    }
  } else if constexpr (Kind<T>::value == 4) {
    value.clear();
    for (std::size_t n = Count(1); n > 0; --n) {
      std::pair<typename T::key_type, typename T::mapped_type> x{};
      (*this)(x);
      value.insert(value.end(), std::move(x));
    }
  } else if constexpr (Kind<T>::value == 5) {
    (*this)(value.first)(value.second);
  } else if constexpr (requires(Reader& r, T& v) { T::Fields(r, v); }) {
    T::Fields(*this, value);
  } else {
    Fields<T>::Apply(*this, value);
  }
  return *this;
}

}  // namespace fraudscan::detail
